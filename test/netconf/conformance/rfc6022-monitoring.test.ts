// RFC 6022 ietf-netconf-monitoring: /netconf-state (capabilities, datastores,
// schemas, sessions, statistics) and <get-schema>, through python3-ncclient
// against the agent. Lock entries under datastores: rfc6241-base-operations.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentForConformance } from './ncclient.js';

const { scenario } = agentForConformance();

/** The text of each <name> child of every <parent> in `xml`, in order. */
function all(xml: string, parent: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${parent}>([\\s\\S]*?)</${parent}>`, 'g'))]
    .map((m) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(m[1]!)?.[1] ?? '');
}

describe('RFC 6022 ietf-netconf-monitoring (ncclient against the agent)', () => {
  it('get-schema returns every listed module, and yanglint accepts them all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bmpd-schemas-'));
    try {
      const r = await scenario<{ files: string[] }>('schemas', dir);
      expect(r.files).toContain('bmpd@2026-11-26.yang');
      expect(r.files).toContain('ietf-netconf-monitoring@2010-10-04.yang');
      expect(readdirSync(dir).sort()).toEqual([...r.files].sort());
      for (const f of r.files) {
        // Each module alone, its imports found among the downloaded ones.
        execFileSync('yanglint', ['-p', dir, join(dir, f)], { stdio: 'pipe' });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('netconf-state lists the hello capabilities, every session with its counters, and the statistics', async () => {
    const r = await scenario<{ a_session: number; b_session: number; state: string; hello_capabilities: string[] }>('monitoring-state');
    const capabilities = [...r.state.matchAll(/<capability>([^<]*)<\/capability>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    expect(capabilities.sort()).toEqual([...r.hello_capabilities].sort());
    expect(all(r.state, 'datastore', 'name')).toEqual(['running', 'candidate', 'startup']);
    const ids = all(r.state, 'session', 'session-id').map(Number);
    expect(ids).toEqual(expect.arrayContaining([r.a_session, r.b_session]));
    const b = [...r.state.matchAll(/<session>([\s\S]*?)<\/session>/g)].map((m) => m[1]!)
      .find((s) => s.includes(`<session-id>${r.b_session}</session-id>`))!;
    // An identity: printed with a prefix of its module's namespace.
    expect(b).toMatch(/<transport xmlns:(\w+)="urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring">\1:netconf-ssh<\/transport>/);
    expect(b).toContain('<username>admin</username>');
    expect(b).toContain('<source-host>127.0.0.1</source-host>');
    // Two get-configs and one unknown operation: three rpcs, one of them answered with an rpc-error.
    expect(b).toContain('<in-rpcs>3</in-rpcs>');
    expect(b).toContain('<in-bad-rpcs>0</in-bad-rpcs>');
    expect(b).toContain('<out-rpc-errors>1</out-rpc-errors>');
    const inSessions = Number(/<statistics>[\s\S]*?<in-sessions>(\d+)<\/in-sessions>/.exec(r.state)?.[1]);
    expect(inSessions).toBeGreaterThanOrEqual(2);
    expect(r.state).toMatch(/<netconf-start-time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)<\/netconf-start-time>/);
  });
});
