// BgpSpeaker with exabgp over IPv6 transport. ::1 is taken by the gobgpd
// test's neighbor, so exabgp runs in a network namespace this test creates,
// joined to the host by a veth pair with ULA addresses (fd00:44::/64): the
// traffic never leaves this machine. Everything is removed in afterAll.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpeakerConfig } from '../../../src/bgp/config.js';
import type { DownEvent, EstablishedEvent } from '../../../src/bgp/events.js';
import { BgpSpeaker } from '../../../src/bgp/speaker.js';
import { type Daemon, exabgpNeighbor, startExabgp, tempDir, waitFor } from './daemons.js';
import { neighborConfig } from './neighbor-config.js';

const tag = (process.pid % 100000).toString(36);
const NS = `bmpd6-${tag}`;
const HOST_IF = `b6h${tag}`;
const NS_IF = `b6n${tag}`;
const BMPD = 'fd00:44::1';
const EXABGP = 'fd00:44::2';
const EXABGP_AS = 4200000006;
const ROUTES = 9;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
const inNs = (...args: string[]) => ip('netns', 'exec', NS, 'ip', ...args);

const config: SpeakerConfig = {
  asNumber: 65000,
  routerId: '127.0.4.9',
  listen: { addresses: [BMPD], port: 179 },
  connectRetrySeconds: 2,
  neighbors: [neighborConfig(EXABGP, EXABGP_AS, { passive: true, addressFamilies: ['ipv6-unicast'] })],
};

const exabgpConf = exabgpNeighbor({
  neighbor: BMPD, localAddress: EXABGP, routerId: '127.0.4.10', localAs: EXABGP_AS, peerAs: 65000, family: 'ipv6 unicast', routeRefresh: false,
  routes: Array.from({ length: ROUTES }, (_, i) => `route fd00:46:${i}::/48 next-hop ${EXABGP} as-path [ 64512 ];`),
});

let speaker: BgpSpeaker;
let exabgp: Daemon | undefined;
let dir: string;
const established: EstablishedEvent[] = [];
const downs: DownEvent[] = [];

beforeAll(async () => {
  ip('netns', 'add', NS);
  ip('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF);
  ip('link', 'set', NS_IF, 'netns', NS);
  ip('-6', 'addr', 'add', `${BMPD}/64`, 'dev', HOST_IF, 'nodad');
  ip('link', 'set', HOST_IF, 'up');
  inNs('link', 'set', 'lo', 'up');
  inNs('-6', 'addr', 'add', `${EXABGP}/64`, 'dev', NS_IF, 'nodad');
  inNs('link', 'set', NS_IF, 'up');
  speaker = new BgpSpeaker(config);
  speaker.on('established', (e) => established.push(e));
  speaker.on('down', (e) => downs.push(e));
  await speaker.start();
  dir = tempDir('exabgp6');
  exabgp = startExabgp({ dir, conf: exabgpConf, netns: NS });
}, 60_000);

afterAll(async () => {
  await exabgp?.stop();
  await speaker?.stop();
  try { ip('netns', 'del', NS); } catch { /* already gone */ }
  try { ip('link', 'del', HOST_IF); } catch { /* went with the namespace */ }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('BgpSpeaker with exabgp over IPv6', () => {
  it('establishes an IPv6 session (4-octet AS) and stores every announced IPv6 prefix', async () => {
    await waitFor('exabgp Established over IPv6', () => speaker.neighborState(EXABGP)?.state === 'Established', 40_000);
    const e = established.find((x) => x.neighbor === EXABGP)!;
    expect(e).toMatchObject({ peerAddress: EXABGP, localAddress: BMPD, peerAs: EXABGP_AS });
    expect(e.capabilities).toMatchObject({ families: ['ipv6-unicast'], fourOctetAs: true, routeRefresh: false });
    await waitFor(`${ROUTES} IPv6 prefixes`, () => speaker.neighborState(EXABGP)?.prefixes['ipv6-unicast'] === ROUTES);
  }, 60_000);

  it('stopping exabgp is a remote close and empties its Adj-RIB-In', async () => {
    await exabgp!.stop();
    const down = await waitFor('down event', () => downs.find((d) => d.neighbor === EXABGP));
    expect(down.reason).toEqual({ kind: 'remote-closed' });
    expect(speaker.neighborState(EXABGP)?.prefixes['ipv6-unicast'] ?? 0).toBe(0);
  }, 30_000);
});
