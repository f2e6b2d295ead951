#!/usr/bin/env node
// NETCONF fairness: how long a small <get-config> on one session takes while another session runs
// one heavy or hostile request (issue 10). For each scenario a fresh agent is started; the probe
// session sends its <get-config> back to back (10 ms apart) from just before the hostile request
// until its reply (or the cap: a request still unanswered after --cap seconds is abandoned with its
// agent). Reports the probe's p50/p99/max, the hostile request's reply time and outcome, and the
// agent's RSS growth. Goals: p99 <= 50 ms, max <= 250 ms.
// The hostile client runs in a worker thread of its own: building and sending a 7 MB request, or
// reading a 2.4 MB reply, on the probe's thread would delay the probe here, not in the agent.
//   node tools/bench/netconf-fairness.mjs [--root CHECKOUT] [--cap S] [--only name,name] [--workers N] [--log-dir DIR]
// --log-dir keeps each scenario's agent log as DIR/NAME.log (its 'event loop held' lines say where a block was),
// and the probe's samples as DIR/NAME.probe.json: [start (epoch ms, as the log's times), latency (ms)] each.
// --workers starts the agent with that many evaluation workers (--netconf-eval-workers) instead of its default.
// --root runs another built checkout's agent (dist/src/main.js), e.g. main for the "before" figures.
// Needs `npx tsc -b` first. Run it alone: other load on the machine shows up as latency.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

import { NetconfClient } from './netconf-client.mjs';
import { killPid, procStatus, sleep, startBenchAgent } from './processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = isMainThread ? parseArgs({
  options: {
    root: { type: 'string', default: path.resolve(here, '../..') },
    cap: { type: 'string', default: '30' },
    only: { type: 'string' },
    workers: { type: 'string' },
    'log-dir': { type: 'string' },
  },
}) : { values: workerData.values };
const root = path.resolve(values.root);
const capMs = Number(values.cap) * 1000;
const HOST = '127.0.0.1';
const BMPD = 'urn:bmpd:yang:bmpd';

const neighbors = (n) => {
  const entries = [];
  for (let i = 0; i < n; i++) {
    entries.push(`<neighbor><address>127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}</address><remote-as>${64512 + (i % 1000)}</remote-as><shutdown/></neighbor>`);
  }
  return `<bgp xmlns="${BMPD}"><as-number>65000</as-number>${entries.join('')}</bgp>`;
};
const xpathGet = (select, op = 'get') =>
  `<${op}>${op === 'get-config' ? '<source><running/></source>' : ''}<filter type="xpath" xmlns:bmpd="${BMPD}" select="${select}"/></${op}>`;
const PROBE = `<get-config><source><running/></source><filter type="subtree"><bgp xmlns="${BMPD}"><as-number/></bgp></filter></get-config>`;

/**
 * Each scenario: the datastore it needs (neighbors committed to running, then what setup() does on
 * the attacker's session), and the hostile request(s) as a function of the attacker session.
 */
const scenarios = [
  {
    name: 'attributes', what: '<get-config> whose element carries 300,000 attributes (4 MB)',
    run: (c) => {
      let attributes = '';
      for (let i = 0; i < 300_000; i++) attributes += ` a${i}="1"`;
      return c.rpc(`<get-config${attributes}><source><running/></source></get-config>`, { raw: true });
    },
  },
  {
    name: 'nested', what: '1,000,000 nested elements in a subtree filter (7 MB)',
    run: (c) => c.rpc(`<get-config><source><running/></source><filter type="subtree">${'<a>'.repeat(1e6)}${'</a>'.repeat(1e6)}</filter></get-config>`, { raw: true }),
  },
  {
    name: 'siblings', what: '1,000,000 sibling elements in a subtree filter (4 MB)',
    run: (c) => c.rpc(`<get-config><source><running/></source><filter type="subtree">${'<a/>'.repeat(1e6)}</filter></get-config>`, { raw: true }),
  },
  {
    name: 'count-nested', what: 'four nested count(//*) on <get>, empty configuration',
    run: (c) => c.rpc(xpathGet('/*[count(//*[count(//*[count(//*[count(//*) &gt;= 0]) &gt;= 0]) &gt;= 0]) &gt;= 0]'), { raw: true }),
  },
  {
    name: 'pipelined-200', what: '200 linear xpath <get-config>s over 10,000 neighbors, pipelined on one session', neighbors: 10_000,
    run: async (c) => {
      const replies = await Promise.all(Array.from({ length: 200 }, () => c.rpc(xpathGet('/bmpd:bgp/bmpd:neighbor[bmpd:remote-as=65002]', 'get-config'), { raw: true })));
      return replies.at(-1);
    },
  },
  {
    name: 'xpath-quadratic', what: 'O(n²) xpath filter over 10,000 neighbors', neighbors: 10_000,
    run: (c) => c.rpc(xpathGet('/bmpd:bgp/bmpd:neighbor[count(../bmpd:neighbor[bmpd:remote-as = current()/bmpd:remote-as]) &gt; 100]', 'get-config'), { raw: true }),
  },
  {
    name: 'get-all-10k', what: '<get> with //* over 10,000 neighbors', neighbors: 10_000,
    run: (c) => c.rpc(xpathGet('//*'), { raw: true }),
  },
  {
    // Legitimate: small changes to a large configuration, each followed by the probe's read of running.
    name: 'small-edits-10k', what: '20 one-leaf <edit-config>s of running, one after another, over 10,000 neighbors', neighbors: 10_000,
    run: async (c) => {
      let reply;
      for (let i = 0; i < 20; i++) {
        reply = await c.rpc(`<edit-config><target><running/></target><config><bgp xmlns="${BMPD}"><neighbor><address>127.1.0.${i}</address>` +
          `<description>edit ${i}</description></neighbor></bgp></config></edit-config>`, { raw: true });
      }
      return reply;
    },
  },
  {
    // Legitimate, not hostile: the largest message the default limits admit (issue 10 item 1).
    name: 'edit-100k', what: '<edit-config> of 100,000 neighbors on candidate (9 MB)', capS: 180,
    run: (c) => c.rpc(`<edit-config><target><candidate/></target><config>${neighbors(100_000)}</config></edit-config>`, { raw: true }),
  },
  {
    // Legitimate: that candidate committed, reconciled into 100,000 (shut down) neighbors.
    name: 'commit-100k', what: '<commit> of a candidate of 100,000 neighbors (the edit above) into an empty running', capS: 180,
    setup: (c) => c.rpc(`<edit-config><target><candidate/></target><config>${neighbors(100_000)}</config></edit-config>`),
    run: (c) => c.rpc('<commit/>', { raw: true }),
  },
  {
    // Legitimate: the 100,000-neighbor edit straight into running (no candidate step): validated, applied and
    // reconciled as one write, after which the clean candidate becomes a copy of the new running.
    name: 'edit-running-100k', what: '<edit-config> of 100,000 neighbors on running (9 MB)', capS: 180,
    run: (c) => c.rpc(`<edit-config><target><running/></target><config>${neighbors(100_000)}</config></edit-config>`, { raw: true }),
  },
  {
    // Legitimate: a candidate edited with test-option=set is validated whole by its commit (in a worker
    // since issue 10, under the write limit), and the validated result becomes running.
    name: 'commit-set-100k', what: '<commit> of a candidate of 100,000 neighbors edited with test-option=set', capS: 180,
    setup: (c) => c.rpc(`<edit-config><target><candidate/></target><test-option>set</test-option><config>${neighbors(100_000)}</config></edit-config>`),
    run: (c) => c.rpc('<commit/>', { raw: true }),
  },
  {
    // Legitimate, and the everyday "save the configuration": running of 100,000 neighbors copied to startup.
    name: 'copy-startup-100k', what: '<copy-config> of a running of 100,000 neighbors to startup', capS: 180,
    setup: async (c) => {
      await c.rpc(`<edit-config><target><candidate/></target><config>${neighbors(100_000)}</config></edit-config>`);
      await c.rpc('<commit/>');
    },
    run: (c) => c.rpc('<copy-config><target><startup/></target><source><running/></source></copy-config>', { raw: true }),
  },
  {
    name: 'validate-100k', what: '<validate> of a candidate of 100,000 neighbors edited with test-option=set', capS: 180,
    setup: (c) => c.rpc(`<edit-config><target><candidate/></target><test-option>set</test-option><config>${neighbors(100_000)}</config></edit-config>`),
    run: (c) => c.rpc('<validate><source><candidate/></source></validate>', { raw: true }),
  },
];

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

function outcome(reply) {
  if (reply === undefined) return `no reply within ${capMs / 1000} s`;
  const tag = /<(?:\w+:)?error-tag>([^<]*)</.exec(reply)?.[1];
  return tag ? `rpc-error ${tag}` : `data, ${(reply.length / 1024).toFixed(0)} KiB`;
}

/** The hostile client (a worker thread): logs in, sets up the scenario's datastore, then on 'go' sends its request(s). */
async function attack({ name, login }) {
  const scenario = scenarios.find((s) => s.name === name);
  const attacker = await NetconfClient.connect(login);
  if (scenario.neighbors) {
    await attacker.rpc(`<edit-config><target><candidate/></target><config>${neighbors(scenario.neighbors)}</config></edit-config>`);
    await attacker.rpc('<commit/>');
  }
  await scenario.setup?.(attacker);
  parentPort.once('message', async () => {
    const t0 = performance.now();
    const reply = await scenario.run(attacker).catch((err) => `error ${err.message}`);
    parentPort.postMessage({ ms: performance.now() - t0, outcome: outcome(reply) });
  });
  parentPort.postMessage('ready');
}

async function runScenario(scenario) {
  const { agent, port, stateDir } = await startAgent();
  // The agent as started, empty: its evaluation workers included (issue 10 item 4).
  const startRss = procStatus(agent.pid, 'VmRSS');
  let attacker;
  let timeline;
  try {
    const login = { host: HOST, port, username: 'admin', password: 'admin', timeoutMs: 60_000 };
    const probe = await NetconfClient.connect(login);
    attacker = new Worker(fileURLToPath(import.meta.url), { workerData: { values, name: scenario.name, login } });
    const attackerReady = new Promise((resolve, reject) => {
      attacker.once('message', resolve);
      attacker.once('error', reject);
    });
    await attackerReady;
    for (let i = 0; i < 5; i++) await probe.rpc(PROBE); // warm
    const rssBefore = procStatus(agent.pid, 'VmRSS');
    const samples = [];
    timeline = [];
    let done = false;
    let peakRss = rssBefore;
    let inFlightSince = null;
    const rssTimer = setInterval(() => { try { peakRss = Math.max(peakRss, procStatus(agent.pid, 'VmRSS')); } catch { /* gone */ } }, 50);
    const probing = (async () => {
      while (!done) {
        inFlightSince = performance.now();
        const startedAt = Date.now();
        try { await probe.rpc(PROBE); } catch { break; }
        samples.push(performance.now() - inFlightSince);
        timeline.push([startedAt, +samples.at(-1).toFixed(1)]);
        inFlightSince = null;
        await sleep(10);
      }
    })();
    await sleep(50);
    const t0 = performance.now();
    const attacked = new Promise((resolve) => attacker.once('message', resolve));
    attacker.postMessage('go');
    const cap = (scenario.capS ?? capMs / 1000) * 1000;
    const result = await Promise.race([attacked, sleep(cap).then(() => ({ ms: performance.now() - t0, outcome: `no reply within ${cap / 1000} s` }))]);
    // The probe's request in flight at the end counts too (it is what a stalled agent holds up).
    done = true;
    await Promise.race([probing, sleep(cap)]);
    if (inFlightSince !== null) samples.push(performance.now() - inFlightSince); // still waiting: a stalled agent
    clearInterval(rssTimer);
    const sorted = [...samples].sort((a, b) => a - b);
    return {
      name: scenario.name, what: scenario.what,
      hostile: { ms: Math.round(result.ms), outcome: result.outcome },
      probe: sorted.length === 0 ? { samples: 0 } : {
        samples: sorted.length, p50: +percentile(sorted, 50).toFixed(1), p99: +percentile(sorted, 99).toFixed(1), max: +sorted.at(-1).toFixed(1),
      },
      rssGrowthMiB: Math.round((peakRss - rssBefore) / 2 ** 20),
      startRssMiB: Math.round(startRss / 2 ** 20),
    };
  } finally {
    await attacker?.terminate();
    await killPid(agent.pid, 3000);
    if (values['log-dir'] !== undefined) {
      mkdirSync(values['log-dir'], { recursive: true });
      copyFileSync(path.join(stateDir, 'agent.log'), path.join(values['log-dir'], `${scenario.name}.log`));
      if (timeline !== undefined) writeFileSync(path.join(values['log-dir'], `${scenario.name}.probe.json`), JSON.stringify(timeline));
    }
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const startAgent = () => startBenchAgent(root, {
  host: HOST, dirPrefix: 'bmpd-bench-fair-', agentArgs: values.workers === undefined ? [] : ['--netconf-eval-workers', values.workers],
});

if (!isMainThread) {
  await attack(workerData);
} else {
const only = values.only ? new Set(values.only.split(',')) : null;
const startRssByRow = [];
console.log(`bmpd NETCONF fairness (${root}${values.workers === undefined ? '' : `, ${values.workers} evaluation workers`}); probe: a small <get-config> every 10 ms on a second session; cap ${capMs / 1000} s`);
console.log('| scenario | hostile request | its reply | probe p50 / p99 / max (ms), samples | RSS growth |');
console.log('|---|---|---|---|---|');
for (const scenario of scenarios) {
  if (only && !only.has(scenario.name)) continue;
  const r = await runScenario(scenario);
  const p = r.probe;
  startRssByRow.push(r.startRssMiB);
  console.log(`| ${r.name} | ${r.what} | ${r.hostile.outcome} after ${r.hostile.ms} ms | ${p.samples ? `${p.p50} / ${p.p99} / ${p.max}, ${p.samples}` : 'no sample'} | ${r.rssGrowthMiB} MiB |`);
}
console.log(`Agent RSS just after start (empty configuration), per row: ${startRssByRow.join(', ')} MiB`);
process.exit(0);
}
