// BgpSpeaker with exabgp over IPv6 transport. ::1 is taken by the gobgpd
// test's neighbor, so exabgp runs in a network namespace this test creates,
// joined to the host by a veth pair with ULA addresses (fd00:44::/64): the
// traffic never leaves this machine. Everything is removed in afterAll.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpeakerConfig } from '../../../src/bgp/config.js';
import type { DownEvent, EstablishedEvent } from '../../../src/bgp/events.js';
import { BgpSpeaker } from '../../../src/bgp/speaker.js';
import { killPid, tempDir, waitFor } from './daemons.js';
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

const exabgpConf = `
neighbor ${BMPD} {
  router-id 127.0.4.10;
  local-address ${EXABGP};
  local-as ${EXABGP_AS};
  peer-as 65000;
  hold-time 30;
  family { ipv6 unicast; }
  capability { asn4 enable; route-refresh disable; }
  static {
${Array.from({ length: ROUTES }, (_, i) => `    route fd00:46:${i}::/48 next-hop ${EXABGP} as-path [ 64512 ];`).join('\n')}
  }
}
`;

let speaker: BgpSpeaker;
let exabgp: ChildProcess | undefined;
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
  writeFileSync(path.join(dir, 'exabgp.conf'), exabgpConf);
  // `ip netns exec` execs exabgp in place: the pid is exabgp's own.
  exabgp = spawn('ip', ['netns', 'exec', NS, 'exabgp', path.join(dir, 'exabgp.conf')], {
    cwd: dir,
    stdio: 'ignore',
    env: {
      ...process.env, exabgp_daemon_user: 'root', exabgp_daemon_daemonize: 'false', exabgp_api_ack: 'false',
      exabgp_log_destination: 'stdout', exabgp_daemon_pid: path.join(dir, 'exabgp.pid'), exabgp_api_pipename: `exabgp6-${tag}`,
    },
  });
}, 60_000);

afterAll(async () => {
  if (exabgp?.pid !== undefined) await killPid(exabgp.pid);
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
    await killPid(exabgp!.pid!);
    const down = await waitFor('down event', () => downs.find((d) => d.neighbor === EXABGP));
    expect(down.reason).toEqual({ kind: 'remote-closed' });
    expect(speaker.neighborState(EXABGP)?.prefixes['ipv6-unicast'] ?? 0).toBe(0);
  }, 30_000);
});
