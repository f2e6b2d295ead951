// BgpSpeaker against real Debian FRR bgpd (standalone: -Z no zebra, -S stays root): IPv4 with
// TCP MD5, a VRF neighbor with the same peer address told apart by its local address, and IPv6
// over ::1. Addresses: 127.0.6.x and ::1 ports 16179/16180 (this file only).
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NeighborConfig, SpeakerConfig } from '../../../src/bgp/config.js';
import { neighborKey } from '../../../src/bgp/config.js';
import type { DownEvent, EstablishedEvent, UpdateEvent } from '../../../src/bgp/events.js';
import type { BgpSpeaker } from '../../../src/bgp/speaker.js';
import { type FrrDaemon, startFrrBgpd, tempDir, waitFor } from './daemons.js';
import { neighborConfig, startRecordedSpeaker } from './neighbor-config.js';

const BMPD = '127.0.6.1';
const BMPD_VRF = '127.0.6.11';
const FRR = '127.0.6.2';
const FRR_PORT = 16179;
const BMPD_PORT = 16180;
const FRR_AS = 65006;
const LOCAL_AS = 65000;
const PASSWORD = 'bmpd-md5-test';

const GLOBAL = neighborKey(null, FRR);
const VRF = neighborKey('blue', FRR);
const V6 = neighborKey(null, '::1');

function neighbor(address: string, extra: Partial<NeighborConfig> = {}): NeighborConfig {
  return neighborConfig(address, FRR_AS, { remotePort: FRR_PORT, ...extra });
}

const config: SpeakerConfig = {
  asNumber: LOCAL_AS,
  routerId: BMPD,
  listen: { addresses: [BMPD, BMPD_VRF, '::1'], port: BMPD_PORT },
  connectRetrySeconds: 2,
  neighbors: [
    neighbor(FRR, { updateSource: BMPD, password: PASSWORD, description: 'frr global' }),
    neighbor(FRR, { updateSource: BMPD_VRF, vrf: { name: 'blue', rd: '65000:6' }, description: 'frr in vrf blue' }),
    neighbor('::1', { addressFamilies: ['ipv6-unicast'], passive: true }),
  ],
};

const V4_ROUTES = 10;
const V6_ROUTES = 3;

function frrConf(dir: string): string {
  const session = (peer: string): string =>
    [
      ` neighbor ${peer} remote-as ${LOCAL_AS}`,
      ` neighbor ${peer} port ${BMPD_PORT}`,
      ` neighbor ${peer} timers connect 1`,
      ...(peer.includes(':') ? [] : [` neighbor ${peer} update-source ${FRR}`, ` neighbor ${peer} disable-connected-check`]),
    ].join('\n');
  return `frr version 8.4.4
frr defaults traditional
hostname bmpd-test-frr
log file ${path.join(dir, 'bgpd.log')} informational
!
route-map NH permit 10
 set ip next-hop 198.51.100.3
exit
!
router bgp ${FRR_AS}
 bgp router-id ${FRR}
 no bgp ebgp-requires-policy
 no bgp network import-check
${session(BMPD)}
 neighbor ${BMPD} password ${PASSWORD}
${session(BMPD_VRF)}
${session('::1')}
 !
 address-family ipv4 unicast
${Array.from({ length: V4_ROUTES }, (_, i) => `  network 10.6.${i}.0/24`).join('\n')}
  neighbor ${BMPD} route-map NH out
  neighbor ${BMPD_VRF} route-map NH out
  no neighbor ::1 activate
 exit-address-family
 !
 address-family ipv6 unicast
${Array.from({ length: V6_ROUTES }, (_, i) => `  network fd00:6:${i}::/48`).join('\n')}
  neighbor ::1 activate
 exit-address-family
exit
!
`;
}

describe('BgpSpeaker with FRR bgpd', () => {
  let dir = '';
  let frr: FrrDaemon | undefined;
  let speaker: BgpSpeaker;
  let established: EstablishedEvent[] = [];
  let updates: UpdateEvent[] = [];
  let downs: DownEvent[] = [];
  const ribCount = (key: string, family: 'ipv4-unicast' | 'ipv6-unicast'): number => speaker.neighborState(key)?.prefixes[family] ?? 0;
  const frrConfigure = (lines: readonly string[]): Promise<string> =>
    frr!.vtysh(['configure terminal', `router bgp ${FRR_AS}`, ...lines]);

  beforeAll(async () => {
    ({ speaker, established, updates, downs } = await startRecordedSpeaker(config));
    dir = tempDir('frr');
    frr = await startFrrBgpd({ dir, conf: frrConf(dir), listen: [FRR, '::1'], port: FRR_PORT });
  });

  afterAll(async () => {
    await frr?.stop();
    await speaker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('establishes the global (TCP MD5), the VRF and the IPv6 sessions', async () => {
    await waitFor(
      'three FRR sessions Established',
      () => [GLOBAL, VRF, V6].every((key) => speaker.neighborState(key)?.state === 'Established'),
      45_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify(speaker.snapshot().map((s) => [s.key, s.state]))}\n${frr?.log().slice(-3000)}`);
    });
    const global = established.find((e) => e.neighbor === GLOBAL)!;
    const vrf = established.find((e) => e.neighbor === VRF)!;
    expect(global).toMatchObject({ vrf: null, rd: null, localAddress: BMPD, peerAddress: FRR, peerAs: FRR_AS, peerBgpId: FRR });
    expect(vrf).toMatchObject({ vrf: 'blue', rd: '65000:6', localAddress: BMPD_VRF, peerAddress: FRR });
    expect(global.capabilities).toMatchObject({ routeRefresh: true, enhancedRouteRefresh: true, fourOctetAs: true });
    const summary = JSON.parse(await frr!.vtysh(['show bgp ipv4 unicast summary json'])) as { peers: Record<string, { state: string }> };
    expect(summary.peers[BMPD]?.state).toBe('Established');
    expect(summary.peers[BMPD_VRF]?.state).toBe('Established');
  });

  it('stores the routes FRR announces from network statements, per neighbor and family', async () => {
    await waitFor('IPv4 routes on the global neighbor', () => ribCount(GLOBAL, 'ipv4-unicast') === V4_ROUTES);
    await waitFor('IPv4 routes on the VRF neighbor', () => ribCount(VRF, 'ipv4-unicast') === V4_ROUTES);
    await waitFor('IPv6 routes', () => ribCount(V6, 'ipv6-unicast') === V6_ROUTES);
    expect(updates.some((u) => u.neighbor === V6 && u.summary.families.includes('ipv6-unicast'))).toBe(true);
  });

  it('a withdrawn network leaves the Adj-RIB-In of both neighbors', async () => {
    await frrConfigure(['address-family ipv4 unicast', 'no network 10.6.0.0/24', 'no network 10.6.1.0/24']);
    await waitFor('two withdrawals on the global neighbor', () => ribCount(GLOBAL, 'ipv4-unicast') === V4_ROUTES - 2);
    await waitFor('two withdrawals on the VRF neighbor', () => ribCount(VRF, 'ipv4-unicast') === V4_ROUTES - 2);
  });

  it('a ROUTE-REFRESH makes FRR send its table again (soft reset)', async () => {
    const before = updates.length;
    expect(speaker.resetNeighbor(GLOBAL, { soft: true })).toBe(true);
    await waitFor('the table re-announced', () =>
      updates.slice(before).filter((u) => u.neighbor === GLOBAL).reduce((n, u) => n + u.summary.announced, 0) >= V4_ROUTES - 2,
    );
    expect(ribCount(GLOBAL, 'ipv4-unicast')).toBe(V4_ROUTES - 2);
    expect(speaker.neighborState(GLOBAL)?.sent.routeRefresh).toBe(1);
  });

  it('a hard reset sends Cease/Administrative Reset and the session comes back', async () => {
    const upsBefore = established.filter((e) => e.neighbor === VRF).length;
    expect(speaker.resetNeighbor(VRF)).toBe(true);
    const down = await waitFor('down for the VRF neighbor', () => downs.find((d) => d.neighbor === VRF));
    expect(down.reason.kind).toBe('local-notification');
    const pdu = down.reason.kind === 'local-notification' ? down.reason.pdu : Buffer.alloc(0);
    expect([pdu[18], pdu[19], pdu[20]]).toEqual([3, 6, 4]);
    await waitFor('VRF neighbor Established again', () => established.filter((e) => e.neighbor === VRF).length > upsBefore, 30_000);
    await waitFor('VRF routes back', () => ribCount(VRF, 'ipv4-unicast') === V4_ROUTES - 2);
    // The global session with the same peer address did not notice.
    expect(downs.some((d) => d.neighbor === GLOBAL)).toBe(false);
  });

  it('FRR neighbor shutdown is a remote Cease/Administrative Shutdown with the PDU', async () => {
    await frrConfigure([`neighbor ${BMPD} shutdown`]);
    const down = await waitFor('down for the global neighbor', () => downs.find((d) => d.neighbor === GLOBAL));
    expect(down.reason.kind).toBe('remote-notification');
    const pdu = down.reason.kind === 'remote-notification' ? down.reason.pdu : Buffer.alloc(0);
    expect([pdu[18], pdu[19], pdu[20]]).toEqual([3, 6, 2]);
    expect(ribCount(GLOBAL, 'ipv4-unicast')).toBe(0);
    expect(speaker.neighborState(VRF)?.state).toBe('Established');
  });

  it('shutdown in our config sends Cease/Administrative Shutdown to FRR', async () => {
    const next: SpeakerConfig = {
      ...config,
      neighbors: config.neighbors.map((n) => (n.address === '::1' ? { ...n, shutdown: true } : n)),
    };
    await speaker.applyConfig(next);
    const down = await waitFor('down for ::1', () => downs.find((d) => d.neighbor === V6));
    const pdu = down.reason.kind === 'local-notification' ? down.reason.pdu : Buffer.alloc(0);
    expect([pdu[19], pdu[20]]).toEqual([6, 2]);
    expect(speaker.neighborState(V6)).toMatchObject({ state: 'Idle', adminShutdown: true });
    await waitFor('FRR sees the administrative shutdown', async () => {
      const json = JSON.parse(await frr!.vtysh(['show bgp neighbors ::1 json'])) as Record<string, { lastNotificationReason?: string; lastResetDueTo?: string }>;
      const text = JSON.stringify(json['::1'] ?? {});
      return /Administrative Shutdown/i.test(text) ? text : null;
    });
  });
});
