// The BMP engine end to end: bmpd's real BgpSpeaker with a gobgpd neighbor (global table) and an
// exabgp neighbor in a VRF, exported to TWO pmbmpd collectors (Debian pmacct 1.7.7), captured
// by tshark. Addresses: 127.0.9.x only (this file), ports 19xxx on those addresses.
// gobgpd has route-refresh: its initial table comes by ROUTE-REFRESH; exabgp has not: its table
// is replayed from the Adj-RIB-In.
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NeighborConfig, SpeakerConfig } from '../../../src/bgp/config.js';
import { neighborKey } from '../../../src/bgp/config.js';
import { BgpSpeaker } from '../../../src/bgp/speaker.js';
import type { BmpEngineConfig, BmpServerConfig } from '../../../src/bmp/config.js';
import { BmpEngine, type ServerDownEvent } from '../../../src/bmp/engine.js';
import { speakerForBmp } from '../../../src/bmp/engine-speaker.js';
import { realStations } from '../../../src/bmp/engine-station.js';
import { type Daemon, exabgpNeighbor, gobgp, gobgpdToml, startExabgp, startGobgpd } from '../../bgp/integration/daemons.js';
import { scratchDirs } from '../../support/scratch.js';
import { neighborConfig } from '../../bgp/integration/neighbor-config.js';
import { bmpServer, eventually, sleep } from './harness.js';
import { PcapCapture, Pmbmpd, type PmbmpdRecord } from './pmbmpd.js';

const BMPD = '127.0.9.1'; // BGP listener, and update-source of BMP server 1
const BMPD_SRC2 = '127.0.9.2'; // update-source of BMP server 2
const GOBGP = '127.0.9.3';
const EXABGP = '127.0.9.4';
const COLLECTOR_A = '127.0.9.10';
const COLLECTOR_B = '127.0.9.11';
const BMPD_PORT = 19180;
const GOBGP_PORT = 19179;
const GOBGP_API = `${GOBGP}:50099`;
const PORT_A = 19811;
const PORT_B = 19812;
const LOCAL_AS = 65000;
const GOBGP_AS = 65093;
const EXABGP_AS = 65094;
const VRF = { name: 'vrf1', rd: '65000:94' };
const EXABGP_KEY = neighborKey(VRF.name, EXABGP);
const EXABGP_ROUTES = 12;
const GOBGP_ROUTES = 20;

function neighbor(address: string, remoteAs: number, extra: Partial<NeighborConfig>): NeighborConfig {
  return neighborConfig(address, remoteAs, { updateSource: BMPD, ...extra });
}

const speakerConfig: SpeakerConfig = {
  asNumber: LOCAL_AS,
  routerId: BMPD,
  listen: { addresses: [BMPD], port: BMPD_PORT },
  connectRetrySeconds: 1,
  neighbors: [
    neighbor(GOBGP, GOBGP_AS, { remotePort: GOBGP_PORT }),
    neighbor(EXABGP, EXABGP_AS, { passive: true, vrf: VRF }),
  ],
};

const gobgpdConf = gobgpdToml({ as: GOBGP_AS, routerId: GOBGP, port: GOBGP_PORT, localAddresses: [GOBGP] }, [
  { address: BMPD, peerAs: LOCAL_AS, localAddress: GOBGP, remotePort: BMPD_PORT },
]);

// No route-refresh: the engine replays this neighbor's Adj-RIB-In. (ExaBGP 4.2.21 also drops
// the session on a received ROUTE-REFRESH: "TypeError: 'RouteRefresh' object is not iterable".)
const exabgpConf = exabgpNeighbor({
  neighbor: BMPD, localAddress: EXABGP, localAs: EXABGP_AS, peerAs: LOCAL_AS, connect: BMPD_PORT, family: 'ipv4 unicast', routeRefresh: false,
  routes: Array.from({ length: EXABGP_ROUTES }, (_, i) => `route 10.94.${i}.0/24 next-hop 198.51.100.3 as-path [ ${EXABGP_AS} 64512 ];`),
});

const SERVER_A = bmpServer(1, COLLECTOR_A, PORT_A, { dscp: 5, statsReportingPeriod: 2, updateSource: BMPD });
const SERVER_B = bmpServer(2, COLLECTOR_B, PORT_B, { dscp: 7, statsReportingPeriod: 3, updateSource: BMPD_SRC2 });

const engineConfig = (servers: BmpServerConfig[]): BmpEngineConfig => ({
  bufferSizeMb: 16,
  initialRefresh: { kind: 'delay', seconds: 1 },
  servers,
  neighbors: [
    { neighbor: GOBGP, servers: 'all' },
    { neighbor: EXABGP_KEY, servers: [1, 2] },
  ],
});

describe('BMP engine with the real speaker, gobgpd + exabgp neighbors and two pmbmpd collectors', () => {
  const tempDir = scratchDirs();
  const daemons: Daemon[] = [];
  const collectors: Pmbmpd[] = [];
  const serverDowns: ServerDownEvent[] = [];
  let capture: PcapCapture | undefined;
  let speaker: BgpSpeaker;
  let engine: BmpEngine;
  let a: Pmbmpd;
  let b: Pmbmpd;
  const recA = (): PmbmpdRecord[] => a.records(BMPD);
  const recB = (): PmbmpdRecord[] => b.records(BMPD_SRC2);
  const ofType = (recs: PmbmpdRecord[], type: string): PmbmpdRecord[] => recs.filter((r) => r.bmp_msg_type === type);

  beforeAll(async () => {
    const dir = tempDir('bmp-engine-it');
    const dirA = tempDir('pmbmpd-a');
    const dirB = tempDir('pmbmpd-b');
    a = await Pmbmpd.start(dirA, COLLECTOR_A, PORT_A);
    collectors.push(a);
    b = await Pmbmpd.start(dirB, COLLECTOR_B, PORT_B);
    collectors.push(b);
    capture = await PcapCapture.start(path.join(dir, 'bmp.pcap'), `tcp port ${PORT_A} or tcp port ${PORT_B}`);

    speaker = new BgpSpeaker(speakerConfig);
    const monitored = speakerForBmp(speaker); // before start(): it keeps the Established list
    engine = new BmpEngine({
      speaker: monitored,
      logger: pino({ level: 'warn' }),
      stations: realStations({ closeTimeoutMs: 3000 }),
      sysName: 'bmpd-integration',
      sysDescr: 'bmpd BMP engine integration test',
      refreshQuietMs: 1500,
    });
    engine.on('server-down', (e) => serverDowns.push(e));
    await speaker.start();
    const gdir = tempDir('gobgpd');
    daemons.push(await startGobgpd({ dir: gdir, toml: gobgpdConf, api: GOBGP_API }));
    const edir = tempDir('exabgp');
    daemons.push(startExabgp({ dir: edir, conf: exabgpConf }));
    await eventually('gobgpd and exabgp Established', () =>
      speaker.neighborState(GOBGP)?.state === 'Established' && speaker.neighborState(EXABGP_KEY)?.state === 'Established', 40_000);
    for (let i = 0; i < GOBGP_ROUTES; i++) await gobgp(GOBGP_API, ['global', 'rib', 'add', `10.93.${i}.0/24`, 'nexthop', '198.51.100.3', '-a', 'ipv4']);
    await eventually('routes in the Adj-RIB-In', () =>
      speaker.neighborState(GOBGP)?.prefixes['ipv4-unicast'] === GOBGP_ROUTES && speaker.neighborState(EXABGP_KEY)?.prefixes['ipv4-unicast'] === EXABGP_ROUTES, 30_000);
    // Monitoring begins after the neighbors' tables are in: the collectors get them by refresh.
    await engine.applyConfig(engineConfig([SERVER_A, SERVER_B]));
  }, 120_000);

  afterAll(async () => {
    await capture?.stop();
    await engine?.stop();
    for (const d of daemons) await d.stop();
    await speaker?.stop();
    for (const c of collectors) await c.stop();
  }, 60_000);

  it('each collector gets Initiation, then Peer Up for both neighbors, the VRF one as an RD instance peer', async () => {
    for (const recs of [recA, recB]) {
      await eventually('Initiation and two Peer Ups', () => ofType(recs(), 'init').length === 1 && ofType(recs(), 'peer_up').length === 2, 20_000);
      const types = recs().map((r) => r.bmp_msg_type);
      expect(types[0]).toBe('init');
      const ups = ofType(recs(), 'peer_up');
      expect(ups.map((u) => u.peer_ip).sort()).toEqual([GOBGP, EXABGP]);
      const vrfUp = ups.find((u) => u.peer_ip === EXABGP)!;
      expect(vrfUp).toMatchObject({ peer_asn: EXABGP_AS, peer_type: 1 });
      expect(vrfUp.rd).toBe('0:65000:94'); // RD type 0, 65000:94
      expect(vrfUp).toMatchObject({ local_ip: BMPD, local_port: BMPD_PORT, is_post: 0 });
      expect(ups.find((u) => u.peer_ip === GOBGP)).toMatchObject({ peer_asn: GOBGP_AS, peer_type: 0 });
    }
  });

  it('each collector gets every prefix of both neighbors as Route Monitoring, from the initial refresh', async () => {
    const want = [...Array.from({ length: GOBGP_ROUTES }, (_, i) => `10.93.${i}.0/24`), ...Array.from({ length: EXABGP_ROUTES }, (_, i) => `10.94.${i}.0/24`)].sort();
    for (const recs of [recA, recB]) {
      await eventually('every prefix', () => {
        const got = new Set(ofType(recs(), 'route_monitor').map((r) => String(r.ip_prefix)));
        return want.every((p) => got.has(p));
      }, 30_000);
    }
    // A live announcement reaches both collectors too.
    await gobgp(GOBGP_API, ['global', 'rib', 'add', '10.93.200.0/24', 'nexthop', '198.51.100.3', '-a', 'ipv4']);
    for (const recs of [recA, recB]) {
      await eventually('the live prefix', () => ofType(recs(), 'route_monitor').some((r) => r.ip_prefix === '10.93.200.0/24'), 15_000);
    }
    // gobgpd sends no End-of-RIB after a ROUTE-REFRESH: its turn ends after the quiet period.
    await eventually('refresh finished', () => !engine.snapshot().refreshInProgress, 10_000);
    const snap = engine.snapshot();
    expect(snap.servers.map((s) => s.status)).toEqual(['up', 'up']);
    expect(snap).toMatchObject({ refreshInProgress: false, refreshScheduled: false, monitoringQ: 0 });
    // One ROUTE-REFRESH for gobgpd (one batch for both servers), none for exabgp (replayed).
    expect(speaker.neighborState(GOBGP)!.sent.routeRefresh).toBe(1);
    expect(speaker.neighborState(EXABGP_KEY)!.sent.routeRefresh).toBe(0);
    expect(snap.neighbors.every((n) => n.routeMonitoringSent > 0)).toBe(true);
  });

  it('each collector gets Statistics Reports per neighbor at its own period', async () => {
    await sleep(7000);
    for (const [recs, period] of [[recA, 2], [recB, 3]] as const) {
      for (const peer of [GOBGP, EXABGP]) {
        // pmbmpd writes one line per counter; the type 7 line stands for one report.
        const reports = ofType(recs(), 'stats').filter((r) => r.peer_ip === peer && r.counter_type === 7);
        expect(reports.length).toBeGreaterThanOrEqual(2);
        const at = reports.map((r) => Date.parse(String(r.timestamp).replace(' ', 'T') + 'Z'));
        const gaps = at.slice(1).map((t, i) => t - at[i]!).sort((x, y) => x - y);
        // Each tick arms the next one a period later, so a busy machine can only delay a report
        // (nothing here pauses the engine, which would defer one): no gap is shorter than the
        // period (the timestamps are milliseconds; 20 ms of rounding), none
        // is a skipped report (twice the period), and the typical gap is this collector's own
        // period, nearer it than the other collector's (2 s and 3 s are 1 s apart).
        expect(gaps[0]).toBeGreaterThanOrEqual(period * 1000 - 20);
        expect(gaps.at(-1)).toBeLessThan(period * 2000);
        expect(gaps[(gaps.length - 1) >> 1]).toBeLessThan(period * 1000 + 500);
      }
    }
    const rows = ofType(recA(), 'stats').filter((r) => r.peer_ip === GOBGP);
    // pmbmpd writes one line per counter: Adj-RIB-In routes (type 7) is the neighbor's table.
    const adjRibIn = rows.filter((r) => r.counter_type === 7).at(-1);
    expect(adjRibIn?.counter_value).toBe(GOBGP_ROUTES + 1);
  });

  it('a neighbor that stops is reported with Peer Down to both collectors', async () => {
    expect(ofType(recA(), 'peer_down')).toEqual([]);
    expect(ofType(recB(), 'peer_down')).toEqual([]);
    await daemons.find((d) => d.name === 'exabgp')!.stop();
    for (const recs of [recA, recB]) {
      await eventually('Peer Down for exabgp', () => ofType(recs(), 'peer_down').some((r) => r.peer_ip === EXABGP), 20_000);
    }
    for (const recs of [recA, recB]) {
      const downs = ofType(recs(), 'peer_down');
      expect(downs).toHaveLength(1);
      // ExaBGP closes without NOTIFICATION on SIGTERM: reason 4; the RD instance peer keeps its RD.
      expect(downs[0]).toMatchObject({ peer_ip: EXABGP, reason_type: 4, peer_type: 1, rd: '0:65000:94' });
    }
  });

  it('de-activating server 2 sends it Termination; collector A is undisturbed', async () => {
    const initsA = ofType(recA(), 'init').length;
    await engine.applyConfig(engineConfig([SERVER_A, { ...SERVER_B, activated: false }]));
    await eventually('Termination at B', () => ofType(recB(), 'term').length === 1, 15_000);
    expect(serverDowns).toEqual([{ id: 2, reason: 'deactivated' }]);
    await gobgp(GOBGP_API, ['global', 'rib', 'add', '10.93.201.0/24', 'nexthop', '198.51.100.3', '-a', 'ipv4']);
    await eventually('A still gets live routes', () => ofType(recA(), 'route_monitor').some((r) => r.ip_prefix === '10.93.201.0/24'), 15_000);
    const statsBefore = ofType(recA(), 'stats').length;
    await sleep(2500);
    expect(ofType(recA(), 'stats').length).toBeGreaterThan(statsBefore);
    expect(ofType(recA(), 'init').length).toBe(initsA);
    expect(ofType(recB(), 'route_monitor').some((r) => r.ip_prefix === '10.93.201.0/24')).toBe(false);
    expect(engine.snapshot().servers.map((s) => s.status)).toEqual(['up', 'disabled']);
  });

  it('tshark decodes both streams with no malformed packet, DSCP and update-source on every packet, the VRF peer as type 1 with its RD', async () => {
    await capture!.stop();
    const cap = capture!;
    const decodeA = `tcp.port==${PORT_A},bmp`;
    // Both ports decoded as BMP in one pass each; no malformed frame in either.
    for (const port of [PORT_A, PORT_B]) {
      const malformed = await cap.fields(`tcp.port==${port},bmp`, ['frame.number'], '_ws.malformed');
      expect(malformed).toEqual([]);
    }
    const packets = await cap.fields(decodeA, ['ip.src', 'ip.dst', 'ip.dsfield.dscp', 'tcp.srcport'], `tcp.dstport==${PORT_A}`);
    expect(packets.length).toBeGreaterThan(10);
    for (const [src, dst, dscp] of packets) {
      expect(src).toBe(BMPD);
      expect(dst).toBe(COLLECTOR_A);
      expect(dscp).toBe('5');
    }
    const packetsB = await cap.fields(`tcp.port==${PORT_B},bmp`, ['ip.src', 'ip.dsfield.dscp'], `tcp.dstport==${PORT_B}`);
    expect(new Set(packetsB.map((p) => p.join('/')))).toEqual(new Set([`${BMPD_SRC2}/7`]));
    const bmpTypes = (await cap.fields(decodeA, ['bmp.type'], 'bmp')).flatMap((r) => r[0]!.split(';'));
    for (const t of ['4', '3', '0', '1', '2']) expect(bmpTypes).toContain(t);
    // End-of-RIB (an empty 23-byte UPDATE) closes each neighbor's initial table.
    const eor = await cap.fields(decodeA, ['bmp.peer.ip.addr'], 'bmp.type == 0 && bgp.length == 23');
    expect(new Set(eor.flatMap((r) => r[0]!.split(';')))).toEqual(new Set([GOBGP, EXABGP]));
    const peers = await cap.fields(decodeA, ['bmp.peer.type', 'bmp.peer.ip.addr', 'bmp.peer.distinguisher'], 'bmp.type == 3');
    const rows = peers.flatMap((r) => {
      const types = r[0]!.split(';');
      const addrs = r[1]!.split(';');
      const rds = r[2]!.split(';');
      return types.map((t, i) => ({ type: t, addr: addrs[i], rd: rds[i] }));
    });
    expect(rows).toContainEqual(expect.objectContaining({ type: '1', addr: EXABGP }));
    expect(rows).toContainEqual(expect.objectContaining({ type: '0', addr: GOBGP }));
    const rd = rows.find((r) => r.type === '1')!.rd!;
    // Type 0 RD 65000:94 = 0000 fde8 0000005e
    expect(rd.replaceAll(':', '').toLowerCase()).toContain('0000fde80000005e');
  });
});
