// BgpSpeaker against real Debian gobgpd (4-octet AS, IPv4 + IPv6 over ::1) and exabgp (which
// also sends a malformed MED). Addresses: 127.0.4.x and ::1 ports 14179/14180 (this file only).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpeakerConfig } from '../../../src/bgp/config.js';
import type { DownEvent, EstablishedEvent, UpdateEvent } from '../../../src/bgp/events.js';
import type { BgpSpeaker } from '../../../src/bgp/speaker.js';
import { type Daemon, exabgpNeighbor, gobgp, gobgpdToml, sleep, startExabgp, startGobgpd, waitFor } from './daemons.js';
import { scratchDirs } from '../../support/scratch.js';
import { neighborConfig as neighbor, startRecordedSpeaker } from './neighbor-config.js';

const BMPD = '127.0.4.1';
const GOBGP = '127.0.4.2';
const EXABGP = '127.0.4.3';
const GOBGP_API = `${GOBGP}:50051`;
const GOBGP_PORT = 14179;
const BMPD_PORT = 14180;
const GOBGP_AS = 4200000001;
const EXABGP_AS = 65003;
const LOCAL_AS = 65000;

const config: SpeakerConfig = {
  asNumber: LOCAL_AS,
  routerId: BMPD,
  listen: { addresses: [BMPD, '::1'], port: BMPD_PORT },
  connectRetrySeconds: 2,
  neighbors: [
    neighbor(GOBGP, GOBGP_AS, { remotePort: GOBGP_PORT, updateSource: BMPD }),
    neighbor('::1', GOBGP_AS, { remotePort: GOBGP_PORT, addressFamilies: ['ipv6-unicast'], passive: true }),
    neighbor(EXABGP, EXABGP_AS, { passive: true }),
  ],
};

const gobgpdConf = gobgpdToml({ as: GOBGP_AS, routerId: GOBGP, port: GOBGP_PORT, localAddresses: [GOBGP, '::1'] }, [
  { address: BMPD, peerAs: LOCAL_AS, localAddress: GOBGP, remotePort: BMPD_PORT },
  { address: '::1', peerAs: LOCAL_AS, localAddress: '::1', remotePort: BMPD_PORT, families: ['ipv6-unicast'] },
]);

const EXABGP_GOOD_ROUTES = 12;
const exabgpConf = exabgpNeighbor({
  neighbor: BMPD, localAddress: EXABGP, localAs: EXABGP_AS, peerAs: LOCAL_AS, connect: BMPD_PORT, family: 'ipv4 unicast', routeRefresh: true,
  routes: [
    ...Array.from({ length: EXABGP_GOOD_ROUTES }, (_, i) => `route 10.43.${i}.0/24 next-hop 198.51.100.3 as-path [ ${EXABGP_AS} 64512 ];`),
    '# MULTI_EXIT_DISC with 2 octets instead of 4: RFC 7606 §7.4 treat-as-withdraw',
    `route 10.43.200.0/24 next-hop 198.51.100.3 as-path [ ${EXABGP_AS} ] attribute [ 0x04 0x80 0x0001 ];`,
  ],
});

describe('BgpSpeaker with gobgpd and exabgp', () => {
  const tempDir = scratchDirs();
  const daemons: Daemon[] = [];
  let established: EstablishedEvent[] = [];
  let updates: UpdateEvent[] = [];
  let downs: DownEvent[] = [];
  let speaker: BgpSpeaker;
  let gobgpd: Daemon;

  const ribCount = (key: string, family: 'ipv4-unicast' | 'ipv6-unicast'): number =>
    speaker.neighborState(key)?.prefixes[family] ?? 0;

  beforeAll(async () => {
    ({ speaker, established, updates, downs } = await startRecordedSpeaker(config));
    const dir = tempDir('gobgpd');
    gobgpd = await startGobgpd({ dir, toml: gobgpdConf, api: GOBGP_API });
    daemons.push(gobgpd);
  });

  afterAll(async () => {
    for (const daemon of daemons) await daemon.stop();
    await speaker?.stop();
  });

  it('establishes IPv4 and IPv6 (over ::1) sessions with a 4-octet-AS gobgpd', async () => {
    await waitFor('both gobgpd sessions Established', () =>
      speaker.neighborState(GOBGP)?.state === 'Established' && speaker.neighborState('::1')?.state === 'Established',
    );
    const v4 = established.find((e) => e.neighbor === GOBGP);
    const v6 = established.find((e) => e.neighbor === '::1');
    expect(v4).toMatchObject({ peerAs: GOBGP_AS, peerBgpId: GOBGP, localAddress: BMPD, vrf: null, rd: null });
    expect(v4?.capabilities).toMatchObject({ families: ['ipv4-unicast'], fourOctetAs: true, routeRefresh: true });
    expect(v6?.capabilities.families).toEqual(['ipv6-unicast']);
    expect(v6).toMatchObject({ peerAddress: '::1', localAddress: '::1', localPort: BMPD_PORT });
    // Both OPENs as on the wire: marker, type 1, and gobgpd's AS_TRANS in My AS.
    expect(v4?.sentOpen[18]).toBe(1);
    expect(v4?.receivedOpen.readUInt16BE(20)).toBe(23456);
    expect(v4?.negotiated.holdTime).toBe(30);
  });

  it('stores what gobgpd announces, in both families, and drops what it withdraws', async () => {
    for (let i = 0; i < 20; i++) {
      await gobgp(GOBGP_API, ['global', 'rib', 'add', `10.42.${i}.0/24`, 'nexthop', '198.51.100.3', '-a', 'ipv4']);
    }
    for (let i = 0; i < 5; i++) {
      await gobgp(GOBGP_API, ['global', 'rib', 'add', `fd00:42:${i}::/48`, '-a', 'ipv6']);
    }
    await waitFor('20 IPv4 routes from gobgpd', () => ribCount(GOBGP, 'ipv4-unicast') === 20);
    await waitFor('5 IPv6 routes from gobgpd', () => ribCount('::1', 'ipv6-unicast') === 5);
    for (let i = 0; i < 4; i++) await gobgp(GOBGP_API, ['global', 'rib', 'del', `10.42.${i}.0/24`, '-a', 'ipv4']);
    await waitFor('16 IPv4 routes after 4 withdrawals', () => ribCount(GOBGP, 'ipv4-unicast') === 16);
    const withdrawals = updates.filter((u) => u.neighbor === GOBGP && u.summary.withdrawn > 0);
    expect(withdrawals.reduce((n, u) => n + u.summary.withdrawn, 0)).toBe(4);
    // The raw UPDATE is the message as received: header, type 2, its own length.
    const last = updates.at(-1)!;
    expect(last.raw.readUInt16BE(16)).toBe(last.raw.length);
    expect(last.raw[18]).toBe(2);
  });

  it('a ROUTE-REFRESH makes gobgpd send its routes again', async () => {
    const before = updates.length;
    expect(speaker.sendRouteRefresh(GOBGP, 1, 1)).toBe(true);
    await waitFor('16 prefixes re-announced after the refresh', () =>
      updates.slice(before).filter((u) => u.neighbor === GOBGP).reduce((n, u) => n + u.summary.announced, 0) >= 16,
    );
    expect(ribCount(GOBGP, 'ipv4-unicast')).toBe(16);
    // Not negotiated for this neighbor: IPv6 refresh on the IPv4 session is refused.
    expect(speaker.sendRouteRefresh(GOBGP, 2, 1)).toBe(false);
  });

  it('replays the Adj-RIB-In as UPDATEs ending with End-of-RIB', () => {
    const replay = [...speaker.replayAdjRibIn(GOBGP)];
    expect(replay.length).toBeGreaterThanOrEqual(2);
    expect(replay.at(-1)!.length).toBe(23); // IPv4 End-of-RIB: an empty UPDATE
    const prefixBytes = replay.slice(0, -1).reduce((n, u) => n + (u.length - 23 - u.readUInt16BE(21)), 0);
    expect(prefixBytes).toBe(16 * 4); // sixteen /24s, 4 octets each
  });

  it('exabgp: stores its routes and treats the malformed MED as withdraw (RFC 7606)', async () => {
    const dir = tempDir('exabgp');
    daemons.push(startExabgp({ dir, conf: exabgpConf }));
    await waitFor('exabgp Established', () => speaker.neighborState(EXABGP)?.state === 'Established', 30_000);
    await waitFor(`${EXABGP_GOOD_ROUTES} routes from exabgp`, () => ribCount(EXABGP, 'ipv4-unicast') === EXABGP_GOOD_ROUTES);
    const bad = await waitFor('the treat-as-withdraw UPDATE', () =>
      updates.find((u) => u.neighbor === EXABGP && u.summary.treatAsWithdraw),
    );
    expect(bad.summary).toMatchObject({ announced: 0, withdrawn: 1, families: ['ipv4-unicast'] });
    expect(speaker.neighborState(EXABGP)).toMatchObject({ state: 'Established', treatAsWithdrawUpdates: 1, treatAsWithdrawPrefixes: 1 });
    await sleep(500);
    expect(ribCount(EXABGP, 'ipv4-unicast')).toBe(EXABGP_GOOD_ROUTES);
  });

  it('gobgp neighbor disable ends the session with the peer Cease/Administrative Shutdown PDU', async () => {
    await gobgp(GOBGP_API, ['neighbor', BMPD, 'disable']);
    const down = await waitFor('down event for gobgpd IPv4', () => downs.find((d) => d.neighbor === GOBGP));
    expect(down.reason.kind).toBe('remote-notification');
    const pdu = down.reason.kind === 'remote-notification' ? down.reason.pdu : Buffer.alloc(0);
    expect(pdu[18]).toBe(3); // NOTIFICATION
    expect([pdu[19], pdu[20]]).toEqual([6, 2]); // Cease, Administrative Shutdown
    expect(ribCount(GOBGP, 'ipv4-unicast')).toBe(0);
    expect(speaker.neighborState(GOBGP)?.lastDown?.kind).toBe('remote-notification');
    // The IPv6 session is untouched.
    expect(speaker.neighborState('::1')?.state).toBe('Established');
  });

  it('stopping exabgp is a remote close without NOTIFICATION', async () => {
    const exabgp = daemons.find((d) => d.name === 'exabgp')!;
    await exabgp.stop();
    const down = await waitFor('down event for exabgp', () => downs.find((d) => d.neighbor === EXABGP));
    // ExaBGP 4.2 just closes the TCP connection on SIGTERM, no NOTIFICATION: BMP Peer Down reason 4.
    expect(down.reason).toEqual({ kind: 'remote-closed' });
    expect(ribCount(EXABGP, 'ipv4-unicast')).toBe(0);
  });

  it('removing a neighbor from the config sends Cease/Peer De-configured and reports deconfigured', async () => {
    await speaker.applyConfig({ ...config, neighbors: config.neighbors.filter((n) => n.address !== '::1') });
    const down = await waitFor('down event for ::1', () => downs.find((d) => d.neighbor === '::1'));
    expect(down.reason).toEqual({ kind: 'deconfigured' });
    expect(speaker.neighborState('::1')).toBeUndefined();
    // gobgpd logs the NOTIFICATION it got: Cease (6) / Peer De-configured (3).
    await waitFor('gobgpd logs the Cease', () => /received notification.*Code=6.*Key="::1".*Subcode=3/.test(gobgpd.log())).catch((err) => {
      throw new Error(`${(err as Error).message}\n${gobgpd.log().split('\n').slice(-15).join('\n')}`);
    });
  });
});
