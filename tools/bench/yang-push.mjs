#!/usr/bin/env node
// YANG-push (RFC 8641) cost at 1,000 neighbors (issue 14):
//  1. event-to-subscriber latency of on-change updates: 10 sessions each hold an on-change
//     subscription to /bgp/neighbor; one more session changes one neighbor's description in running
//     (edit-config) every --gap ms; for every change and subscriber, the time from sending the
//     edit-config to the push-change-update naming that neighbor arriving (p50/p99/max). The
//     edit-config's own reply time is given beside it: the part of the latency that is the commit.
//  2. a periodic full-state push-update: agent CPU ms and bytes per push, beside a <get> of the same
//     state (no filter) on the same agent: the ratio. No YANG-push peer runs on this machine
//     (gobgpd, FRR, pmbmpd, netconfd have none), so these figures are absolute and against <get>.
//  3. a hostile subscriber's cost to others: one session holds --hostile-subscriptions on-change
//     subscriptions with distinct filters (each selects every neighbor, so each is a full evaluation)
//     while a writer changes one neighbor every --gap ms for --hostile-seconds; another session's
//     small <get> (back to back, 20 ms apart) is timed meanwhile: p50/p99/max, beside the same probe
//     on the same agent before the subscriptions were made.
//   node tools/bench/yang-push.mjs [--root CHECKOUT] [--only on-change,periodic,hostile] [--neighbors N] [--subscribers N]
//     [--changes N] [--gap MS] [--pushes N] [--hostile-subscriptions N] [--hostile-seconds S]
// --root runs another built checkout's agent (dist/src/main.js), e.g. an older commit for "before" figures.
// Needs `npx tsc -b` first. On a shared machine run it under `flock /tmp/bmpd-bench.lock`.
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { NetconfClient } from './netconf-client.mjs';
import { killPid, processCpuMs, sleep, startBenchAgent } from './processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    neighbors: { type: 'string', default: '1000' },
    subscribers: { type: 'string', default: '10' },
    changes: { type: 'string', default: '100' },
    gap: { type: 'string', default: '100' },
    pushes: { type: 'string', default: '10' },
    root: { type: 'string', default: path.resolve(here, '../..') },
    only: { type: 'string', default: 'on-change,periodic,hostile' },
    'hostile-subscriptions': { type: 'string', default: '32' },
    'hostile-seconds': { type: 'string', default: '20' },
  },
});
const root = path.resolve(values.root);
const only = new Set(values.only.split(','));
const N = Number(values.neighbors);
const SUBSCRIBERS = Number(values.subscribers);
const CHANGES = Number(values.changes);
const GAP = Number(values.gap);
const PUSHES = Number(values.pushes);
const HOST = '127.0.0.1';
const BMPD = 'urn:bmpd:yang:bmpd';
const SN = 'urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications';
const YP = 'urn:ietf:params:xml:ns:yang:ietf-yang-push';
const DS = 'urn:ietf:params:xml:ns:yang:ietf-datastores';

const address = (i) => `127.1.${(i >> 8) & 255}.${i & 255}`;
const neighbors = () => {
  const entries = [];
  for (let i = 0; i < N; i++) entries.push(`<neighbor><address>${address(i)}</address><remote-as>${64512 + (i % 1000)}</remote-as><shutdown/></neighbor>`);
  return `<bgp xmlns="${BMPD}"><as-number>65000</as-number>${entries.join('')}</bgp>`;
};
const establish = (filter, update) => `<establish-subscription xmlns="${SN}"><datastore xmlns="${YP}" xmlns:ds="${DS}">ds:operational</datastore>` +
  `${filter}${update}</establish-subscription>`;

const startAgent = () => startBenchAgent(root, { host: HOST, dirPrefix: 'bmpd-bench-push-' });

const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const ms = (v) => v.toFixed(1);

const { agent, port, stateDir } = await startAgent();
const login = { host: HOST, port, username: 'admin', password: 'admin', timeoutMs: 60_000 };
const rows = [];
try {
  const writer = await NetconfClient.connect(login);
  await writer.rpc(`<edit-config><target><running/></target><config>${neighbors()}</config></edit-config>`);
  if (only.has('on-change')) rows.push(await onChangeLatency(writer));
  if (only.has('periodic')) rows.push(await periodicPush(writer));
  if (only.has('hostile')) rows.push(...await hostileSubscriber(writer));
  await writer.close();

  console.log(`bmpd YANG-push (${root}), ${N} neighbors; ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} at the start`);
  console.log('| measure | bmpd | beside |');
  console.log('|---|---|---|');
  for (const row of rows) console.log(row);
} finally {
  await killPid(agent.pid);
  rmSync(stateDir, { recursive: true, force: true });
}
process.exit(0);

/** One neighbor's description changed by edit-config (a netconf-config-change for on-change). */
function changeDescription(writer, k) {
  return writer.rpc(`<edit-config><target><running/></target><config><bgp xmlns="${BMPD}"><neighbor><address>${address(k % N)}</address>` +
    `<description>change ${k}</description></neighbor></bgp></config></edit-config>`);
}

/** 1. edit-config sent → push-change-update at each of SUBSCRIBERS on-change subscribers. */
async function onChangeLatency(writer) {
  const arrivals = new Map(); // address -> [ms since epoch per subscriber]
  const subscribers = [];
  for (let s = 0; s < SUBSCRIBERS; s++) {
    const c = await NetconfClient.connect(login);
    c.onNotification = (xml) => {
      if (!xml.includes('<push-change-update')) return;
      const now = performance.now();
      for (const m of xml.matchAll(/<target>\/bmpd:bgp\/neighbor=([\d.]+)\//g)) {
        const list = arrivals.get(m[1]) ?? [];
        list.push(now);
        arrivals.set(m[1], list);
      }
    };
    await c.rpc(establish(`<datastore-xpath-filter xmlns="${YP}" xmlns:b="${BMPD}">/b:bgp/b:neighbor</datastore-xpath-filter>`,
      `<on-change xmlns="${YP}"><sync-on-start>false</sync-on-start></on-change>`));
    subscribers.push(c);
  }
  await sleep(500);
  const latencies = [];
  const commits = [];
  let missed = 0;
  for (let k = 0; k < CHANGES; k++) {
    const a = address(k % N);
    const t0 = performance.now();
    arrivals.delete(a);
    await changeDescription(writer, k);
    commits.push(performance.now() - t0);
    const deadline = performance.now() + 10_000;
    while ((arrivals.get(a)?.length ?? 0) < SUBSCRIBERS && performance.now() < deadline) await sleep(1);
    const got = arrivals.get(a) ?? [];
    if (got.length < SUBSCRIBERS) {
      missed += SUBSCRIBERS - got.length;
      console.error(`change ${k}: ${got.length} of ${SUBSCRIBERS} subscribers got a push-change-update in 10 s`);
    }
    for (const t of got) latencies.push(t - t0);
    await sleep(GAP);
  }
  for (const c of subscribers) await c.close();
  latencies.sort((x, y) => x - y);
  commits.sort((x, y) => x - y);
  return `| on-change: edit-config sent → push-change-update at each of ${SUBSCRIBERS} subscribers, ${CHANGES} changes | p50 ${ms(pct(latencies, 0.5))} ms, p99 ${ms(pct(latencies, 0.99))} ms, max ${ms(latencies[latencies.length - 1])} ms; ${missed} of ${CHANGES * SUBSCRIBERS} not delivered in 10 s | the edit-config's reply: p50 ${ms(pct(commits, 0.5))} ms, p99 ${ms(pct(commits, 0.99))} ms |`;
}

/** 2. periodic full-state push vs <get>, CPU of the agent process. */
async function periodicPush(writer) {
  const getCpu0 = processCpuMs(agent.pid);
  let getBytes = 0;
  for (let i = 0; i < PUSHES; i++) getBytes = (await writer.rpc('<get/>')).length;
  const getCpu = (processCpuMs(agent.pid) - getCpu0) / PUSHES;

  const periodic = await NetconfClient.connect(login);
  const pushes = [];
  periodic.onNotification = (xml) => { if (xml.includes('<push-update')) pushes.push(xml.length); };
  await sleep(300);
  const idle0 = processCpuMs(agent.pid);
  await sleep(2000);
  const idlePerMs = (processCpuMs(agent.pid) - idle0) / 2000;
  const cpu0 = processCpuMs(agent.pid);
  const t0 = performance.now();
  await periodic.rpc(establish('', `<periodic xmlns="${YP}"><period>100</period></periodic>`));
  while (pushes.length < PUSHES) await sleep(5);
  const elapsed = performance.now() - t0;
  const pushCpu = (processCpuMs(agent.pid) - cpu0 - idlePerMs * elapsed) / PUSHES;
  await periodic.close();
  return `| periodic push-update of the full state (period 1 s, ${PUSHES} pushes): agent CPU per push, bytes | ${ms(pushCpu)} ms, ${pushes[0]} B | <get> of the same state: ${ms(getCpu)} ms, ${getBytes} B; ratio ${(pushCpu / getCpu).toFixed(2)}× CPU |`;
}

/** A small <get> sent back to back (20 ms apart) on its own session for `seconds`; its reply times, sorted. */
async function probeGets(seconds) {
  const probe = await NetconfClient.connect(login);
  const times = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await probe.rpc(`<get><filter type="subtree"><bgp xmlns="${BMPD}"><as-number/></bgp></filter></get>`);
    times.push(performance.now() - t0);
    await sleep(20);
  }
  await probe.close();
  return times.sort((x, y) => x - y);
}

function spread(t) {
  return `p50 ${ms(pct(t, 0.5))} ms, p99 ${ms(pct(t, 0.99))} ms, max ${ms(t[t.length - 1])} ms (${t.length} replies)`;
}

/** 3. another session's <get> while one session holds HOSTILE on-change subscriptions with distinct filters and changes arrive. */
async function hostileSubscriber(writer) {
  const HOSTILE = Number(values['hostile-subscriptions']);
  const SECONDS = Number(values['hostile-seconds']);
  const quiet = await probeGets(Math.min(5, SECONDS));
  const hostile = await NetconfClient.connect(login);
  let updates = 0;
  hostile.onNotification = (xml) => { if (xml.includes('<push-change-update')) updates++; };
  for (let i = 0; i < HOSTILE; i++) {
    // Distinct filters, each selecting every neighbor: no two share an evaluation, each is a full one.
    await hostile.rpc(establish(`<datastore-xpath-filter xmlns="${YP}" xmlns:b="${BMPD}">/b:bgp/b:neighbor[b:remote-as != ${i}]</datastore-xpath-filter>`,
      `<on-change xmlns="${YP}"><sync-on-start>false</sync-on-start></on-change>`));
  }
  let changing = true;
  let changes = 0;
  const writes = (async () => {
    for (let k = 0; changing; k++) {
      await changeDescription(writer, k);
      changes++;
      await sleep(GAP);
    }
  })();
  const busy = await probeGets(SECONDS);
  changing = false;
  await writes;
  await hostile.close();
  return [
    `| <get> probe (small subtree filter) on another session, quiet agent | ${spread(quiet)} | |`,
    `| the same probe while one session holds ${HOSTILE} on-change subscriptions with distinct filters over every neighbor and a neighbor changes every ${GAP} ms (${changes} changes in ${SECONDS} s) | ${spread(busy)} | the hostile session got ${updates} push-change-updates (${(updates / Math.max(1, changes * HOSTILE) * 100).toFixed(0)} % of one per change and subscription: the rest coalesced) |`,
  ];
}
