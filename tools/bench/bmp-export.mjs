#!/usr/bin/env node
// BGP ingest and BMP export benchmark: the same generated table (tools/bgp-loadgen) fed to each
// exporter in turn on loopback, each reporting pre-policy Route Monitoring to a checking collector
// in this process (collector.mjs). The exporters:
//   agent        the bmpd agent itself (dist/src/main.js), configured over NETCONF; the generator
//                advertises route-refresh and answers a ROUTE-REFRESH with its table again
//   agent-replay the same, but the generator has no route-refresh: a new station's table is the
//                agent's Adj-RIB-In replay
//   gobgpd       Debian's gobgpd (bmp-servers, pre-policy)
//   frr          FRR bgpd -M bmp (pre-policy, with the soft-reconfiguration inbound it needs)
//   child        bmpd's speaker + BMP engine without NETCONF, datastores or libyang-wasm
//                (bmp-export-child.mjs; replay), an extra row only
// One completion rule for all, observed from outside: the collector holds every prefix of the
// table (unique prefixes, none foreign, none withdrawn, the attributes of a sample as sent).
//   ingest = N / (generator Established -> the live collector holds all N)
//   live   = N / (the live collector's first prefix -> all N)
//   dump   = N / (the live collector is closed and a new one listens on the same port; the
//            exporter reconnects: the new collector's accept -> all N), and for bmpd also
//            accept -> the End-of-RIB after the last prefix
//   memory = idle RSS (configured, before the table), peak RSS (VmHWM) after the live phase, per
//            prefix, and at the end
// Every figure is min / median / max of --runs runs, taken round robin (run 1 of every exporter,
// then run 2, ...). The generator's own ceiling (the same table into a BGP sink that only frames
// it) is measured once per round, so each round's rates stand beside the ceiling of that moment.
// --cross-check: one extra run per exporter in the first feed (excluded from the figures) whose BMP
// streams are also copied to pmbmpd, which must see the same unique prefixes, AS_PATHs and next hops;
// with --runs 0 that run alone.
//
//   npx tsc -b && node tools/bench/bmp-export.mjs [--prefixes 1000000] [--per-update 50] [--attr-sets 4000]
//        [--runs 5] [--only agent,agent-replay,gobgpd,frr,child] [--cross-check] [--cpu-prof]
// Lists (comma-separated) of --prefixes, --per-update and --attr-sets run every combination; the
// README's sweep: --prefixes 100000 --per-update 1,5,50 --attr-sets 4000,300000 (gobgpd's dump of
// 8k-10k prefixes/s makes its runs the long ones: on a shared 2-core machine, split it by
// --per-update to keep each hold of the bench lock short).
// --cpu-prof runs the bmpd process (agent or child) of the last run under `node --cpu-prof` and
// prints its top self-time functions for each phase.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { BgpSink, CheckingCollector, expectedAttributes } from './collector.mjs';
import { NetconfClient } from './netconf-client.mjs';
import { routeMonitoringRecords, startPmbmpd } from './pmbmpd.mjs';
import { killPid as killAfter, processCpuMs, procStatus, sleep, spawnJson as spawnJsonWith, spawnLoadgen, startBenchAgent, startFrrBgpd, startGobgpd } from './processes.mjs';
import { spread, spreadText } from './stats.mjs';
import { tableShape } from '../bgp-loadgen/table.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { encodeOpen, encodeKeepalive } = await import(path.join(root, 'dist/src/bgp/codec/index.js'));

const { values: args } = parseArgs({
  options: {
    prefixes: { type: 'string', default: '1000000' },
    'per-update': { type: 'string', default: '50' },
    'attr-sets': { type: 'string', default: '4000' },
    runs: { type: 'string', default: '5' },
    only: { type: 'string', default: 'agent,agent-replay,gobgpd,frr' },
    'cross-check': { type: 'boolean', default: false },
    'timeout-s': { type: 'string', default: '300' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const list = (text) => text.split(',').map((x) => Number(x.trim()));
const timeoutMs = Number(args['timeout-s']) * 1000;
// --runs 0 with --cross-check: the cross-check run alone (a feed checked by pmbmpd without timing it).
const runs = Math.max(args['cross-check'] ? 0 : 1, Number(args.runs));
const killPid = (pid) => killAfter(pid, 5000);
const spawnJson = (script, scriptArgs, nodeFlags = []) => spawnJsonWith(script, scriptArgs, { nodeFlags, timeoutMs });

// Loopback only (127.0.17.x); one exporter at a time. Every run takes fresh ports: a daemon
// killed with connections open leaves TIME_WAIT behind.
const GENERATOR = '127.0.17.100';
const COLLECTOR = '127.0.17.1';
const PMBMPD = '127.0.17.2';
/** The sources of the copies pmbmpd gets (its output file is named after the exporter's address). */
const TEE = { live: '127.0.17.201', dump: '127.0.17.202' };
const SINK = '127.0.17.99';
const GENERATOR_AS = 65010;
const EXPORTER_AS = 65001;
const ADDR = { agent: '127.0.17.101', 'agent-replay': '127.0.17.101', gobgpd: '127.0.17.102', frr: '127.0.17.103', child: '127.0.17.104' };
let PORT = 17279;

const startLoadgen = (receiver, feed, noRouteRefresh = false) =>
  spawnLoadgen({ peer: receiver, port: PORT, local: GENERATOR, as: GENERATOR_AS, prefixes: feed.prefixes, perUpdate: feed.perUpdate, attrSets: feed.attrSets, noRouteRefresh }, { timeoutMs });

async function until(what, probe, ms = timeoutMs) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(20);
  }
}

// ------------------------------------------------------------------ the generator's ceiling

/** The generator into a sink that only frames BGP messages: Established -> End-of-RIB at the sink. */
async function generatorCeiling(feed) {
  PORT++;
  const sink = new BgpSink({ asNumber: EXPORTER_AS, routerId: SINK, encodeOpen, encodeKeepalive });
  await sink.listen(SINK, PORT);
  const gen = startLoadgen(SINK, feed);
  try {
    const established = await gen.next('established');
    await sink.endOfRib();
    return { seconds: (sink.endOfRibAt - established.at) / 1000 };
  } finally {
    await killPid(gen.child.pid);
    sink.close();
  }
}

// ------------------------------------------------------------------ the phases

/**
 * The phases against an exporter that reports to COLLECTOR:collectorPort: `start()` brings it up
 * and resolves once it may be fed (the live collector already listens), `feed()` starts the
 * generator and resolves with its "established" event; then the live collector is closed and a
 * fresh one awaits the dump.
 */
async function measure(feed, shape, collectorPort, { start, feed: startFeed, pid, waitEndOfRib, prependedAs }, tee) {
  let live = new CheckingCollector(shape, { tee: tee?.('live'), prependedAs });
  await live.listen(COLLECTOR, collectorPort);
  let dump = null;
  try {
    await start(live);
    const idleRss = procStatus(pid(), 'VmRSS');
    const established = await startFeed();
    await live.complete('live export', timeoutMs);
    const ingestPeakRss = procStatus(pid(), 'VmHWM');
    // Anything still in flight (a duplicate, a withdrawal) counts against the exporter.
    await sleep(200);
    const liveResult = summary(live, feed);
    // The generator's event time is its Date.now(): one clock for both ends of the window.
    liveResult.ingestSeconds = (live.completeWallAt - established.at) / 1000;
    await live.close();
    live = null;
    dump = new CheckingCollector(shape, { tee: tee?.('dump'), prependedAs });
    await dump.listen(COLLECTOR, collectorPort);
    await dump.complete('dump', timeoutMs);
    const eor = waitEndOfRib ? await dump.endOfRib(30_000) : false;
    await sleep(200);
    const dumpResult = summary(dump, feed);
    dumpResult.endOfRibSeconds = eor ? (dump.endOfRibAt - dump.acceptedAt) / 1000 : null;
    const problems = [...liveResult.problems.map((p) => `live: ${p}`), ...dumpResult.problems.map((p) => `dump: ${p}`)];
    // The ingest window holds the live one (Established comes before the first prefix): shorter
    // means the two clocks disagree, not a fast exporter.
    if (liveResult.ingestSeconds < liveResult.seconds * 0.98) problems.push(`ingest window ${liveResult.ingestSeconds.toFixed(3)} s shorter than the live window ${liveResult.seconds.toFixed(3)} s`);
    return { live: liveResult, dump: dumpResult, idleRss, ingestPeakRss, peakRss: procStatus(pid(), 'VmHWM'), problems };
  } finally {
    await live?.close();
    await dump?.close();
  }
}

function summary(c, feed) {
  return {
    seconds: (c.completeAt - c.firstPrefixAt) / 1000,
    acceptSeconds: (c.completeAt - c.acceptedAt) / 1000,
    routeMonitoring: c.routeMonitoringWithPrefixes,
    prefixesPerMessage: feed.prefixes / c.routeMonitoringWithPrefixes,
    duplicates: c.duplicates,
    sampled: c.sampled,
    bytes: c.bytes,
    problems: c.problems(),
  };
}

// ------------------------------------------------------------------ exporters

/** The agent's configuration for one benchmark exporter, as a NETCONF client would commit it. */
function agentConfig(address, collectorPort) {
  return `<bgp xmlns="urn:bmpd:yang:bmpd"><as-number>${EXPORTER_AS}</as-number><router-id>${address}</router-id>`
    + `<listen><address>${address}</address><port>${PORT}</port></listen>`
    + `<bmp><server><id>1</id><activate/><address>${COLLECTOR}</address><port-number>${collectorPort}</port-number>`
    + '<description>bench collector</description><initial-delay>1</initial-delay><failure-retry-delay>1</failure-retry-delay>'
    + '<flapping-delay>1</flapping-delay></server></bmp>'
    + `<neighbor><address>${GENERATOR}</address><remote-as>${GENERATOR_AS}</remote-as><passive>true</passive>`
    + '<address-family><name>ipv4-unicast</name></address-family><bmp-activate><server>1</server></bmp-activate></neighbor></bgp>';
}

/** The agent process, configured over NETCONF; `routeRefresh` false: the generator lacks the capability. */
function benchAgent(routeRefresh) {
  return async (feed, shape, collectorPort, { cpuProfile, tee }) => {
    const name = routeRefresh ? 'agent' : 'agent-replay';
    const { agent, port, stateDir, profileDir: profDir } = await startBenchAgent(root, { dirPrefix: 'bench-agent-', cpuProfile });
    let loadgen = null;
    try {
      const result = await measure(feed, shape, collectorPort, {
        start: async (live) => {
          const client = await NetconfClient.connect({ host: '127.0.0.1', port, username: 'admin', password: 'admin' });
          try {
            await client.editConfig('candidate', agentConfig(ADDR[name], collectorPort));
            await client.commit();
          } finally {
            await client.close();
          }
          await until('the agent connects to the collector', () => live.connections > 0, 30_000);
        },
        feed: async () => {
          const gen = startLoadgen(ADDR[name], feed, !routeRefresh);
          loadgen = gen.child;
          return gen.next('established');
        },
        pid: () => agent.pid,
        waitEndOfRib: true,
      }, tee);
      await killPid(loadgen?.pid);
      const agentCpuMs = cpuProfile ? processCpuMs(agent.pid) : 0;
      await killPid(agent.pid);
      return { exporter: name, ...result, profile: profDir ? { dir: profDir, cpuMs: agentCpuMs } : null, cleanup: () => rmSync(stateDir, { recursive: true, force: true }) };
    } catch (err) {
      await killPid(loadgen?.pid);
      await killPid(agent.pid);
      rmSync(stateDir, { recursive: true, force: true });
      throw err;
    }
  };
}

async function benchChild(feed, shape, collectorPort, { cpuProfile, tee }) {
  const profDir = cpuProfile ? mkdtempSync(path.join(os.tmpdir(), 'bench-child-prof-')) : null;
  const child = spawnJson(
    path.join(here, 'bmp-export-child.mjs'),
    [
      '--listen', ADDR.child, '--port', String(PORT), '--as', String(EXPORTER_AS),
      '--neighbor', GENERATOR, '--remote-as', String(GENERATOR_AS),
      '--collector', COLLECTOR, '--collector-port', String(collectorPort), '--target', String(feed.prefixes),
    ],
    profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [],
  );
  let loadgen = null;
  try {
    const result = await measure(feed, shape, collectorPort, {
      start: async () => {
        await child.next('listening');
        await child.next('server-up');
      },
      feed: async () => {
        const gen = startLoadgen(ADDR.child, feed);
        loadgen = gen.child;
        return gen.next('established');
      },
      pid: () => child.child.pid,
      waitEndOfRib: true,
    }, tee);
    await killPid(loadgen?.pid);
    const cpuMs = profDir ? processCpuMs(child.child.pid) : 0;
    await killPid(child.child.pid);
    return { exporter: 'child', ...result, profile: profDir ? { dir: profDir, cpuMs } : null, cleanup: () => profDir && rmSync(profDir, { recursive: true, force: true }) };
  } finally {
    await killPid(loadgen?.pid);
    await killPid(child.child.pid);
  }
}

async function benchGobgpd(feed, shape, collectorPort, { tee }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-gobgpd-'));
  let gobgpd = null;
  let loadgen = null;
  try {
    const result = await measure(feed, shape, collectorPort, {
      start: async (live) => {
        // gobgpd never reads from its BMP socket: it notices a closed collector only when a write
        // fails, so the dump phase waits for its Statistics Reports (15 s is the least it accepts).
        gobgpd = await startGobgpd({
          dir, asn: EXPORTER_AS, address: ADDR.gobgpd, port: PORT, apiPort: PORT + 33000, generator: GENERATOR, generatorAs: GENERATOR_AS,
          bmpServers: [{ address: COLLECTOR, port: collectorPort, statisticsTimeout: 15 }],
        });
        await until('gobgpd connects to the collector', () => live.connections > 0, 30_000);
      },
      feed: async () => {
        const gen = startLoadgen(ADDR.gobgpd, feed);
        loadgen = gen.child;
        return gen.next('established');
      },
      pid: () => gobgpd.pid,
    }, tee);
    return { exporter: 'gobgpd', ...result };
  } finally {
    await killPid(loadgen?.pid);
    await killPid(gobgpd?.pid);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchFrr(feed, shape, collectorPort, { tee }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-frr-'));
  let pid = 0;
  let loadgen = null;
  try {
    const result = await measure(feed, shape, collectorPort, {
      start: async (live) => {
        // FRR 8.4 sends pre-policy Route Monitoring only from an Adj-RIB-In copy: without
        // soft-reconfiguration inbound they go out as withdrawals (lab pitfall).
        ({ pid } = await startFrrBgpd({
          dir, asn: EXPORTER_AS, address: ADDR.frr, port: PORT, generator: GENERATOR, generatorAs: GENERATOR_AS, modules: ['bmp'],
          extraConfig: ` !
 bmp targets collector
  bmp monitor ipv4 unicast pre-policy
  bmp connect ${COLLECTOR} port ${collectorPort} min-retry 100 max-retry 1000
 exit
 !
 address-family ipv4 unicast
  neighbor ${GENERATOR} activate
  neighbor ${GENERATOR} soft-reconfiguration inbound
 exit-address-family
`,
        }));
        await until('FRR connects to the collector', () => live.connections > 0, 30_000);
      },
      feed: async () => {
        const gen = startLoadgen(ADDR.frr, feed);
        loadgen = gen.child;
        return gen.next('established');
      },
      pid: () => pid,
      // FRR 8.4's pre-policy Route Monitoring carries its own AS in front of the AS_PATH received
      // (seen here and by pmbmpd): checked as such, and said under the table.
      prependedAs: EXPORTER_AS,
    }, tee);
    return { exporter: 'frr', ...result };
  } finally {
    await killPid(loadgen?.pid);
    await killPid(pid);
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ pmbmpd's cross-check

/**
 * What pmbmpd decoded from one copied stream, once its output stops growing: unique IPv4 prefixes
 * announced in route_monitor records, withdrawals, and records whose AS_PATH or next hop differ
 * from what the generator sent for that prefix.
 */
async function pmbmpdVerdict(file, shape, prependedAs) {
  const seen = new Uint8Array(shape.prefixes);
  let unique = 0;
  let withdrawn = 0;
  let wrong = 0;
  let firstWrong = '';
  for await (const r of routeMonitoringRecords(file)) {
    if (r.log_type === 'withdraw') { withdrawn++; continue; }
    const [address, length] = String(r.ip_prefix).split('/');
    const index = shape.indexOf(address, Number(length));
    if (index < 0) continue;
    if (!seen[index]) { seen[index] = 1; unique++; }
    const want = expectedAttributes(shape, index, prependedAs);
    if (r.as_path !== want.asns.join(' ') || r.bgp_nexthop !== want.nextHop) {
      if (!wrong) firstWrong = `${r.ip_prefix}: as_path "${r.as_path}" next hop ${r.bgp_nexthop}, sent "${want.asns.join(' ')}" ${want.nextHop}`;
      wrong++;
    }
  }
  return { unique, withdrawn, wrong, firstWrong };
}

// ------------------------------------------------------------------ the profile

/** Top self-time functions of a .cpuprofile (the whole process life, idle left out), as shares. */
function topSelfTime(profile, count = 12) {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byFunction = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = frames.get(profile.samples[i]);
    if (functionName === '(idle)') continue;
    const where = url ? `${path.relative(root, url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + delta);
    total += delta;
  }
  return [...byFunction.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, share: us / Math.max(1, total) }));
}

// ------------------------------------------------------------------ main

const benches = { agent: benchAgent(true), 'agent-replay': benchAgent(false), gobgpd: benchGobgpd, frr: benchFrr, child: benchChild };
const exporters = args.only.split(',');
for (const name of exporters) if (!benches[name]) throw new Error(`unknown exporter ${name}`);
const feeds = [];
for (const prefixes of list(args.prefixes)) {
  for (const perUpdate of list(args['per-update'])) for (const attrSets of list(args['attr-sets'])) feeds.push({ prefixes, perUpdate, attrSets });
}
const feedName = (f) => `${f.prefixes} /24s, ${f.perUpdate} per UPDATE, ${f.attrSets} attribute sets`;

const rateText = (s) => spreadText(s, 0, k);
const k = (rate) => (rate >= 1e6 ? `${(rate / 1e6).toFixed(2)}M` : `${(rate / 1e3).toFixed(rate >= 1e5 ? 0 : 1)}k`);
const mib = (b) => (b / 1048576).toFixed(0);

const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the start`;
console.log(`bmp-export: exporters ${exporters.join(', ')}; ${runs} runs each; generator ${GENERATOR}, collector ${COLLECTOR}; ${machine}`);
const report = [];
for (const feed of feeds) {
  const shape = tableShape({ ...feed, localAs: GENERATOR_AS });
  console.log(`\n== feed: ${feedName(feed)}`);
  const ceiling = [];
  // The cross-check is one extra run per exporter, in the first feed.
  const crossCheckHere = args['cross-check'] && feed === feeds[0];
  const total = runs + (crossCheckHere ? 1 : 0);
  const byExporter = new Map(exporters.map((name) => [name, { results: [], failures: [], crossCheck: null }]));
  // Round robin: run 1 of every exporter, then run 2, ...: a shared machine's load drifts over
  // minutes, and this way each exporter meets the same drift instead of one getting a quiet spell.
  for (let i = 0; i < total; i++) {
    if (!(crossCheckHere && i === 0)) {
      ceiling.push(feed.prefixes / (await generatorCeiling(feed)).seconds);
      console.log(`  round ${ceiling.length}: generator ceiling (into a framing-only BGP sink) ${k(ceiling.at(-1))}/s, ${feed.perUpdate} prefixes per UPDATE`);
    }
    for (const name of exporters) {
      const { results, failures } = byExporter.get(name);
      const crossChecking = crossCheckHere && i === 0;
      PORT++;
      const collectorPort = PORT + 500;
      let pm = null;
      const pmDir = crossChecking ? mkdtempSync(path.join(os.tmpdir(), 'bench-pmbmpd-')) : null;
      process.stdout.write(`  ${name} run ${crossChecking ? 'x (pmbmpd cross-check)' : i + 1 - (crossCheckHere ? 1 : 0)} ...`);
      const startedAt = Date.now();
      try {
        if (crossChecking) pm = await startPmbmpd({ dir: pmDir, address: PMBMPD, port: collectorPort + 1000 });
        const r = await benches[name](feed, shape, collectorPort, { cpuProfile: args['cpu-prof'] && i === total - 1, tee: pm && ((phase) => pm.tee(TEE[phase])) });
        r.ingestRate = feed.prefixes / r.live.ingestSeconds;
        r.liveRate = feed.prefixes / r.live.seconds;
        r.dumpRate = feed.prefixes / r.dump.acceptSeconds;
        r.dumpEorRate = r.dump.endOfRibSeconds ? feed.prefixes / r.dump.endOfRibSeconds : NaN;
        r.bytesPerPrefix = (r.ingestPeakRss - r.idleRss) / feed.prefixes;
        console.log(` ingest ${k(r.ingestRate)}/s, live ${k(r.liveRate)}/s (${r.live.prefixesPerMessage.toFixed(1)}/RM), dump ${k(r.dumpRate)}/s`
          + `${r.dump.endOfRibSeconds ? ` (End-of-RIB ${k(r.dumpEorRate)}/s)` : ''}, peak ${mib(r.peakRss)} MiB (${((Date.now() - startedAt) / 1000).toFixed(0)} s)`
          + (r.problems.length ? `\n    CHECK FAILED: ${r.problems.join('; ')}` : ''));
        if (crossChecking) {
          const verdicts = {};
          for (const phase of ['live', 'dump']) verdicts[phase] = await pmbmpdVerdict(pm.file(TEE[phase]), shape, name === 'frr' ? EXPORTER_AS : undefined);
          const crossCheck = { ours: { live: r.live, dump: r.dump }, pmbmpd: verdicts };
          byExporter.get(name).crossCheck = crossCheck;
          for (const phase of ['live', 'dump']) {
            const v = verdicts[phase];
            const ok = v.unique === feed.prefixes && v.withdrawn === 0 && v.wrong === 0;
            crossCheck.ok = (crossCheck.ok ?? true) && ok && !r.problems.length;
            console.log(`    pmbmpd ${phase}: ${v.unique} of ${feed.prefixes} unique prefixes, ${v.withdrawn} withdrawals, ${v.wrong} records with another AS_PATH/next hop${v.firstWrong ? ` (${v.firstWrong})` : ''}: ${ok ? 'agrees' : 'DISAGREES'}`);
          }
        } else if (r.problems.length) failures.push(r.problems.join('; '));
        else results.push(r);
        if (r.profile) {
          const file = readdirSync(r.profile.dir).find((f) => f.endsWith('.cpuprofile'));
          if (file) {
            console.log(`    ${name}: top self time over its whole life (node --cpu-prof; ${r.profile.cpuMs.toFixed(0)} ms CPU)`);
            for (const f of topSelfTime(JSON.parse(readFileSync(path.join(r.profile.dir, file), 'utf8')))) console.log(`      ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}`);
          }
        }
        r.cleanup?.();
      } catch (err) {
        failures.push(err.message);
        console.log(` failed: ${err.message}`);
      } finally {
        if (pm) await killPid(pm.pid);
        if (pmDir) rmSync(pmDir, { recursive: true, force: true });
      }
    }
  }
  const ceilingSpread = spread(ceiling);
  console.log(`  generator ceiling over the rounds: ${rateText(ceilingSpread)} prefixes/s`);
  const feedReport = { feed, ceiling: ceilingSpread, ceilingSamples: ceiling, exporters: [] };
  for (const [name, { results, failures, crossCheck }] of byExporter) {
    const entry = {
      exporter: name,
      runs: results.length,
      failures,
      crossCheck: crossCheck && { ok: crossCheck.ok, pmbmpd: crossCheck.pmbmpd },
      ingest: spread(results.map((r) => r.ingestRate)),
      live: spread(results.map((r) => r.liveRate)),
      livePrefixesPerMessage: spread(results.map((r) => r.live.prefixesPerMessage)),
      dump: spread(results.map((r) => r.dumpRate)),
      dumpEndOfRib: spread(results.map((r) => r.dumpEorRate)),
      dumpPrefixesPerMessage: spread(results.map((r) => r.dump.prefixesPerMessage)),
      idleRss: spread(results.map((r) => r.idleRss)),
      bytesPerPrefix: spread(results.map((r) => r.bytesPerPrefix)),
      peakRss: spread(results.map((r) => r.peakRss)),
      // Every run's figures, so runs split over invocations (a shared lock's time) can be pooled.
      samples: results.map((r) => ({ ingest: r.ingestRate, live: r.liveRate, dump: r.dumpRate, dumpEndOfRib: r.dumpEorRate, idleRss: r.idleRss,
        bytesPerPrefix: r.bytesPerPrefix, peakRss: r.peakRss, livePrefixesPerMessage: r.live.prefixesPerMessage, dumpPrefixesPerMessage: r.dump.prefixesPerMessage })),
    };
    feedReport.exporters.push(entry);
  }
  report.push(feedReport);
}

// ------------------------------------------------------------------ the table

const pad = (s, w) => String(s).padStart(w);
const mibText = (s) => spreadText(s, 0, mib);
const numText = (s, digits = 0) => spreadText(s, digits);
console.log('\nmedian (min–max) of the runs that passed every check; prefixes/s; RM = Route Monitoring messages with prefixes');
for (const { feed, ceiling, exporters: rows } of report) {
  console.log(`\n${feedName(feed)}; generator ceiling ${rateText(ceiling)}/s`);
  const header = ['exporter', 'runs', 'ingest/s', 'live/s', 'pfx/RM live', 'dump/s', 'dump→EoR/s', 'pfx/RM dump', 'idle MiB', 'B/prefix', 'peak MiB'];
  const table = [header];
  for (const e of rows) {
    table.push([e.exporter, `${e.runs}${e.failures.length ? ` (+${e.failures.length} failed)` : ''}`, rateText(e.ingest), rateText(e.live), numText(e.livePrefixesPerMessage, 1),
      rateText(e.dump), rateText(e.dumpEndOfRib), numText(e.dumpPrefixesPerMessage, 1), mibText(e.idleRss), numText(e.bytesPerPrefix), mibText(e.peakRss)]);
  }
  const widths = header.map((_, c) => Math.max(...table.map((row) => row[c].length)));
  for (const row of table) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : pad(cell, widths[c]))).join('  '));
  for (const e of rows.filter((x) => x.failures.length)) console.log(`  ${e.exporter} failed runs: ${e.failures.join(' | ')}`);
  for (const e of rows.filter((x) => x.crossCheck)) console.log(`  ${e.exporter}: pmbmpd cross-check ${e.crossCheck.ok ? 'agrees' : 'DISAGREES'}`);
  if (rows.some((e) => e.exporter === 'frr')) console.log(`  frr: its pre-policy AS_PATHs start with its own AS ${EXPORTER_AS} (FRR 8.4); the checks expect that`);
  const agent = rows.find((e) => e.exporter === 'agent' && e.runs);
  const replay = rows.find((e) => e.exporter === 'agent-replay' && e.runs);
  const frr = rows.find((e) => e.exporter === 'frr' && e.runs);
  const ratio = (a, b) => (a && b ? `x${(a.median / b.median).toFixed(2)}` : '—');
  for (const other of rows.filter((e) => !e.exporter.startsWith('agent') && e.exporter !== 'child' && e.runs)) {
    const bmpd = agent ?? replay;
    if (!bmpd) continue;
    console.log(`  ${bmpd.exporter}/${other.exporter} medians: ingest ${ratio(bmpd.ingest, other.ingest)}, live ${ratio(bmpd.live, other.live)}, `
      + `dump (replay) ${ratio(replay?.dump, other.dump)}, peak RSS ${ratio(bmpd.peakRss, other.peakRss)}, B/prefix ${ratio(bmpd.bytesPerPrefix, other.bytesPerPrefix)}`);
  }
  if (agent) {
    const goals = [
      `ingest >= 1,000,000/s: ${agent.ingest.median >= 1e6 ? 'met' : 'NOT met'} (${k(agent.ingest.median)})`,
      `live >= 1,000,000/s: ${agent.live.median >= 1e6 ? 'met' : 'NOT met'} (${k(agent.live.median)})`,
      `<= 150 B/prefix: ${agent.bytesPerPrefix.median <= 150 ? 'met' : 'NOT met'} (${agent.bytesPerPrefix.median.toFixed(0)})`,
    ];
    if (frr && replay) goals.push(`replay dump >= 2x FRR: ${replay.dump.median >= 2 * frr.dump.median ? 'met' : 'NOT met'} (${ratio(replay.dump, frr.dump)})`);
    if (frr && agent.dump) goals.push(`route-refresh dump >= 2x FRR: ${agent.dump.median >= 2 * frr.dump.median ? 'met' : 'NOT met'} (${ratio(agent.dump, frr.dump)})`);
    if (frr) goals.push(`peak RSS <= 0.35x FRR: ${agent.peakRss.median <= 0.35 * frr.peakRss.median ? 'met' : 'NOT met'} (${ratio(agent.peakRss, frr.peakRss)})`);
    console.log(`  goals (agent medians): ${goals.join('; ')}`);
  }
}
console.log(JSON.stringify({ bench: 'bmp-export', machine, runs, report }));
