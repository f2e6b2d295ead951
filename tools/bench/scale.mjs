#!/usr/bin/env node
// Route-reflector scale benchmark (issue 15): the real agent (dist/src/main.js, configured over
// NETCONF) with N iBGP route reflector clients each sending a real-shaped full table
// (tools/bgp-loadgen/dfz-workload.mjs via dfz-peers.mjs) and 2 BMP collectors
// (scale-collector.mjs): collector 1 active from the start (live export), collector 2 activated
// once the table is in (dump of everything from the Adj-RIB-In). Meanwhile a second NETCONF
// session runs <get-config> every --probe-ms and times it (p50/p99/max), during ingest and
// during the dump.
//
// --cross-check: every collector's streams are also copied to its own pmbmpd (tools/bench/pmbmpd.mjs),
// which must hold every path, as (BMP peer, prefix) pairs, and no withdrawal; the result says so
// under crossCheck. pmbmpd writes a JSON line per path: cross-check a small table (--ipv4 100000
// --ipv6 20000), not the full one, and leave that run's rates out (the copies cost CPU).
//
// One completion rule for every receiver, observed from outside (as tools/bench/bmp-export.mjs):
// a receiver has the table when collector 1 holds every path it was sent; nothing asks the
// receiver itself (no CLI polling). Figures, per peer count:
//   ingest  = paths / (first peer Established .. collector 1 holds all paths)
//   live    = paths / (collector 1: first path .. all paths)
//   dump    = paths / (collector 2: first path .. all paths; it connects initial-delay 1 s after
//             activation, reported apart as dumpFromActivationS)
//   memory  = the receiver's peak RSS (VmHWM), and (VmHWM - RSS before the table) / paths, which
//             includes the BMP queues' and the garbage collector's high-water marks
//   ceiling = the generators' own rate: the same peers into a sink that only frames BGP messages,
//             first Established .. every peer's last message (its IPv6 End-of-RIB) read
//   cpu     = per phase (ingest: first Established .. collector 1 holds every path; dump: collector
//             2's activation committed .. it holds every path), the cores each process used: the
//             agent, each collector, the generators; with the load average, whether the agent's
//             rate is bound by its own work or by the CPU the others take on the same cores
//   eventLoopDelay = each agent thread's own event-loop delay over its life, how long it was
//             busy and its GC pauses by kind (its 'event-loop delay' line at SIGTERM): whether a
//             slow <get-config> waited for work on the NETCONF thread or for a CPU, and whether
//             the data plane's stalls are the garbage collector's
//   longGcPauses, stalls = each GC pause of 200 ms or more and each time a thread's event loop was
//             held 250 ms or more, as the agent logged them, with the phase each began in
//   establishedSpreadS = first to last peer up: the generator processes encode their tables
//             before connecting and may start apart on a busy machine; the windows include it
// --with gobgpd,frr feeds the same peers to Debian's gobgpd and FRR's bgpd (-M bmp, pre-policy,
// soft-reconfiguration inbound) with collector 1, for ingest, live and memory beside bmpd.
// --data-plane-nice 0,5 runs bmpd once per value (its --data-plane-nice: how many nice levels below
// the NETCONF thread the data plane thread runs), side by side in one invocation.
//
//   npx tsc -b && flock /tmp/bmpd-bench.lock node tools/bench/scale.mjs [--peers 1,4,16]
//        [--ipv4 1000000] [--ipv6 220000] [--attr-sets 300000] [--generators 2] [--with gobgpd,frr]
//        [--data-plane-nice 0,5] [--no-ceiling] [--stop-s 120] [--cpu-prof]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { NetconfClient } from './netconf-client.mjs';
import { routeMonitoringRecords, startPmbmpd } from './pmbmpd.mjs';
import { WORKLOAD_OPTIONS } from '../bgp-loadgen/dfz-workload.mjs';
import { killPid, processCpuMs, procStatus, sleep, startBenchAgent, startFrrBgpd, startGobgpd } from './processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { values: args } = parseArgs({
  options: {
    peers: { type: 'string', default: '1,4' },
    'cross-check': { type: 'boolean', default: false },
    ...WORKLOAD_OPTIONS,
    generators: { type: 'string', default: '2' },
    'probe-ms': { type: 'string', default: '50' },
    with: { type: 'string', default: '' },
    'timeout-s': { type: 'string', default: '900' },
    // Write a V8 CPU profile of the agent (node --cpu-prof); its directory is printed and kept.
    'cpu-prof': { type: 'boolean', default: false },
    // bmpd's --data-plane-nice, one bmpd run per value (comma list); default bmpd's own.
    'data-plane-nice': { type: 'string' },
    // Skip the generators' ceiling run (when only bmpd's figures are compared, e.g. nice values).
    'no-ceiling': { type: 'boolean', default: false },
    // How long the agent may take from SIGTERM to exit: at 16 peers it tears down 19.5 M paths and
    // 18 sessions before the two threads log their 'event-loop delay' lines.
    'stop-s': { type: 'string', default: '120' },
  },
});
const timeoutMs = Number(args['timeout-s']) * 1000;
const AGENT = '127.0.20.1';
const COLLECTOR = '127.0.20.2';
const SINK = '127.0.20.5';
const PORTS = { c1: 11019, c2: 11020 };
/** --cross-check: pmbmpd listens on PMBMPD, port + 100 of its collector, and gets the copies from TEE. */
const PMBMPD = '127.0.20.6';
const TEE = { [PORTS.c1]: '127.0.20.201', [PORTS.c2]: '127.0.20.202' };
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
  const pmDir = args['cross-check'] ? mkdtempSync(path.join(os.tmpdir(), 'bmpd-scale-pmbmpd-')) : null;
  const pmStarted = pmDir ? startPmbmpd({ dir: pmDir, address: PMBMPD, port: port + 100 }) : null;
  const tee = pmDir ? ['--tee-to', `${PMBMPD}:${port + 100}`, '--tee-from', TEE[port]] : [];
  const c = jsonChild(process.execPath, [path.join(here, 'scale-collector.mjs'), '--address', COLLECTOR, '--port', String(port), '--target', String(target), ...tee], `collector ${port}`);
  const stopPmbmpd = async () => {
    if (!pmDir) return;
    await killPid((await pmStarted.catch(() => null))?.pid, 3000);
    rmSync(pmDir, { recursive: true, force: true });
  };
  return {
    ...c,
    ready: Promise.all([c.wait((e) => e.event === 'listening', 'listening'), pmStarted]),
    stop: async () => {
      await killPid(c.child.pid, 2000);
      await stopPmbmpd();
    },
    /** What pmbmpd holds of this collector's streams: every path once, nothing withdrawn. */
    crossCheck: async () => {
      const pairs = new Set();
      let withdrawn = 0;
      for await (const r of routeMonitoringRecords((await pmStarted).file(TEE[port]))) {
        if (r.log_type === 'withdraw') withdrawn++;
        else pairs.add(`${r.peer_ip} ${r.ip_prefix}`);
      }
      await stopPmbmpd();
      const verdict = { paths: target, pmbmpdPaths: pairs.size, withdrawn, agrees: pairs.size === target && withdrawn === 0 };
      console.log(`collector ${port}: pmbmpd holds ${pairs.size} of ${target} (peer, prefix) paths, ${withdrawn} withdrawals: ${verdict.agrees ? 'agrees' : 'DISAGREES'}`);
      return verdict;
    },
  };
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

/** When the first peer of any generator process came up (Date.now() ms). */
function firstEstablished(gens) {
  return Math.min(...establishedTimes(gens));
}

function establishedTimes(gens) {
  return gens.flatMap((g) => g.lines.filter((e) => e.event === 'established').map((e) => e.t));
}

/**
 * Seconds from the first peer up to the last (each generator process encodes its peers' tables
 * before connecting, so on a busy machine they start apart): the windows above include it.
 */
function establishedSpreadS(gens) {
  const times = establishedTimes(gens);
  return Number(((Math.max(...times) - Math.min(...times)) / 1000).toFixed(1));
}

/**
 * The generators' ceiling: `peers` peers into a sink that answers OPEN and only frames what
 * follows; seconds from the first Established to every connection's IPv6 End-of-RIB (the last
 * message of a peer's stream: an UPDATE of 29 octets holding an empty MP_UNREACH_NLRI, RFC 4724).
 */
async function generatorCeiling(peers) {
  const { encodeOpen, encodeKeepalive } = await import(path.join(root, 'dist/src/bgp/codec/index.js'));
  let finished = 0;
  let lastAt = 0;
  let allDone;
  const done = new Promise((resolve) => { allDone = resolve; });
  const server = net.createServer((socket) => {
    socket.write(encodeOpen({ version: 4, myAs: ASN, holdTime: 180, bgpIdentifier: SINK,
      capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'multiprotocol', afi: 2, safi: 1 }, { kind: 'four-octet-as', asn: ASN }] }));
    socket.write(encodeKeepalive());
    let pending = null;
    socket.on('data', (chunk) => {
      const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      let p = 0;
      while (buf.length - p >= 19) {
        const length = buf.readUInt16BE(p + 16);
        if (buf.length - p < length) break;
        if (buf[p + 18] === 2 && length === 29 && buf[p + 24] === 15 && buf.readUInt16BE(p + 26) === 2) {
          lastAt = Date.now();
          if (++finished === peers) allDone();
        }
        p += length;
      }
      pending = p < buf.length ? Buffer.from(buf.subarray(p)) : null;
    });
    socket.on('error', () => {});
  });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen({ host: SINK, port: 179, exclusive: true }, resolve); });
  const gens = generators(SINK, peers, false);
  try {
    await Promise.race([done, sleep(timeoutMs).then(() => { throw new Error(`sink: ${finished} of ${peers} peers finished in ${timeoutMs / 1000} s`); })]);
    return { pathsPerSecond: Math.round((peers * pathsPerPeer) / ((lastAt - firstEstablished(gens)) / 1000)), establishedSpreadS: establishedSpreadS(gens) };
  } finally {
    for (const g of gens) await killPid(g.child.pid, 2000);
    server.close();
  }
}

/**
 * Where a phase's CPU went: each named process's (or group of processes') user + system time over
 * the window, in cores (1.0 = one core the whole window). With the cores of the machine (2 here)
 * and its load average beside them, it says whether the agent waited for work or for a CPU.
 */
function cpuMeter(processes) {
  const read = () => Object.fromEntries(Object.entries(processes).map(([name, pids]) => [name, pids.reduce((ms, pid) => ms + processCpuMs(pid), 0)]));
  let from = read();
  let fromT = performance.now();
  return {
    mark() {
      from = read();
      fromT = performance.now();
    },
    take() {
      const to = read();
      const seconds = (performance.now() - fromT) / 1000;
      const cores = Object.fromEntries(Object.entries(to).map(([name, ms]) => [name, Number(((ms - from[name]) / 1000 / seconds).toFixed(2))]));
      return { windowS: Number(seconds.toFixed(1)), cores, loadAverage1m: Number(os.loadavg()[0].toFixed(1)) };
    },
  };
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
  const phases = [{ phase, t: Date.now() }];
  let running = true;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      await client.rpc('<get-config><source><running/></source></get-config>');
      (samples[phase] ??= []).push(performance.now() - started);
      await sleep(Number(args['probe-ms']));
    }
  })();
  return {
    setPhase: (p) => { phase = p; phases.push({ phase, t: Date.now() }); },
    stop: async () => { running = false; await done; phases.push({ phase: 'stop', t: Date.now() }); },
    samples,
    /** The phase under way at `t` (Date.now() ms). */
    phaseAt: (t) => phases.findLast((p) => p.t <= t)?.phase ?? 'start',
  };
}

function neighborXml(peer) {
  return `<neighbor><address>127.0.1.${peer + 1}</address><remote-as>${ASN}</remote-as><passive>true</passive>` +
    `<timers><keepalive>60</keepalive><hold-time>180</hold-time></timers>` +
    `<address-family><name>ipv4-unicast</name></address-family><address-family><name>ipv6-unicast</name></address-family>` +
    `<bmp-activate><all/></bmp-activate></neighbor>`;
}
const serverXml = (id, port, activate) =>
  `<server><id>${id}</id>${activate ? '<activate/>' : ''}<address>${COLLECTOR}</address><port-number>${port}</port-number><initial-delay>1</initial-delay></server>`;

async function benchBmpd(peers, nice) {
  const { agent, port, stateDir, logPath, profileDir } = await startBenchAgent(root, {
    dirPrefix: 'bmpd-scale-', cpuProfile: args['cpu-prof'],
    agentArgs: nice !== undefined ? ['--data-plane-nice', nice] : [],
  });
  const cleanup = [];
  let result;
  let probe = null;
  try {
    const nc = await NetconfClient.connect({ host: '127.0.0.1', port, username: 'admin', password: 'admin' });
    const probeSession = await NetconfClient.connect({ host: '127.0.0.1', port, username: 'admin', password: 'admin' });
    cleanup.push(() => nc.close(), () => probeSession.close());
    const target = peers * pathsPerPeer;
    const c1 = collector(PORTS.c1, target);
    const c2 = collector(PORTS.c2, target);
    cleanup.push(() => c1.stop(), () => c2.stop());
    await Promise.all([c1.ready, c2.ready]);
    const neighbors = Array.from({ length: peers }, (_, p) => neighborXml(p)).join('');
    await nc.rpc(`<edit-config><target><candidate/></target><config><bgp xmlns="${NS}"><as-number>${ASN}</as-number><router-id>${AGENT}</router-id>` +
      `<listen><address>${AGENT}</address></listen><bmp>${serverXml(1, PORTS.c1, true)}${serverXml(2, PORTS.c2, false)}</bmp>${neighbors}</bgp></config></edit-config>`);
    await nc.rpc('<commit/>');
    probe = latencyProbe(probeSession);
    await sleep(3000); // collector 1 connects (initial-delay 1 s); the idle latency is sampled meanwhile
    const idleRss = procStatus(agent.pid, 'VmRSS');
    probe.setPhase('encode');
    const gens = generators(AGENT, peers, false);
    cleanup.push(...gens.map((g) => () => killPid(g.child.pid, 2000)));
    await Promise.any(gens.map((g) => g.wait((e) => e.event === 'established', 'a peer established')));
    probe.setPhase('ingest');
    const cpu = cpuMeter({ agent: [agent.pid], collector1: [c1.child.pid], collector2: [c2.child.pid], generators: gens.map((g) => g.child.pid) });
    const live = await c1.wait((e) => e.event === 'done', 'all paths at collector 1');
    const ingestCpu = cpu.take();
    const ingest = { ms: live.t - firstEstablished(gens), establishedSpreadS: establishedSpreadS(gens) };
    probe.setPhase('settle');
    await sleep(1000);
    // The commit itself is management work (get-config waits for it): sampled apart from the dump.
    probe.setPhase('commit');
    const activated = Date.now();
    await nc.rpc(`<edit-config><target><candidate/></target><config><bgp xmlns="${NS}"><bmp><server><id>2</id><activate/></server></bmp></bgp></config></edit-config>`);
    await nc.rpc('<commit/>');
    probe.setPhase('dump');
    cpu.mark();
    const dump = await c2.wait((e) => e.event === 'done', 'all paths at collector 2');
    const dumpCpu = cpu.take();
    probe.setPhase('after');
    await probe.stop();
    const peakRss = procStatus(agent.pid, 'VmHWM');
    result = {
      receiver: 'bmpd', peers, paths: target,
      ingestPerSecond: Math.round(target / (ingest.ms / 1000)), establishedSpreadS: ingest.establishedSpreadS,
      livePerSecond: Math.round(target / (live.ms / 1000)),
      dumpPerSecond: Math.round(target / (dump.ms / 1000)),
      dumpFromActivationS: Number(((dump.t - activated) / 1000).toFixed(2)),
      peakRssMiB: Math.round(peakRss / 2 ** 20), idleRssMiB: Math.round(idleRss / 2 ** 20),
      bytesPerPath: Number(((peakRss - idleRss) / target).toFixed(1)),
      getConfigMs: { idle: stats(probe.samples.idle ?? []), ingest: stats(probe.samples.ingest ?? []), dump: stats(probe.samples.dump ?? []) },
      cpu: { ingest: ingestCpu, dump: dumpCpu },
    };
    if (args['cross-check']) result.crossCheck = { live: await c1.crossCheck(), dump: await c2.crossCheck() };
  } finally {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => {});
    await killPid(agent.pid, Number(args['stop-s']) * 1000);
  }
  // An agent killed after --stop-s may have left half a line.
  const lines = readFileSync(logPath, 'utf8').split('\n').flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } });
  if (profileDir) console.error(`scale: the agent's CPU profile is in ${profileDir}`);
  else rmSync(stateDir, { recursive: true, force: true });
  // Each thread logs its event-loop delay and GC pauses over its life at SIGTERM
  // (src/dataplane/README.md): a <get-config> tail with the main thread's loop idle is CPU time
  // lost to other processes, not work left on the NETCONF thread; a data-plane stall with a GC
  // pause as long beside it is the collector's.
  const delay = (thread) => {
    const line = lines.find((e) => e.msg === 'event-loop delay' && e.thread === thread);
    return line ? { p50Ms: line.p50Ms, p99Ms: line.p99Ms, maxMs: line.maxMs, busyMs: line.busyMs, gc: line.gc } : null;
  };
  const started = lines.find((e) => e.msg === 'data plane started');
  const thread = (e) => (e.threadId ? 'data-plane' : 'main');
  const longGc = lines.filter((e) => e.msg === 'long garbage collection pause').map((e) => `${thread(e)} ${e.kind} ${e.pauseMs} ms at ${e.heapUsedMiB} MiB, ${probe?.phaseAt(e.time - e.pauseMs)}`);
  // Each event loop held ≥ 250 ms, with the benchmark phase it began in (the line is written when it ends).
  // cpu: the thread's own CPU meanwhile; far below the hold, it waited for a core (src/dataplane/thread-load.ts).
  const stalls = lines.filter((e) => e.msg === 'event loop held').map((e) => `${thread(e)} ${e.heldMs} ms (cpu ${e.cpuMs} ms), ${probe?.phaseAt(e.time - e.heldMs)}`);
  return {
    ...result, dataPlaneNice: started?.nice ?? null,
    eventLoopDelay: { main: delay('main'), dataPlane: delay('data-plane') }, longGcPauses: longGc, stalls,
    ...(lines.some((e) => e.msg === 'bmpd stopped') ? {} : { stop: `no 'bmpd stopped' within --stop-s ${args['stop-s']}` }),
  };
}

/** gobgpd or FRR fed the same peers, with collector 1 from the start: ingest, live, memory. */
async function benchOther(receiver, peers) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `bmpd-scale-${receiver}-`));
  const address = receiver === 'gobgpd' ? '127.0.20.3' : '127.0.20.4';
  const target = peers * pathsPerPeer;
  const c1 = collector(PORTS.c1, target);
  const cleanup = [() => c1.stop()];
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
    await Promise.any(gens.map((g) => g.wait((e) => e.event === 'established', 'a peer established')));
    const live = await c1.wait((e) => e.event === 'done', 'all paths at collector 1');
    const ingest = { ms: live.t - firstEstablished(gens), establishedSpreadS: establishedSpreadS(gens) };
    const peakRss = procStatus(daemon.pid, 'VmHWM');
    return {
      receiver, peers, paths: target,
      ingestPerSecond: Math.round(target / (ingest.ms / 1000)), establishedSpreadS: ingest.establishedSpreadS,
      livePerSecond: Math.round(target / (live.ms / 1000)),
      peakRssMiB: Math.round(peakRss / 2 ** 20), idleRssMiB: Math.round(idleRss / 2 ** 20),
      bytesPerPath: Number(((peakRss - idleRss) / target).toFixed(1)),
      ...(args['cross-check'] ? { crossCheck: { live: await c1.crossCheck() } } : {}),
    };
  } finally {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [];
const others = args.with.split(',').filter(Boolean);
console.log(`scale: ${args.ipv4} IPv4 + ${args.ipv6} IPv6 prefixes a peer, about ${args['attr-sets']} attribute sets a peer, ${args.shared} shared; seed ${args.seed}`);
const niceValues = args['data-plane-nice']?.split(',') ?? [undefined];
for (const peers of args.peers.split(',').map(Number)) {
  if (!args['no-ceiling']) {
    try {
      const ceiling = { receiver: 'generator ceiling', peers, paths: peers * pathsPerPeer, ...(await generatorCeiling(peers)) };
      results.push(ceiling);
      console.log(JSON.stringify(ceiling));
    } catch (err) {
      console.log(JSON.stringify({ receiver: 'generator ceiling', peers, error: err.message }));
    }
  }
  const runs = [...niceValues.map((nice) => ['bmpd', nice]), ...others.map((o) => [o])];
  for (const [receiver, nice] of runs) {
    try {
      const r = receiver === 'bmpd' ? await benchBmpd(peers, nice) : await benchOther(receiver, peers);
      results.push(r);
      console.log(JSON.stringify(r));
    } catch (err) {
      results.push({ receiver, peers, error: err.message });
      console.log(JSON.stringify({ receiver, peers, error: err.message }));
    }
  }
}
for (const r of results.filter((x) => (x.receiver === 'gobgpd' || x.receiver === 'frr') && !x.error)) {
  const b = results.find((x) => x.receiver === 'bmpd' && x.peers === r.peers && !x.error);
  if (b) console.log(`${r.peers} peers bmpd/${r.receiver}: ingest x${(b.ingestPerSecond / r.ingestPerSecond).toFixed(2)}, live x${(b.livePerSecond / r.livePerSecond).toFixed(2)}, peak RSS x${(b.peakRssMiB / r.peakRssMiB).toFixed(2)}`);
}
console.log(JSON.stringify({ bench: 'scale', results }));
// Waiters that lost a Promise.any still hold their timeout timers.
process.exit(0);
