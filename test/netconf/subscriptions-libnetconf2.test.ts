// RFC 8639/8641 subscriptions through the second independent client: Debian's libnetconf2 (the
// library of netopeer2-cli), which builds its schema context from the agent's yang-library and
// <get-schema> and refuses to subscribe without ietf-subscribed-notifications in it. Against the
// real agent process and a real pmbmpd collector: periodic push-update at its period ±10 %,
// on-change push-change-update within 1 s of pmbmpd stopping (by pid) and of its return,
// sync-on-start, kill-subscription from another session, and NACM on the RPCs (an exec rule on
// establish-subscription, kill-subscription's default-deny-all for a non-admin user).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pmbmpd } from '../bmp/integration/pmbmpd.js';
import { ROOT, startAgent, type RunningAgent } from '../support/agent.js';
import { buildLibnetconf2Client, libnetconf2, subscribe, type ClientLine, type ClientLogin, type Subscriber } from '../support/libnetconf2-client.js';

const BMPD = 'urn:bmpd:yang:bmpd';
const NACM = 'urn:ietf:params:xml:ns:yang:ietf-netconf-acm';
const COLLECTOR = { host: '127.0.42.1', port: 11042 };
const OPERATIONAL = 'ietf-datastores:operational';
const STATUS = '/bmpd:bgp/bmp/server/state/status';

let agent: RunningAgent;
let client: string;
let dir: string;
let stateDir: string;
const running: Subscriber[] = [];

const login = (user = 'admin'): ClientLogin => ({ port: agent.port, user, password: `${user}-password` });
const notification = (name: string) => (l: ClientLine) => l.type === 'notification' && l.xml.includes(`<${name}`);
const notifications = (s: Subscriber, name: string) => s.lines.filter(notification(name)) as Extract<ClientLine, { type: 'notification' }>[];

function start(command: string, args: string[], user = 'admin'): Subscriber {
  const s = subscribe(client, login(user), command, args);
  running.push(s);
  return s;
}

/** The id in an establish-subscription reply line. */
async function idOf(s: Subscriber): Promise<string> {
  const reply = await s.waitFor((l) => l.type === 'reply', 30_000);
  expect(reply, s.stderr()).toHaveProperty('data');
  return /<id[^>]*>(\d+)<\/id>/.exec((reply as { data: string }).data)![1]!;
}

/** bmpd-adduser, the password ('<name>-password') on stdin. */
async function adduser(name: string, group: string): Promise<void> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'adduser.js'), '--state-dir', stateDir, '--name', name, '--group', group, '--password-stdin'],
    { stdio: ['pipe', 'ignore', 'inherit'] });
  child.stdin!.end(`${name}-password\n`);
  expect(await new Promise((r) => child.once('exit', r))).toBe(0);
}

async function editRunning(config: string): Promise<void> {
  const r = await libnetconf2(client, login(), 'edit-data', ['ietf-datastores:running', config]);
  expect(r.lines, r.stderr).toEqual([{ type: 'reply', ok: true }]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bmpd-subs-nc2-'));
  stateDir = mkdtempSync(join(tmpdir(), 'bmpd-subs-nc2-state-'));
  await adduser('admin', 'admin');
  await adduser('viewer', 'viewers');
  await adduser('barred', 'barred');
  [client, agent] = await Promise.all([buildLibnetconf2Client(), startAgent({ stateDir })]);
  // barred may not establish subscriptions (an exec rule); viewer has no rule at all.
  await editRunning(`<nacm xmlns="${NACM}"><rule-list><name>barred</name><group>barred</group><rule><name>no-subscriptions</name>` +
    '<module-name>ietf-subscribed-notifications</module-name><rpc-name>establish-subscription</rpc-name>' +
    '<access-operations>exec</access-operations><action>deny</action></rule></rule-list></nacm>');
}, 120_000);

afterAll(async () => {
  for (const s of running) await s.stop();
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
});

describe('subscriptions with libnetconf2', () => {
  it('the yang-library lists the subscription modules with the features bmpd implements (no configured subscriptions)', async () => {
    const r = await libnetconf2(client, login(), 'get-data', [OPERATIONAL, '--filter', '/ietf-yang-library:yang-library/module-set/module']);
    const text = JSON.stringify(r.lines);
    const module = (name: string) => new RegExp(`<module><name>${name}</name>(.*?)</module>`).exec(text)?.[1] ?? '';
    const features = (name: string) => [...module(name).matchAll(/<feature>([^<]+)<\/feature>/g)].map((m) => m[1]).sort();
    expect(module('ietf-subscribed-notifications'), r.stderr).toContain('<revision>2019-09-09</revision>');
    expect(features('ietf-subscribed-notifications')).toEqual(['encode-xml', 'replay', 'subtree', 'xpath']);
    expect(features('ietf-yang-push')).toEqual(['on-change']);
  });

  it('a periodic subscription delivers push-update at its period ±10 %', async () => {
    const s = start('establish-push-periodic', [OPERATIONAL, '100', '--filter', '/bmpd:agent', '--count', '6']);
    const id = await idOf(s);
    await s.waitFor((l) => l.type === 'end', 20_000);
    const updates = notifications(s, 'push-update');
    expect(updates.length, s.stderr()).toBe(6);
    for (const u of updates) expect(u.xml).toMatch(new RegExp(`<id>${id}</id>[\\s\\S]*<sys-name>`));
    const gaps = updates.slice(1).map((u, i) => u.received - updates[i]!.received);
    for (const gap of gaps) expect(gap, `gaps ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(900);
    for (const gap of gaps) expect(gap, `gaps ${gaps.join(', ')} ms`).toBeLessThanOrEqual(1100);
  }, 30_000);

  it('on-change: sync-on-start, then push-change-update within 1 s after pmbmpd stops, and again when it is back', async () => {
    let collector = await Pmbmpd.start(dir, COLLECTOR.host, COLLECTOR.port);
    try {
      await editRunning(`<bgp xmlns="${BMPD}"><as-number>65000</as-number><router-id>127.0.42.2</router-id><bmp><server><id>1</id><activate/>` +
        `<address>${COLLECTOR.host}</address><port-number>${COLLECTOR.port}</port-number><initial-delay>1</initial-delay>` +
        '<failure-retry-delay>1</failure-retry-delay><flapping-delay>1</flapping-delay></server></bmp></bgp>');
      for (const deadline = Date.now() + 15_000; ;) {
        const r = await libnetconf2(client, login(), 'get-data', [OPERATIONAL, '--filter', STATUS]);
        if (JSON.stringify(r.lines).includes('<status>up</status>')) break;
        if (Date.now() > deadline) throw new Error(`server never up: ${JSON.stringify(r.lines)} ${r.stderr}`);
        await new Promise((res) => setTimeout(res, 200));
      }
      const s = start('establish-push-onchange', [OPERATIONAL, '--filter', STATUS, '--sync-on-start']);
      // The stream subscription tells when the agent saw the collector come back (its eventTime).
      const events = start('establish-sub', ['NETCONF', '--filter', `<bmp-server-state-change xmlns="${BMPD}"/>`]);
      await idOf(s);
      await idOf(events);
      const sync = await s.waitFor(notification('push-update'));
      expect((sync as { xml: string }).xml).toMatch(/<status>up<\/status>/);

      await collector.stop();
      const stoppedAt = Date.now();
      const down = await s.waitFor(notification('push-change-update'), 5000) as { xml: string; received: number };
      expect(down.received - stoppedAt).toBeLessThanOrEqual(1000);
      expect(down.xml).toContain('<target>/bmpd:bgp/bmp/server=1/state/status</target>');
      expect(down.xml).not.toMatch(/<status[^>]*>up<\/status>/);

      collector = await Pmbmpd.start(dir, COLLECTOR.host, COLLECTOR.port);
      const up = await s.waitFor((l) => notification('push-change-update')(l) && /<status[^>]*>up<\/status>/.test((l as { xml: string }).xml), 15_000) as { received: number };
      const event = await events.waitFor((l) => notification('bmp-server-state-change')(l) && /<status>up<\/status>/.test((l as { xml: string }).xml), 15_000) as { time: string };
      expect(up.received - Date.parse(event.time)).toBeLessThanOrEqual(1000);
    } finally {
      await collector.stop();
    }
  }, 60_000);

  it('kill-subscription from another session ends the subscription with subscription-terminated', async () => {
    const victim = start('establish-push-periodic', [OPERATIONAL, '100', '--filter', '/bmpd:agent']);
    const id = await idOf(victim);
    await victim.waitFor(notification('push-update'));
    const kill = await libnetconf2(client, login(), 'kill-sub', [id]);
    expect(kill.lines, kill.stderr).toEqual([{ type: 'reply', ok: true }]);
    const terminated = await victim.waitFor(notification('subscription-terminated')) as { xml: string };
    expect(terminated.xml).toContain(`<id>${id}</id>`);
    expect(terminated.xml).toMatch(/<reason[^>]*>\w+:no-such-subscription<\/reason>/);
    expect(await victim.waitFor((l) => l.type === 'end')).toEqual({ type: 'end', reason: 'subscription ended' });
  }, 30_000);

  it('NACM: an exec rule denies establish-subscription; kill-subscription is default-deny-all for a non-admin', async () => {
    const barred = await libnetconf2(client, login('barred'), 'establish-sub', ['NETCONF', '--count', '0']);
    expect(barred.lines, barred.stderr).toEqual([{ type: 'reply', errors: [expect.objectContaining({ tag: 'access-denied' })] }]);

    // viewer, whom no rule names, may subscribe (exec-default permit) but not kill its own subscription.
    const own = start('establish-push-periodic', [OPERATIONAL, '100', '--filter', '/bmpd:agent'], 'viewer');
    const id = await idOf(own);
    const kill = await libnetconf2(client, login('viewer'), 'kill-sub', [id]);
    expect(kill.lines, kill.stderr).toEqual([{ type: 'reply', errors: [expect.objectContaining({ tag: 'access-denied' })] }]);
    // The subscription lives on, and is in /subscriptions for an admin reader.
    const n = notifications(own, 'push-update').length;
    await own.waitFor(() => notifications(own, 'push-update').length > n, 5000);
    const state = await libnetconf2(client, login(), 'get-data', [OPERATIONAL, '--filter', '/ietf-subscribed-notifications:subscriptions']);
    expect(JSON.stringify(state.lines), state.stderr).toMatch(new RegExp(`<subscription><id>${id}</id>`));
  }, 30_000);
});
