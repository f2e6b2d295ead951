// The NETCONF operations of RFC 6241, 6022, 6243 and 5277/6470 driven by a
// real client (python3-ncclient) against the real agent process.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runPython, startAgent, type RunningAgent } from '../support/agent.js';

const SCRIPT = join(ROOT, 'test', 'netconf', 'clients', 'conformance.py');
let agent: RunningAgent;

beforeAll(async () => { agent = await startAgent(); });
afterAll(async () => { await agent?.stop(); });

interface RpcErr { tag: string; type: string; message: string; path: string | null; info: string | null }

describe('ncclient against the agent', () => {
  it('edits candidate, commits, and reads back through filters and every with-defaults mode', async () => {
    const r = await runPython<Record<string, string | RpcErr | string[] | boolean>>(SCRIPT, ['edit-and-read', agent.port]);
    expect(r.running_before_commit).not.toContain('<bgp');
    expect(r.subtree_server1).toContain('<address>127.0.1.1</address>');
    expect(r.subtree_server1).not.toContain('127.0.2.1');
    // Content match node plus a selection node: only id and address of server 2.
    expect(r.subtree_address_only).toContain('<address>127.0.2.1</address>');
    expect(r.subtree_address_only).not.toContain('<description>');
    expect(r.xpath_module_prefix).toContain('<description>SERVER2</description>');
    expect(r.xpath_module_prefix).not.toContain('<address>');
    expect(r.xpath_declared_prefix).toContain('<delay>30</delay>');
    // listen/port is never set: its default 179 shows only where the mode reports defaults (RFC 6243 §3).
    expect(r.wd_explicit).not.toContain('<port>179</port>');
    expect(r.wd_explicit).toContain('<dscp>7</dscp>');
    expect(r.wd_trim).not.toContain('<port>179</port>');
    expect(r.wd_report_all).toContain('<port>179</port>');
    expect(r.wd_report_all_tagged).toMatch(/<port [^>]*default="true"[^>]*>179<\/port>/);
    expect(r.wd_report_all_tagged).toContain('<dscp>7</dscp>');
    const [first, second] = r.canonical_twice as string[];
    expect(first).toBe(second);
    const exists = r.create_existing as RpcErr;
    expect(exists.tag).toBe('data-exists');
    expect(exists.path).toBe("/bmpd:bgp/bmpd:bmp/bmpd:server[bmpd:id='1']");
    const badPort = r.bad_port as RpcErr;
    expect(badPort.tag).toBe('invalid-value');
    expect(badPort.path).toContain('bmpd:port-number');
    expect((r.unknown_element as RpcErr).tag).toBe('unknown-element');
    // Neighbors' bmp-activate still names server 2: the leafref keeps it.
    expect((r.delete_referenced as RpcErr).tag).toBe('data-missing');
    expect((r.delete_referenced as RpcErr).message).toContain('leafref');
    expect(r.after_delete).toContain('<id>2</id>');
    expect(r.after_delete).not.toContain('<id>3</id>');
    expect(r.startup).toContain('<id>1</id>');
    expect(r.validate_candidate).toBe(true);
  });

  it('two sessions contend for a lock; it is released when its holder leaves', async () => {
    const r = await runPython<Record<string, RpcErr | number | string | boolean>>(SCRIPT, ['locks', agent.port]);
    const denied = r.b_lock as RpcErr;
    expect(denied.tag).toBe('lock-denied');
    expect(denied.info).toContain(`<session-id>${r.a_session}</session-id>`);
    expect((r.b_edit as RpcErr).tag).toBe('in-use');
    expect(r.monitoring_datastores).toContain(`<locked-by-session>${r.a_session}</locked-by-session>`);
    expect(r.b_lock_after_a_closed).toBe(true);
  });

  it('a confirmed commit without confirmation rolls back after its timeout', async () => {
    const r = await runPython<Record<string, string>>(SCRIPT, ['confirmed-timeout', agent.port]);
    expect(r.during).toContain('CONFIRM-ME');
    expect(r.after_timeout).not.toContain('CONFIRM-ME');
  });

  it('a confirmed commit that is confirmed stays past its original timeout', async () => {
    const r = await runPython<Record<string, string | boolean>>(SCRIPT, ['confirmed-then-confirmed', agent.port]);
    expect(r.during).toContain('CONFIRMED');
    expect(r.confirm).toBe(true);
    expect(r.after_timeout).toContain('CONFIRMED');
  });

  it('a persistent confirmed commit outlives its session and is confirmed by persist-id from another', async () => {
    const r = await runPython<Record<string, string | boolean | RpcErr>>(SCRIPT, ['confirmed-persist', agent.port]);
    expect(r.after_owner_left).toContain('PERSIST');
    expect((r.wrong_id as RpcErr).tag).toBe('invalid-value');
    expect(r.confirm).toBe(true);
    expect(r.after_confirm).toContain('PERSIST');
  });

  it('a non-persistent confirmed commit is rolled back when its session ends', async () => {
    const r = await runPython<Record<string, string>>(SCRIPT, ['confirmed-session-end', agent.port]);
    // The change took effect first, so its absence afterwards is the rollback's doing.
    expect(r.during).toContain('SESSION-BOUND');
    expect(r.after_owner_left).not.toContain('SESSION-BOUND');
  });

  it('get-schema returns every listed module, and yanglint accepts them all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bmpd-schemas-'));
    try {
      const r = await runPython<{ files: string[] }>(SCRIPT, ['schemas', agent.port, dir]);
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

  it('a subscribed session receives netconf-config-change after another session commits', async () => {
    const r = await runPython<{ notifications: string[]; writer_session: number }>(SCRIPT, ['notification', agent.port]);
    const change = r.notifications.find((n) => n.includes('netconf-config-change'));
    expect(change).toBeDefined();
    expect(change).toContain(`<session-id>${r.writer_session}</session-id>`);
    expect(change).toContain("bmpd:server[bmpd:id='10']");
    expect(r.notifications.some((n) => n.includes('netconf-session-start'))).toBe(true);
  });
});
