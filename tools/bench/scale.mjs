#!/usr/bin/env node
// Route-reflector scale benchmark (issue 15): the real agent (dist/src/main.js, configured over
// NETCONF) with N iBGP route reflector clients each sending a real-shaped full table
// (tools/bgp-loadgen/dfz-workload.mjs via dfz-peers.mjs) and 2 BMP collectors
// (scale-collector.mjs): collector 1 active from the start (live export), collector 2 activated
// once the table is in (dump of everything from the Adj-RIB-In). Meanwhile a second NETCONF
// session runs <get-config> every --probe-ms and times it (p50/p99/max), during ingest and
// during the dump.
//
// Figures, per peer count:
//   ingest  = paths / (first peer Established .. the last peer's last byte taken by the
//             receiver's socket: the kernel holds at most a socket buffer more, about 0.1 %)
//   live    = paths / (collector 1: first path .. all paths)
//   dump    = paths / (collector 2: first path .. all paths; it connects initial-delay 1 s after
//             activation, reported apart as dumpFromActivationS)
//   memory  = the agent's peak RSS (VmHWM), and (VmHWM - RSS before the table) / paths, which
//             includes the BMP queues' and the garbage collector's high-water marks
// --with gobgpd,frr feeds the same peers to Debian's gobgpd and FRR's bgpd (-M bmp, pre-policy,
// soft-reconfiguration inbound) with collector 1, for ingest, live and memory beside bmpd. They
// queue what they read in user space, so their ingest ends when their own count of received
// paths (gobgp global rib summary, show bgp summary json; polled every 250 ms) has the table.
//
//   npx tsc -b && flock /tmp/bmpd-bench.lock node tools/bench/scale.mjs [--peers 1,4,16]
//        [--ipv4 1000000] [--ipv6 220000] [--attr-sets 300000] [--generators 2] [--with gobgpd,frr]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { NetconfClient } from './netconf-client.mjs';
import { WORKLOAD_OPTIONS } from '../bgp-loadgen/dfz-workload.mjs';
import { killPid, procStatus, sleep, startFrrBgpd, startGobgpd } from './processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { values: args } = parseArgs({
  options: {
    peers: { type: 'string', default: '1,4' },
    ...WORKLOAD_OPTIONS,
    generators: { type: 'string', default: '2' },
    'probe-ms': { type: 'string', default: '50' },
    with: { type: 'string', default: '' },
    'timeout-s': { type: 'string', default: '900' },
  },
});
const timeoutMs = Number(args['timeout-s']) * 1000;
const AGENT = '127.0.20.1';
const COLLECTOR = '127.0.20.2';
const PORTS = { c1: 11019, c2: 11020 };
const ASN = 65001;
const pathsPerPeer = Number(args.ipv4) + Number(args.ipv6);
const NS = 'urn:bmpd:yang:bmpd';

/** A child whose stdout is JSON lines; `wait(pred)` resolves with the first line matching. */
function jsonChild(command, argv, name) {
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    let event;
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    lines.push(event);
    // A peer that fails says so at once, rather than as a timeout minutes later.
    if (event.event === 'error' || event.event === 'notification' || event.event === 'down') console.error(`${name}: ${line}`);
    for (const w of [...waiters]) if (w.pred(event)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(event); }
  });
  const wait = (pred, what) =>
    new Promise((resolve, reject) => {
      const found = lines.find(pred);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`${name}: no ${what} in ${timeoutMs / 1000} s`)), timeoutMs);
      waiters.push({ pred, resolve: (e) => { clearTimeout(timer); resolve(e); }, reject: (code) => { clearTimeout(timer); reject(new Error(`${name} exited ${code} before ${what}`)); } });
    });
  child.once('exit', (code) => { for (const w of waiters.splice(0)) w.reject(code); });
  return { child, lines, wait };
}

function collector(port, target) {
  const c = jsonChild(process.execPath, [path.join(here, 'scale-collector.mjs'), '--address', COLLECTOR, '--port', String(port), '--target', String(target)], `collector ${port}`);
  return { ...c, ready: c.wait((e) => e.event === 'listening', 'listening') };
}

/** The peers, split over --generators processes (each encodes its peers' tables first). */
function generators(target, peers, routeRefresh) {
  const count = Math.min(peers, Number(args.generators));
  const out = [];
  for (let g = 0, first = 0; g < count; g++) {
    const n = Math.floor(peers / count) + (g < peers % count ? 1 : 0);
    out.push(
      jsonChild(process.execPath, [
        path.join(root, 'tools/bgp-loadgen/dfz-peers.mjs'), '--peer', target, '--port', '179', '--first', String(first), '--count', String(n),
        '--as', String(ASN), '--seed', args.seed, '--ipv4', args.ipv4, '--ipv6', args.ipv6, '--attr-sets', args['attr-sets'], '--shared', args.shared,
        ...(routeRefresh ? ['--route-refresh'] : []),
      ], `generator ${g}`),
    );
    first += n;
  }
  return out;
}

/** Ingest window: first Established .. last peer's 'sent', over all generator processes. */
async function ingestWindow(gens, peers) {
  const sent = await Promise.all(
    Array.from({ length: peers }, (_, peer) => Promise.any(gens.map((g) => g.wait((e) => e.peer === peer && e.event === 'sent', `peer ${peer} sent`)))),
  );
  const established = gens.flatMap((g) => g.lines.filter((e) => e.event === 'established'));
  const start = Math.min(...established.map((e) => e.t));
  const end = Math.max(...sent.map((e) => e.t));
  return { start, end, ms: end - start };
}

function stats(samples) {
  if (samples.length === 0) return null;
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: Number(q(0.5).toFixed(1)), p99: Number(q(0.99).toFixed(1)), max: Number(s[s.length - 1].toFixed(1)) };
}

/** <get-config> of running every probeMs on its own session; `phase` labels each sample. */
function latencyProbe(client) {
  const samples = {};
  let phase = 'idle';
  let running = true;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      await client.rpc('<get-config><source><running/></source></get-config>');
      (samples[phase] ??= []).push(performance.now() - started);
      await sleep(Number(args['probe-ms']));
    }
  })();
  return { setPhase: (p) => { phase = p; }, stop: async () => { running = false; await done; }, samples };
}

function neighborXml(peer) {
  return `<neighbor><address>127.0.1.${peer + 1}</address><remote-as>${ASN}</remote-as><passive>true</passive>` +
    `<timers><keepalive>60</keepalive><hold-time>180</hold-time></timers>` +
    `<address-family><name>ipv4-unicast</name></address-family><address-family><name>ipv6-unicast</name></address-family>` +
    `<bmp-activate><all/></bmp-activate></neighbor>`;
}
const serverXml = (id, port, activate) =>
  `<server><id>${id}</id>${activate ? '<activate/>' : ''}<address>${COLLECTOR}</address><port-number>${port}</port-number><initial-delay>1</initial-delay></server>`;

async function benchBmpd(peers) {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'bmpd-scale-'));
  const agent = jsonChild(process.execPath, [path.join(root, 'dist/src/main.js'), '--state-dir', stateDir, '--netconf-port', '0', '--log-level', 'warn'], 'agent');
  const cleanup = [];
  try {
    // 'bmpd ready' is logged at info: with --log-level warn, wait for the NETCONF port instead.
    const port = await readyPort(agent);
    const nc = await NetconfClient.connect({ host: '127.0.0.1', port, username: 'admin', password: 'admin' });
    const probeSession = await NetconfClient.connect({ host: '127.0.0.1', port, username: 'admin', password: 'admin' });
    cleanup.push(() => nc.close(), () => probeSession.close());
    const target = peers * pathsPerPeer;
    const c1 = collector(PORTS.c1, target);
    const c2 = collector(PORTS.c2, target);
    cleanup.push(() => killPid(c1.child.pid, 2000), () => killPid(c2.child.pid, 2000));
    await Promise.all([c1.ready, c2.ready]);
    const neighbors = Array.from({ length: peers }, (_, p) => neighborXml(p)).join('');
    await nc.rpc(`<edit-config><target><candidate/></target><config><bgp xmlns="${NS}"><as-number>${ASN}</as-number><router-id>${AGENT}</router-id>` +
      `<listen><address>${AGENT}</address></listen><bmp>${serverXml(1, PORTS.c1, true)}${serverXml(2, PORTS.c2, false)}</bmp>${neighbors}</bgp></config></edit-config>`);
    await nc.rpc('<commit/>');
    const probe = latencyProbe(probeSession);
    await sleep(3000); // collector 1 connects (initial-delay 1 s); the idle latency is sampled meanwhile
    const idleRss = procStatus(agent.child.pid, 'VmRSS');
    probe.setPhase('encode');
    const gens = generators(AGENT, peers, false);
    cleanup.push(...gens.map((g) => () => killPid(g.child.pid, 2000)));
    await Promise.any(gens.map((g) => g.wait((e) => e.event === 'established', 'a peer established')));
    probe.setPhase('ingest');
    const ingest = await ingestWindow(gens, peers);
    const live = await c1.wait((e) => e.event === 'done', 'all paths at collector 1');
    probe.setPhase('settle');
    await sleep(1000);
    // The commit itself is management work (get-config waits for it): sampled apart from the dump.
    probe.setPhase('commit');
    const activated = Date.now();
    await nc.rpc(`<edit-config><target><candidate/></target><config><bgp xmlns="${NS}"><bmp><server><id>2</id><activate/></server></bmp></bgp></config></edit-config>`);
    await nc.rpc('<commit/>');
    probe.setPhase('dump');
    const dump = await c2.wait((e) => e.event === 'done', 'all paths at collector 2');
    probe.setPhase('after');
    await probe.stop();
    const peakRss = procStatus(agent.child.pid, 'VmHWM');
    return {
      receiver: 'bmpd', peers, paths: target,
      ingestPerSecond: Math.round(target / (ingest.ms / 1000)),
      livePerSecond: Math.round(target / (live.ms / 1000)),
      dumpPerSecond: Math.round(target / (dump.ms / 1000)),
      dumpFromActivationS: Number(((dump.t - activated) / 1000).toFixed(2)),
      peakRssMiB: Math.round(peakRss / 2 ** 20), idleRssMiB: Math.round(idleRss / 2 ** 20),
      bytesPerPath: Number(((peakRss - idleRss) / target).toFixed(1)),
      getConfigMs: { idle: stats(probe.samples.idle ?? []), ingest: stats(probe.samples.ingest ?? []), dump: stats(probe.samples.dump ?? []) },
    };
  } finally {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => {});
    await killPid(agent.child.pid, 10_000);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** The agent logs {msg:'bmpd ready', port} at info; at warn we read the port from ss instead. */
async function readyPort(agent) {
  for (let i = 0; i < 300; i++) {
    const out = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' });
    const line = out.split('\n').find((l) => l.includes(`pid=${agent.child.pid},`) && l.includes('127.0.0.1:'));
    if (line) return Number(/127\.0\.0\.1:(\d+)/.exec(line)[1]);
    if (agent.child.exitCode !== null) throw new Error(`agent exited ${agent.child.exitCode}`);
    await sleep(100);
  }
  throw new Error('agent NETCONF port not found in 30 s');
}

/** gobgpd or FRR fed the same peers, with collector 1 from the start: ingest, live, memory. */
async function benchOther(receiver, peers) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `bmpd-scale-${receiver}-`));
  const address = receiver === 'gobgpd' ? '127.0.20.3' : '127.0.20.4';
  const target = peers * pathsPerPeer;
  const c1 = collector(PORTS.c1, target);
  const cleanup = [() => killPid(c1.child.pid, 2000)];
  try {
    await c1.ready;
    const peerAddresses = Array.from({ length: peers }, (_, p) => `127.0.1.${p + 1}`);
    let daemon;
    if (receiver === 'gobgpd') {
      daemon = await startGobgpd({
        dir, asn: ASN, address, port: 179, apiPort: 50099, generator: peerAddresses[0], generatorAs: ASN,
        peers: peerAddresses.slice(1).map((a) => ({ address: a, asn: ASN })),
        families: ['ipv4-unicast', 'ipv6-unicast'],
        bmpServers: [{ address: COLLECTOR, port: PORTS.c1 }],
      });
    } else {
      const lines = peerAddresses.slice(1).map((a) => ` neighbor ${a} remote-as ${ASN}\n neighbor ${a} passive\n`).join('');
      const af = (afi) => ` address-family ${afi} unicast\n${peerAddresses.map((a) => `  neighbor ${a} activate\n  neighbor ${a} soft-reconfiguration inbound\n`).join('')} exit-address-family\n`;
      daemon = await startFrrBgpd({
        dir, asn: ASN, address, port: 179, generator: peerAddresses[0], generatorAs: ASN, modules: ['bmp'],
        extraConfig: `${lines}${af('ipv4')}${af('ipv6')} !
 bmp targets collector
  bmp monitor ipv4 unicast pre-policy
  bmp monitor ipv6 unicast pre-policy
  bmp connect ${COLLECTOR} port ${PORTS.c1} min-retry 100 max-retry 1000
 exit
`,
      });
    }
    cleanup.push(() => killPid(daemon.pid, 5000));
    await sleep(2000);
    const idleRss = procStatus(daemon.pid, 'VmRSS');
    const gens = generators(address, peers, true);
    cleanup.push(...gens.map((g) => () => killPid(g.child.pid, 2000)));
    // These daemons read their sockets into queues of their own: the socket-level rule would time
    // the kernel, so the table is in when their own count of received paths says so.
    const received = receiver === 'gobgpd' ? () => gobgpPaths(daemon) : () => frrPaths(daemon);
    const started = await Promise.any(gens.map((g) => g.wait((e) => e.event === 'established', 'a peer established')));
    let inAt = 0;
    for (const deadline = Date.now() + timeoutMs; !inAt && Date.now() < deadline; ) {
      if ((await received().catch(() => 0)) >= target) inAt = Date.now();
      else await sleep(250);
    }
    if (!inAt) throw new Error(`${receiver} did not count ${target} paths in ${timeoutMs / 1000} s`);
    const ingest = { ms: inAt - started.t };
    const live = await c1.wait((e) => e.event === 'done', 'all paths at collector 1');
    const peakRss = procStatus(daemon.pid, 'VmHWM');
    return {
      receiver, peers, paths: target,
      ingestPerSecond: Math.round(target / (ingest.ms / 1000)),
      livePerSecond: Math.round(target / (live.ms / 1000)),
      peakRssMiB: Math.round(peakRss / 2 ** 20), idleRssMiB: Math.round(idleRss / 2 ** 20),
      bytesPerPath: Number(((peakRss - idleRss) / target).toFixed(1)),
    };
  } finally {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Paths gobgpd holds, IPv4 and IPv6 ("Destination: D, Path: P" per table). */
async function gobgpPaths(daemon) {
  let paths = 0;
  for (const family of ['ipv4', 'ipv6']) paths += Number(/Path: (\d+)/.exec(await daemon.cli('global', 'rib', 'summary', '-a', family))?.[1] ?? 0);
  return paths;
}

/** Paths FRR received from its neighbors, IPv4 and IPv6 unicast (pfxRcd per peer). */
async function frrPaths(daemon) {
  const summary = JSON.parse(await daemon.vtysh('show bgp summary json'));
  let paths = 0;
  for (const family of ['ipv4Unicast', 'ipv6Unicast']) for (const peer of Object.values(summary[family]?.peers ?? {})) paths += peer.pfxRcd ?? 0;
  return paths;
}

const results = [];
const others = args.with.split(',').filter(Boolean);
console.log(`scale: ${args.ipv4} IPv4 + ${args.ipv6} IPv6 prefixes a peer, about ${args['attr-sets']} attribute sets a peer, ${args.shared} shared; seed ${args.seed}`);
for (const peers of args.peers.split(',').map(Number)) {
  for (const receiver of ['bmpd', ...others]) {
    try {
      const r = receiver === 'bmpd' ? await benchBmpd(peers) : await benchOther(receiver, peers);
      results.push(r);
      console.log(JSON.stringify(r));
    } catch (err) {
      results.push({ receiver, peers, error: err.message });
      console.log(JSON.stringify({ receiver, peers, error: err.message }));
    }
  }
}
for (const r of results.filter((x) => x.receiver !== 'bmpd' && !x.error)) {
  const b = results.find((x) => x.receiver === 'bmpd' && x.peers === r.peers && !x.error);
  if (b) console.log(`${r.peers} peers bmpd/${r.receiver}: ingest x${(b.ingestPerSecond / r.ingestPerSecond).toFixed(2)}, live x${(b.livePerSecond / r.livePerSecond).toFixed(2)}, peak RSS x${(b.peakRssMiB / r.peakRssMiB).toFixed(2)}`);
}
console.log(JSON.stringify({ bench: 'scale', results }));
// Waiters that lost a Promise.any still hold their timeout timers.
process.exit(0);
