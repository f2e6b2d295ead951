// NACM (RFC 8341) against the real agent process, as three users made with
// bmpd-adduser see it through python3-ncclient: admin (the factory rule-list),
// operator (read-only, one bmpd RPC denied) and automation (BMP servers only);
// the recovery session; users changed under a running agent (SIGHUP).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Daemon, freePort, gobgpdToml, startGobgpd, tempDir, waitFor } from '../bgp/integration/daemons.js';
import { Pmbmpd } from '../bmp/integration/pmbmpd.js';
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
    // RFC 8341 §3.4.6: permitted the event type, the operator gets every edit, the password's path
    // included; a notification never carries the password itself.
    expect(seen).toContain("bmpd:neighbor[bmpd:address='127.0.3.1']/bmpd:password");
    for (const n of r.op_notifications as string[]) expect(n).not.toContain('s3cret');
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

describe('rule paths (RFC 8341 §3.2.5: node-instance-identifiers)', () => {
  it('a rule path with a wildcard is refused with invalid-value at the rule\'s path, and /nacm is unchanged', async () => {
    const dir = stateDir();
    await user(dir, 'admin', ['admin']);
    const agent = await startAgent({ stateDir: dir });
    try {
      const rule = (name: string, path: string) => `<config><nacm xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-acm" xmlns:b="urn:bmpd:yang:bmpd">` +
        `<rule-list><name>paths</name><group>operators</group><rule><name>${name}</name><module-name>bmpd</module-name>` +
        `<path>${path}</path><access-operations>read</access-operations><action>deny</action></rule></rule-list></nacm></config>`;
      const file = join(dir, 'rule.xml');
      writeFileSync(file, rule('every-password', '/b:bgp/b:*/b:password'));
      const refused = (await runPython<{ edit: Attempt }>(SCRIPT, ['edit', agent.port, 'admin', file])).edit as RpcErr;
      expect(refused).toMatchObject({ tag: 'invalid-value', type: 'application',
        path: "/ietf-netconf-acm:nacm/ietf-netconf-acm:rule-list[ietf-netconf-acm:name='paths']/ietf-netconf-acm:rule[ietf-netconf-acm:name='every-password']/ietf-netconf-acm:path" });
      expect(refused.message).toContain('node-instance-identifier (RFC 8341 3.2.5)');
      const nacm = async () => (await runPython<{ data: string }>(SCRIPT, ['get', agent.port, 'admin', '/ietf-netconf-acm:nacm/rule-list'])).data;
      expect(await nacm()).not.toContain('<name>paths</name>');
      // The same rule as an instance-identifier is taken.
      writeFileSync(file, rule('one-password', "/b:bgp/b:neighbor[b:address='127.0.3.1']/b:password"));
      expect((await runPython<{ edit: Attempt }>(SCRIPT, ['edit', agent.port, 'admin', file])).edit).toBe('ok');
      expect(await nacm()).toContain('<name>one-password</name>');
    } finally {
      await agent.stop();
    }
  });
});

// RFC 8341 §3.4.6 with real subscribers and real events: gobgpd neighbors and pmbmpd collectors
// stopped by pid while admin, operator and quiet are subscribed. Addresses of this test: bmpd
// 127.0.25.1 (BGP port 17926); gobgpd 127.0.25.2 and .3 (APIs :50252, :50253); pmbmpd .10 and .11.
describe('notifications under NACM with real neighbors and collectors (RFC 8341 §3.4.6)', () => {
  const BMPD = '127.0.25.1';
  const HIDDEN = { address: '127.0.25.2', api: '127.0.25.2:50252', as: 65252 };
  const SHOWN = { address: '127.0.25.3', api: '127.0.25.3:50253', as: 65253 };
  const BGP_PORT = 17926;
  const NS = 'urn:bmpd:yang:bmpd';
  const NACM = 'urn:ietf:params:xml:ns:yang:ietf-netconf-acm';
  const daemons: Daemon[] = [];
  const collectors: Pmbmpd[] = [];
  let agent: RunningAgent | undefined;

  afterAll(async () => {
    await agent?.stop();
    for (const d of daemons) await d.stop();
    for (const c of collectors) await c.stop();
  });

  const events = (xmls: string[], name: string) => xmls.filter((x) => x.includes(`<${name} `));
  const about = (xmls: string[], name: string, text: string) => events(xmls, name).filter((x) => x.includes(text));

  it('a user denied reading a neighbor or a server still gets their events, whole; a user denied the event type gets none of that type; the counter counts those', async () => {
    const dir = stateDir();
    await user(dir, 'admin', ['admin']);
    await user(dir, 'operator', ['operators']);
    await user(dir, 'quiet', ['quiet']);
    const [aDir, bDir] = [tempDir('nacm-notify-a'), tempDir('nacm-notify-b')];
    dirs.push(aDir, bDir);
    const [a, b] = [await Pmbmpd.start(aDir, '127.0.25.10', await freePort('127.0.25.10')),
      await Pmbmpd.start(bDir, '127.0.25.11', await freePort('127.0.25.11'))];
    collectors.push(a, b);
    for (const g of [HIDDEN, SHOWN]) {
      const gDir = tempDir('nacm-notify-gobgpd');
      dirs.push(gDir);
      daemons.push(await startGobgpd({ dir: gDir, api: g.api, toml: gobgpdToml({ as: g.as, routerId: g.address, port: -1, localAddresses: [g.address] },
        [{ address: BMPD, peerAs: 65000, localAddress: g.address, remotePort: BGP_PORT }]) }));
    }
    agent = await startAgent({ stateDir: dir });
    const port = agent.port;
    const neighbor = (g: typeof HIDDEN) => `<neighbor><address>${g.address}</address><remote-as>${g.as}</remote-as><passive>true</passive>` +
      '<bmp-activate><all/></bmp-activate></neighbor>';
    const server = (id: number, c: Pmbmpd) => `<server><id>${id}</id><activate/><address>${c.host}</address><port-number>${c.port}</port-number>` +
      '<initial-delay>1</initial-delay><update-source>lo</update-source></server>';
    const config = join(dir, 'config.xml');
    writeFileSync(config, `<config><bgp xmlns="${NS}"><as-number>65000</as-number><router-id>${BMPD}</router-id>
      <listen><address>${BMPD}</address><port>${BGP_PORT}</port></listen>
      <bmp>${server(1, a)}${server(2, b)}</bmp>${neighbor(HIDDEN)}${neighbor(SHOWN)}</bgp>
      <nacm xmlns="${NACM}" xmlns:b="${NS}">
        <rule-list><name>operators</name><group>operators</group>
          <rule><name>hide-neighbor</name><module-name>bmpd</module-name><path>/b:bgp/b:neighbor[b:address='${HIDDEN.address}']</path>
            <access-operations>read</access-operations><action>deny</action></rule>
          <rule><name>hide-server-2</name><module-name>bmpd</module-name><path>/b:bgp/b:bmp/b:server[b:id='2']</path>
            <access-operations>read</access-operations><action>deny</action></rule></rule-list>
        <rule-list><name>quiet</name><group>quiet</group>
          <rule><name>no-neighbor-events</name><module-name>bmpd</module-name><notification-name>bgp-neighbor-state-change</notification-name>
            <access-operations>read</access-operations><action>deny</action></rule></rule-list>
      </nacm></config>`);
    expect((await runPython<{ edit: Attempt }>(SCRIPT, ['edit', port, 'admin', config])).edit).toBe('ok');
    const get = async (who: string, xpath: string) => (await runPython<{ data: string }>(SCRIPT, ['get', port, who, xpath])).data;
    await waitFor('both neighbors established', async () => (await get('admin', '/bmpd:bgp/neighbor/state/session-state')).match(/>established</g)?.length === 2, 40_000, 200);
    await waitFor('both servers up', async () => (await get('admin', '/bmpd:bgp/bmp/server/state/status')).match(/>up</g)?.length === 2, 40_000, 200);
    // What the operator's rules hide from a read: that neighbor and that server.
    const seenByOperator = await get('operator', '/bmpd:bgp');
    expect(seenByOperator).toContain(SHOWN.address);
    expect(seenByOperator).not.toContain(HIDDEN.address);
    expect(seenByOperator).not.toContain(b.host);

    const counters = async () => Number(/<denied-notifications>(\d+)</.exec(await get('admin', '/ietf-netconf-acm:nacm/denied-notifications'))![1]);
    const stop = join(dir, 'stop');
    const subscribers = ['admin', 'operator', 'quiet'].map((who) => ({
      who,
      ready: join(dir, `${who}.ready`),
      run: undefined as Promise<{ notifications: string[] }> | undefined,
    }));
    for (const s of subscribers) s.run = runPython(SCRIPT, ['subscribe', port, s.who, s.ready, stop], 180_000);
    await waitFor('three subscriptions', () => subscribers.every((s) => existsSync(s.ready)), 40_000, 200);
    const before = await counters();

    // The events: both neighbors go down (gobgpd stopped by pid), then both collectors close.
    await daemons[0]!.stop();
    await waitFor('the hidden neighbor down', async () => (await get('admin', `/bmpd:bgp/neighbor[address='${HIDDEN.address}']/state/session-state`)).includes('>established<') === false, 40_000, 200);
    await daemons[1]!.stop();
    await b.stop();
    await a.stop();
    await waitFor('both servers down', async () => (await get('admin', '/bmpd:bgp/bmp/server/state/status')).match(/>up</g) === null, 40_000, 200);
    await new Promise((r) => setTimeout(r, 1000));
    const after = await counters();
    writeFileSync(stop, '');
    const [admin, operator, quiet] = await Promise.all(subscribers.map((s) => s.run!)).then((r) => r.map((x) => x.notifications));

    // The admin: every event.
    for (const g of [HIDDEN, SHOWN]) expect(about(admin!, 'bgp-neighbor-state-change', `<address>${g.address}</address>`).length, g.address).toBeGreaterThan(0);
    for (const id of [1, 2]) expect(about(admin!, 'bmp-server-state-change', `<server>${id}</server>`).length, `server ${id}`).toBeGreaterThan(0);
    // The operator may not read that neighbor or server, but may read the event types: it gets the same events, whole.
    expect(events(operator!, 'bgp-neighbor-state-change')).toEqual(events(admin!, 'bgp-neighbor-state-change'));
    expect(events(operator!, 'bmp-server-state-change')).toEqual(events(admin!, 'bmp-server-state-change'));
    expect(about(operator!, 'bmp-server-state-change', `<address>${b.host}</address>`).length).toBeGreaterThan(0);
    // quiet's rule denies one event type: none of it, the other type whole.
    expect(events(quiet!, 'bgp-neighbor-state-change')).toEqual([]);
    expect(events(quiet!, 'bmp-server-state-change')).toEqual(events(admin!, 'bmp-server-state-change'));
    // denied-notifications counts quiet's withheld events, and nothing else.
    expect(after - before).toBe(events(admin!, 'bgp-neighbor-state-change').length);
  }, 180_000);
});

