// RFC 6241 §7 base operations (edit-config, get-config with subtree and
// :xpath filters, copy-config, validate, lock/unlock, commit, kill-session) and
// the rpc-errors they earn (§4.3, Appendix A), driven by python3-ncclient
// against the agent. close-session and kill-session over our own client, with
// the session-end events: test/netconf/session.test.ts; their handlers alone:
// test/netconf/session-operations.test.ts.
import { describe, expect, it } from 'vitest';
import { agentForConformance, type RpcErr } from './ncclient.js';

const { scenario } = agentForConformance();

describe('RFC 6241 base operations (ncclient against the agent)', () => {
  it('edits candidate, commits, and reads back through subtree and xpath filters', async () => {
    const r = await scenario<Record<string, string | RpcErr | string[] | boolean>>('edit-and-read');
    expect(r.running_before_commit).not.toContain('<bgp');
    expect(r.subtree_server1).toContain('<address>127.0.1.1</address>');
    expect(r.subtree_server1).not.toContain('127.0.2.1');
    // Content match node plus a selection node: only id and address of server 2.
    expect(r.subtree_address_only).toContain('<address>127.0.2.1</address>');
    expect(r.subtree_address_only).not.toContain('<description>');
    expect(r.xpath_module_prefix).toContain('<description>SERVER2</description>');
    expect(r.xpath_module_prefix).not.toContain('<address>');
    expect(r.xpath_declared_prefix).toContain('<delay>30</delay>');
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

  it('kill-session ends another session; killing its own or an unknown session is invalid-value', async () => {
    const r = await scenario<Record<string, RpcErr | number | boolean>>('kill-session');
    expect((r.own as RpcErr).tag).toBe('invalid-value');
    expect((r.unknown as RpcErr).tag).toBe('invalid-value');
    expect((r.unknown as RpcErr).message).toContain('no session 4000000000');
    expect(r.kill).toBe(true);
    expect(r.b_connected_after).toBe(false);
    expect(r.a_still_answers).toBe(true);
  });

  it('two sessions contend for a lock; it is released when its holder leaves', async () => {
    const r = await scenario<Record<string, RpcErr | number | string | boolean>>('locks');
    const denied = r.b_lock as RpcErr;
    expect(denied.tag).toBe('lock-denied');
    expect(denied.info).toContain(`<session-id>${r.a_session}</session-id>`);
    expect((r.b_edit as RpcErr).tag).toBe('in-use');
    expect(r.monitoring_datastores).toContain(`<locked-by-session>${r.a_session}</locked-by-session>`);
    expect(r.b_lock_after_a_closed).toBe(true);
  });
});
