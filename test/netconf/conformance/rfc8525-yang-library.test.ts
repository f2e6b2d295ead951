// RFC 8525 ietf-yang-library (/yang-library) and the RFC 7895 /modules-state
// older clients read, against the hello's yang-library capability (RFC 8526
// §2), through python3-ncclient against the agent.
import { describe, expect, it } from 'vitest';
import { agentForConformance } from './ncclient.js';

const { scenario } = agentForConformance();

describe('RFC 8525 YANG library (ncclient against the agent)', () => {
  it('serves one module set under one content-id: in the hello, /yang-library and /modules-state', async () => {
    const r = await scenario<{ capabilities: string[]; yang_library: string; modules_state: string }>('yang-library');
    const capability = r.capabilities.find((c) => c.startsWith('urn:ietf:params:netconf:capability:yang-library:1.1?'));
    expect(capability).toBeDefined();
    const contentId = /content-id=([^&]+)/.exec(capability!)?.[1];
    expect(contentId).toMatch(/^[0-9a-f]{16}$/);
    expect(r.yang_library).toContain(`<content-id>${contentId}</content-id>`);
    expect(r.modules_state).toContain(`<module-set-id>${contentId}</module-set-id>`);
    // The bmpd module, implemented, with its revision, in both forms.
    expect(r.yang_library).toMatch(/<module>\s*<name>bmpd<\/name>\s*<revision>2026-11-26<\/revision>\s*<namespace>urn:bmpd:yang:bmpd<\/namespace>/);
    expect(r.modules_state).toMatch(/<module>\s*<name>bmpd<\/name>\s*<revision>2026-11-26<\/revision>[^]*?<conformance-type>implement<\/conformance-type>/);
    // Every NMDA datastore the agent has, named by identity (RFC 8342).
    for (const ds of ['running', 'candidate', 'startup', 'operational']) expect(r.yang_library).toMatch(new RegExp(`<name[^>]*>ds:${ds}</name>`));
  });
});
