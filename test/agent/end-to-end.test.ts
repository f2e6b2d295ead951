// The whole agent with nothing simulated: the bmpd process, gobgpd and exabgp
// as BGP neighbors (IPv4 and IPv6; exabgp in a VRF), two pmbmpd collectors,
// ncclient committing the seed's configuration shape on loopback addresses.
//
// Addresses of this file: collectors 127.0.11.1:8000 and 127.0.12.1:9000
// (the seed's 10.1.1.1:8000 and 20.1.1.1:9000), bmpd 127.0.13.1:179, gobgpd
// 127.0.13.2 (API 127.0.13.2:50071), exabgp 127.0.13.3.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, exabgpNeighbor, gobgp, gobgpdToml, startExabgp, startGobgpd, waitFor } from '../bgp/integration/daemons.js';
import { scratchDirs } from '../support/scratch.js';
import { PcapCapture, Pmbmpd, type PmbmpdRecord } from '../bmp/integration/pmbmpd.js';
import { ROOT, runPython, startAgent, type RunningAgent } from '../support/agent.js';

const NC = join(ROOT, 'test', 'agent', 'clients', 'nc.py');
const BMPD = '127.0.13.1';
const GOBGP = '127.0.13.2';
const EXABGP = '127.0.13.3';
const GOBGP_API = `${GOBGP}:50071`;
const C1 = { host: '127.0.11.1', port: 8000 };
const C2 = { host: '127.0.12.1', port: 9000 };
const GOBGP_V4 = 10;
const GOBGP_V6 = 3;
const EXABGP_V4 = 5;
/** update-source lo: both stations leave from lo's first IPv4 address. */
const SOURCE = '127.0.0.1';

function server(id: number, c: { host: string; port: number }, dscp: number, activate = true): string {
  return `<server><id>${id}</id>${activate ? '<activate/>' : ''}<address>${c.host}</address><port-number>${c.port}</port-number>` +
    `<description>SERVER${id}</description><failure-retry-delay>2</failure-retry-delay><flapping-delay>4</flapping-delay>` +
    `<initial-delay>1</initial-delay><dscp>${dscp}</dscp><stats-reporting-period>2</stats-reporting-period>` +
    `<update-source>lo</update-source></server>`;
}

const CONFIG = `<config><bgp xmlns="urn:bmpd:yang:bmpd">
  <as-number>65000</as-number><router-id>${BMPD}</router-id>
  <listen><address>${BMPD}</address></listen>
  <bmp><buffer-size>2048</buffer-size><initial-refresh><delay>2</delay></initial-refresh>
    ${server(1, C1, 5)}${server(2, C2, 7)}</bmp>
  <neighbor><address>${GOBGP}</address><remote-as>65030</remote-as><update-source>${BMPD}</update-source>
    <timers><keepalive>10</keepalive><hold-time>30</hold-time></timers>
    <address-family><name>ipv4-unicast</name></address-family><address-family><name>ipv6-unicast</name></address-family>
    <bmp-activate><server>1</server><server>2</server></bmp-activate></neighbor>
  <vrf><name>vrf1</name><rd>65000:1</rd><address-family><afi>ipv4</afi>
    <neighbor><address>${EXABGP}</address><remote-as>65040</remote-as><passive>true</passive>
      <bmp-activate><server>1</server></bmp-activate></neighbor></address-family></vrf>
</bgp></config>`;

const DEACTIVATE_2 = `<config><bgp xmlns="urn:bmpd:yang:bmpd" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
  <bmp><server><id>2</id><activate nc:operation="delete"/></server></bmp></bgp></config>`;
const DEACTIVATE_1 = DEACTIVATE_2.replace('<id>2</id>', '<id>1</id>');

const gobgpdConf = gobgpdToml({ as: 65030, routerId: GOBGP, port: 179, localAddresses: [GOBGP] }, [
  { address: BMPD, peerAs: 65000, localAddress: GOBGP, families: ['ipv4-unicast', 'ipv6-unicast'] },
]);

// ExaBGP 4.2.21 drops the session on a ROUTE-REFRESH ("'RouteRefresh' object is not
// iterable"), so it runs without the capability: bmpd replays its Adj-RIB-In instead.
const exabgpConf = exabgpNeighbor({
  neighbor: BMPD, localAddress: EXABGP, localAs: 65040, peerAs: 65000, family: 'ipv4 unicast', routeRefresh: false,
  routes: Array.from({ length: EXABGP_V4 }, (_, i) => `route 10.40.${i}.0/24 next-hop 198.51.100.3 as-path [ 65040 64512 ];`),
});

const tempDir = scratchDirs();
const daemons: Daemon[] = [];
let c1: Pmbmpd;
let c2: Pmbmpd;
let agent: RunningAgent;
let stateDir: string;
/** Everything bmpd sends to collector 2, as on the wire. */
let capture2: PcapCapture;

const records = (c: Pmbmpd): PmbmpdRecord[] => c.records(SOURCE);
const ofType = (c: Pmbmpd, type: string) => records(c).filter((r) => r.bmp_msg_type === type);
/** Distinct prefixes pmbmpd logged as announced by a peer. */
function prefixes(c: Pmbmpd, peer: string): Set<string> {
  return new Set(ofType(c, 'route_monitor').filter((r) => r.peer_ip === peer && r.log_type !== 'withdraw').map((r) => String(r.ip_prefix)));
}

function tempFile(name: string, text: string): string {
  const d = tempDir('e2e-file');
  const f = join(d, name);
  writeFileSync(f, text);
  return f;
}

async function nc(...args: (string | number)[]): Promise<Record<string, unknown>> {
  const r = await runPython(NC, [agent.port, ...args], 90_000);
  if (r.error) throw new Error(`NETCONF error: ${JSON.stringify(r.error)}`);
  return r;
}

beforeAll(async () => {
  const d1 = tempDir('e2e-c1');
  const d2 = tempDir('e2e-c2');
  c1 = await Pmbmpd.start(d1, C1.host, C1.port);
  c2 = await Pmbmpd.start(d2, C2.host, C2.port);
  capture2 = await PcapCapture.start(join(d2, 'server2.pcap'), `tcp port ${C2.port}`);
  const gd = tempDir('e2e-gobgpd');
  const ed = tempDir('e2e-exabgp');
  const gobgpd = await startGobgpd({ dir: gd, toml: gobgpdConf, api: GOBGP_API });
  daemons.push(gobgpd);
  for (let i = 0; i < GOBGP_V4; i++) await gobgp(GOBGP_API, ['global', 'rib', 'add', `10.30.${i}.0/24`, 'nexthop', '198.51.100.3', '-a', 'ipv4']);
  for (let i = 0; i < GOBGP_V6; i++) await gobgp(GOBGP_API, ['global', 'rib', 'add', `fd00:30:${i}::/48`, 'nexthop', 'fd00::3', '-a', 'ipv6']);
  daemons.push(startExabgp({ dir: ed, conf: exabgpConf }));
  stateDir = tempDir('e2e-state');
  agent = await startAgent({ stateDir, keepStateDir: true });
}, 120_000);

afterAll(async () => {
  await capture2?.stop();
  await agent?.stop();
  for (const d of daemons) await d.stop();
  await c1?.stop();
  await c2?.stop();
});

describe('bmpd end to end', () => {
  it('each collector receives exactly what its activation says', async () => {
    await nc('edit', tempFile('seed.xml', CONFIG));
    await waitFor('collector 1 has every prefix of both neighbors', () =>
      prefixes(c1, GOBGP).size === GOBGP_V4 + GOBGP_V6 && prefixes(c1, EXABGP).size === EXABGP_V4, 60_000);
    await waitFor('collector 2 has every gobgpd prefix', () => prefixes(c2, GOBGP).size === GOBGP_V4 + GOBGP_V6, 60_000);
    expect(ofType(c1, 'init')).toHaveLength(1);
    expect(ofType(c2, 'init')).toHaveLength(1);
    const ups1 = ofType(c1, 'peer_up');
    expect(ups1.map((r) => r.peer_ip).sort()).toEqual([GOBGP, EXABGP].sort());
    expect(ups1.find((r) => r.peer_ip === EXABGP)).toMatchObject({ peer_type: 1, rd: '0:65000:1' });
    expect(ups1.find((r) => r.peer_ip === GOBGP)).toMatchObject({ peer_type: 0, peer_asn: 65030 });
    // Server 2 is not activated for the VRF neighbor: nothing of it there.
    expect(records(c2).filter((r) => r.peer_ip === EXABGP)).toEqual([]);
    await waitFor('statistics reports at both collectors', () => ofType(c1, 'stats').length > 0 && ofType(c2, 'stats').length > 0, 20_000);
  }, 150_000);

  it('get returns state matching what the collectors received', async () => {
    const { data } = await nc('get', '/bmpd:bgp') as { data: string };
    expect(data).toMatch(/<server>\s*<id>1<\/id>[\s\S]*?<status>up<\/status>/);
    expect(data).toMatch(/<server>\s*<id>2<\/id>[\s\S]*?<status>up<\/status>/);
    const server = (id: number) => new RegExp(`<server>\\s*<id>${id}</id>[\\s\\S]*?</server>`).exec(data)![0];
    const rm = (id: number) => Number(/<route-monitoring-sent>(\d+)</.exec(server(id))![1]);
    // Every route reached the collector in at least one Route Monitoring message.
    expect(rm(1)).toBeGreaterThanOrEqual(2);
    expect(rm(2)).toBeGreaterThanOrEqual(1);
    expect(rm(1)).toBeGreaterThan(rm(2));
    expect(data).toMatch(new RegExp(`<address>${GOBGP}</address>[\\s\\S]*?<session-state>established</session-state>`));
    // What server 2 says it sent is what went over the wire to collector 2.
    await capture2.stop();
    const rows = await capture2.fields(`tcp.port==${C2.port},bmp`, ['ip.src', 'ip.dsfield.dscp', 'bmp.type'], 'bmp');
    const types = rows.flatMap((r) => (r[2] ?? '').split(';')).filter((t) => t !== '');
    expect(types.filter((t) => t === '0')).toHaveLength(rm(2));
    const sent = Number(/<messages-sent>(\d+)</.exec(server(2))![1]);
    expect(types.length).toBeGreaterThanOrEqual(sent);
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set([SOURCE]));
    expect(new Set(rows.map((r) => r[1]))).toEqual(new Set(['7']));
    expect(data).toMatch(/<family>ipv4-unicast<\/family>\s*<received>10<\/received>/);
    expect(data).toMatch(/<family>ipv6-unicast<\/family>\s*<received>3<\/received>/);
  }, 60_000);

  it('deactivating server 2 sends Termination to collector 2 only', async () => {
    const termsBefore = ofType(c1, 'term').length;
    await nc('edit', tempFile('deactivate2.xml', DEACTIVATE_2));
    await waitFor('Termination at collector 2', () => ofType(c2, 'term').length === 1, 20_000);
    expect(ofType(c1, 'term').length).toBe(termsBefore);
  }, 60_000);

  it('a confirmed commit that is not confirmed restores server 1 at its collector', async () => {
    const initsBefore = ofType(c1, 'init').length;
    await nc('edit', tempFile('deactivate1.xml', DEACTIVATE_1), 'confirmed', 3);
    await waitFor('Termination at collector 1', () => ofType(c1, 'term').length === 1, 20_000);
    // After the 3 s timeout running rolls back: server 1 is activated again and reconnects.
    await waitFor('a new Initiation at collector 1', () => ofType(c1, 'init').length === initsBefore + 1, 30_000);
    await waitFor('collector 1 gets the table again', () => ofType(c1, 'peer_up').length >= 4, 30_000);
    // Server 2 stays deactivated: the rollback restores the configuration before the confirmed commit.
    expect(ofType(c2, 'init')).toHaveLength(1);
  }, 90_000);

  it('stopping a collector raises server-down on a subscribed session; restarting it raises server-up', async () => {
    const watcher = spawn('/usr/bin/python3', [NC, String(agent.port), 'watch', '40', '<status>down</status>', '<status>up</status>'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    watcher.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const done = new Promise<void>((r) => watcher.once('exit', () => r()));
    try {
      await waitFor('subscription made', () => out.includes('"subscribed"'), 20_000);
      const dir = c1.dir;
      await c1.stop();
      await new Promise((r) => setTimeout(r, 1000));
      c1 = await Pmbmpd.start(dir, C1.host, C1.port);
      await done;
      const result = JSON.parse(out.trim().split('\n').pop()!) as { notifications: string[]; missing: string[] };
      expect(result.missing).toEqual([]);
      const down = result.notifications.find((n) => n.includes('bmp-server-state-change') && n.includes('<status>down</status>'));
      expect(down).toContain('<server>1</server>');
      expect(result.notifications.some((n) => n.includes('bmp-server-state-change') && n.includes('<status>up</status>'))).toBe(true);
    } finally {
      if (watcher.exitCode === null) watcher.kill('SIGKILL');
    }
  }, 90_000);

  it('restarting the agent restores everything from startup', async () => {
    await nc('save');
    const before = (await nc('get-config')).data as string;
    const initsBefore = ofType(c1, 'init').length;
    await agent.stop();
    agent = await startAgent({ stateDir, keepStateDir: true });
    const after = (await nc('get-config')).data as string;
    expect(after).toBe(before);
    await waitFor('collector 1 sees the restarted agent', () => ofType(c1, 'init').length > initsBefore, 30_000);
    await waitFor('gobgpd neighbor up again', async () => {
      const { data } = await nc('get', `/bmpd:bgp/neighbor[address='${GOBGP}']/state/session-state`) as { data: string };
      return data.includes('established');
    }, 60_000);
  }, 120_000);
});
