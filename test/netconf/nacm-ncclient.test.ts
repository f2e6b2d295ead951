// NACM (RFC 8341) against the real agent process, as three users made with
// bmpd-adduser see it through python3-ncclient: admin (the factory rule-list),
// operator (read-only, one bmpd RPC denied) and automation (BMP servers only);
// the recovery session; users changed under a running agent (SIGHUP).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runPython, startAgent, type RunningAgent } from '../support/agent.js';

const SCRIPT = join(ROOT, 'test', 'netconf', 'clients', 'nacm.py');
const ADDUSER = join(ROOT, 'dist', 'src', 'adduser.js');
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bmpd-nacm-'));
  dirs.push(d);
  return d;
}

/** bmpd-adduser as an operator runs it; resolves with its exit code and output. */
async function adduser(dir: string, args: string[], password?: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [ADDUSER, '--state-dir', dir, ...args, ...(password !== undefined ? ['--password-stdin'] : [])],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  child.stdin.end(password !== undefined ? `${password}\n` : '');
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  return { code, out };
}

async function user(dir: string, name: string, groups: string[], extra: string[] = []): Promise<void> {
  const r = await adduser(dir, ['--name', name, ...groups.flatMap((g) => ['--group', g]), ...extra], `${name}-password`);
  expect(r.code, r.out).toBe(0);
}

interface RpcErr { tag: string; type: string; message: string; path: string | null; info: string | null }
type Attempt = 'ok' | RpcErr;

async function until(what: () => boolean, label: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (what()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${label}`);
}

const logged = (agent: RunningAgent, msg: string) => agent.logs.filter((l) => l.msg === msg);

describe('NACM with three users (ncclient)', () => {
  it('admin may do everything, operator only read, automation only BMP servers; the password stays hidden and the counters count', async () => {
    const dir = stateDir();
    await user(dir, 'admin', ['admin']);
    await user(dir, 'operator', ['operators']);
    await user(dir, 'automation', ['automation']);
    const agent = await startAgent({ stateDir: dir });
    let r: Record<string, unknown>;
    try {
      r = await runPython(SCRIPT, ['three-users', agent.port, ROOT], 120_000);
    } finally {
      await agent.stop();
    }
    // SPEC §4 factory configuration.
    expect(r.factory).toContain('<name>admin</name>');
    expect(r.factory).toMatch(/<group>admin<\/group>[\s\S]*<module-name>\*<\/module-name>[\s\S]*<access-operations>\*<\/access-operations>[\s\S]*<action>permit<\/action>/);
    expect(r.factory).toContain('<write-default>deny</write-default>');

    // The operator reads everything but the password and /nacm, filters included.
    expect(r.admin_get_config).toContain('md5-s3cret-key');
    for (const key of ['op_get_config', 'op_get', 'op_subtree_password', 'op_xpath_password', 'op_content_match', 'op_nacm']) {
      expect(r[key], key).not.toContain('s3cret');
      expect(r[key], key).not.toContain('<password');
      expect(r[key], key).not.toContain('rule-list');
    }
    expect(r.op_get_config).toContain('<address>127.0.3.1</address>');
    expect(r.op_get).toContain('<netconf-state');
    expect(r.op_content_match).not.toContain('<neighbor');

    const denied = r.op_denied as Record<string, RpcErr>;
    for (const [name, e] of Object.entries(denied)) expect(e.tag, name).toBe('access-denied');
    // Data writes carry the node (RFC 8341 §3.4.5); denied operations the operation (§3.4.4).
    expect(denied.edit_running!).toMatchObject({ type: 'application', path: "/bmpd:bgp/bmpd:bmp/bmpd:server[bmpd:id='1']/bmpd:description" });
    expect(denied.edit_candidate!.path).toBe("/bmpd:bgp/bmpd:bmp/bmpd:server[bmpd:id='1']/bmpd:description");
    expect(denied.nacm_off!.path).toBe('/ietf-netconf-acm:nacm/ietf-netconf-acm:enable-nacm');
    expect(denied.copy_to_startup!.type).toBe('application');
    for (const op of ['commit', 'delete_startup', 'kill_admin', 'reset_neighbor']) expect(denied[op]!.type, op).toBe('protocol');
    expect(r.op_reset_server).toBe('ok');
    expect(r.op_stores_unchanged).toBe(true);

    const auto = r.automation as Record<string, Attempt | string | boolean>;
    expect(auto.create_server).toBe('ok');
    expect(auto.commit_create).toBe('ok');
    expect(auto.update_server).toBe('ok');
    expect(auto.after_update).toContain('<description>AUTO</description>');
    expect(auto.neighbor).toMatchObject({ tag: 'access-denied', path: "/bmpd:bgp/bmpd:neighbor[bmpd:address='127.0.9.9']" });
    expect(auto.buffer_size).toMatchObject({ tag: 'access-denied', path: '/bmpd:bgp/bmpd:bmp/bmpd:buffer-size' });
    expect(auto.nacm).toMatchObject({ tag: 'access-denied', path: '/ietf-netconf-acm:nacm/ietf-netconf-acm:write-default' });
    expect(auto.stores_unchanged).toBe(true);
    expect(auto.delete_server).toBe('ok');
    expect(auto.after_delete).not.toContain('<id>3</id>');

    // netconf-config-change: changed-by names the admin (RFC 6470); the operator's copy leaves out the password edit.
    const adminEvents = (r.admin_notifications as string[]).filter((n) => n.includes('netconf-config-change'));
    const full = adminEvents.find((n) => n.includes('password'))!;
    expect(full).toContain(`<username>admin</username><session-id>${r.admin_session}</session-id><source-host>127.0.0.1</source-host>`);
    expect(full).toContain("bmpd:server[bmpd:id='1']/bmpd:description");
    const operatorEvents = (r.op_notifications as string[]).filter((n) => n.includes('netconf-config-change'));
    const seen = operatorEvents.find((n) => n.includes("bmpd:server[bmpd:id='1']/bmpd:description"));
    expect(seen).toBeDefined();
    expect(seen).not.toContain('password');
    // The operator's rule denies session-start events: it got none.
    expect((r.op_notifications as string[]).some((n) => n.includes('netconf-session-start'))).toBe(false);
    expect((r.admin_notifications as string[]).length).toBeGreaterThan(0);

    const allowed = r.admin_allowed as Record<string, Attempt>;
    for (const [name, a] of Object.entries(allowed)) expect(a, name).toBe('ok');

    // §3.2 counters: 4 operations and 4 writes denied to the operator, 3 to automation; one notification per session start the operator was denied.
    const before = r.counters_before as Record<string, number>;
    const after = r.counters_after as Record<string, number>;
    expect(after['denied-operations']! - before['denied-operations']!).toBe(4);
    expect(after['denied-data-writes']! - before['denied-data-writes']!).toBe(7);
    expect(after['denied-notifications']! - before['denied-notifications']!).toBe(r.session_starts_after_operator_subscribed);

    // Who did what: one audit line per change of running or startup.
    const audit = agent.logs.filter((l) => l.msg === 'configuration changed');
    expect(audit).toContainEqual(expect.objectContaining({ user: 'automation', session: r.automation_session, from: '127.0.0.1',
      operation: 'commit', target: 'running', changedNodes: expect.any(Number) }));
    expect(audit).toContainEqual(expect.objectContaining({ user: 'admin', operation: 'copy-config', target: 'startup' }));
    expect(audit).toContainEqual(expect.objectContaining({ user: 'admin', operation: 'delete-config', target: 'startup' }));
    expect(audit.every((l) => typeof l.changedNodes === 'number' && (l.changedNodes as number) >= 0)).toBe(true);
    // The operator's copy of running to startup is refused at its source (it may not read the password).
    expect(agent.logs.filter((l) => l.msg === 'NACM denied a write').length).toBe(6);
    expect(logged(agent, 'NACM denied copy-config: the source holds data the session may not read'))
      .toEqual([expect.objectContaining({ user: 'operator', source: 'running' })]);
  });
});

describe('recovery (RFC 8341 §3.4.1)', () => {
  it('a user the users file marks recovery undoes a lockout of the admin group', async () => {
    const dir = stateDir();
    await user(dir, 'admin', ['admin']);
    await user(dir, 'rescue', [], ['--recovery', 'on']);
    const agent = await startAgent({ stateDir: dir });
    try {
      const r = await runPython<Record<string, Attempt>>(SCRIPT, ['lockout-and-recovery', agent.port, 'admin-password', 'rescue', 'rescue-password']);
      expect(r.lockout).toBe('ok');
      expect(r.admin_after_lockout).toMatchObject({ tag: 'access-denied' });
      expect(r.rescuer_write).toBe('ok');
      expect(r.admin_after_rescue).toBe('ok');
    } finally {
      await agent.stop();
    }
  });

  it('without a users file the loopback admin/admin is the recovery session', async () => {
    const agent = await startAgent();
    try {
      const r = await runPython<Record<string, Attempt>>(SCRIPT, ['lockout-and-recovery', agent.port, 'admin', 'admin', 'admin']);
      expect(r.lockout).toBe('ok');
      // NACM never restricts it: the lockout does not lock it out.
      expect(r.admin_after_lockout).toBe('ok');
      expect(r.rescuer_write).toBe('ok');
    } finally {
      await agent.stop();
    }
  });
});

describe('users changed under a running agent (bmpd-adduser, SIGHUP)', () => {
  it('replaced groups apply to open sessions, a removed user\'s session ends, a malformed file keeps the users', async () => {
    const dir = stateDir();
    await user(dir, 'admin', ['admin']);
    await user(dir, 'operator', ['operators']);
    await user(dir, 'automation', ['automation']);
    const agent = await startAgent({ stateDir: dir });
    try {
      const go = join(dir, 'go');
      const opened = () => logged(agent, 'NETCONF hello exchanged').length;
      const operatorRun = runPython<{ session: number; write: Attempt | { closed: string } }>(SCRIPT, ['session', agent.port, 'operator', go]);
      const automationRun = runPython<{ session: number; write: Attempt | { closed: string } }>(SCRIPT, ['session', agent.port, 'automation', go]);
      await until(() => opened() >= 2, 'both sessions');
      expect((await adduser(dir, ['--name', 'operator', '--group', 'admin'])).code).toBe(0);
      const removed = await adduser(dir, ['--name', 'automation', '--remove']);
      expect(removed.code).toBe(0);
      expect(removed.out).toContain('removed');
      expect((await adduser(dir, ['--name', 'nobody', '--remove'])).code).toBe(1);
      process.kill(agent.pid, 'SIGHUP');
      await until(() => logged(agent, 'NETCONF users reloaded').length === 1, 'the reload');
      expect(logged(agent, 'NETCONF users reloaded')[0]).toMatchObject({ sessionsEnded: 1 });
      writeFileSync(go, '');
      const [operator, automation] = await Promise.all([operatorRun, automationRun]);
      // Now in group admin: the factory rule permits the write in the session opened before.
      expect(operator.write).toBe('ok');
      expect(automation.write).toHaveProperty('closed');
      await expect(runPython(SCRIPT, ['session', agent.port, 'automation', go])).rejects.toThrow(/Authentication|auth/i);

      writeFileSync(join(dir, 'users.json'), '{"users": [{"name": "x", "groups": "admin"}]}', { mode: 0o600 });
      process.kill(agent.pid, 'SIGHUP');
      await until(() => agent.logs.some((l) => /^users file not reloaded/.test(String(l.msg))), 'the refused reload');
      expect(agent.logs.find((l) => /^users file not reloaded/.test(String(l.msg)))!.msg).toContain('groups must be a list of strings');
      expect((await runPython<{ write: Attempt }>(SCRIPT, ['session', agent.port, 'operator', go])).write).toBe('ok');
      expect(existsSync(go)).toBe(true);
    } finally {
      await agent.stop();
    }
  });
});
