// RFC 6243 with-defaults: the basic mode (explicit) and every mode of
// <with-defaults> on get-config, through python3-ncclient against the agent.
import { describe, expect, it } from 'vitest';
import { agentForConformance, type RpcErr } from './ncclient.js';

const { scenario } = agentForConformance();

describe('RFC 6243 with-defaults (ncclient against the agent)', () => {
  it('reports a default only in the modes that report defaults, tagged in report-all-tagged; an unknown mode is invalid-value', async () => {
    const r = await scenario<Record<string, string | RpcErr | string[]>>('with-defaults');
    expect(r.capabilities).toContain(
      'urn:ietf:params:netconf:capability:with-defaults:1.0?basic-mode=explicit&also-supported=report-all,report-all-tagged,trim');
    // listen/port is never set: its default 179 shows only where the mode reports defaults (RFC 6243 §3).
    expect(r.wd_explicit).not.toContain('<port>179</port>');
    expect(r.wd_explicit).toContain('<dscp>7</dscp>');
    expect(r.wd_trim).not.toContain('<port>179</port>');
    expect(r.wd_report_all).toContain('<port>179</port>');
    expect(r.wd_report_all_tagged).toMatch(/<port [^>]*default="true"[^>]*>179<\/port>/);
    expect(r.wd_report_all_tagged).toContain('<dscp>7</dscp>');
    expect((r.unknown_mode as RpcErr).tag).toBe('invalid-value');
  });
});
