#!/usr/bin/env node
// Where a large edit's time goes in the datastores (issue 10): an edit-config of N neighbors on an
// empty candidate, then its commit, in-process (no NETCONF, no engine: the apply hook only reads the
// change count), with every libyang-wasm call timed by name. The write guard reads the change list
// only with --nacm (a session NACM restricts); without it, as for the recovery session. The figures are
// the datastores' share of netconf-fairness.mjs's 100,000-neighbor row. The whole-tree path lets the
// event loop run between its libyang steps: "longest block" is the longest the loop waited during a
// step (what another session waits at most). With --check-steps the edit's steps are made in an
// evaluation worker under the time limit, as in the agent, and its result adopted here (one parse).
// With --set the edit has test-option=set, so the commit validates candidate whole (in a worker too,
// with --check-steps).
// Needs `npx tsc -b` first.   node tools/bench/datastore-large-edit.mjs [--neighbors 100000] [--nacm] [--check-steps] [--set]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { loadYangModel } = await import(path.join(root, 'dist/src/yang/model.js'));
const { Datastores } = await import(path.join(root, 'dist/src/datastore/datastores.js'));
const { EvaluationPool } = await import(path.join(root, 'dist/src/netconf/evaluation-pool.js'));
const { default: pino } = await import('pino');
const { values } = parseArgs({ options: {
  neighbors: { type: 'string', default: '100000' }, nacm: { type: 'boolean', default: false }, 'check-steps': { type: 'boolean', default: false },
  set: { type: 'boolean', default: false },
} });
const n = Number(values.neighbors);

const model = await loadYangModel();
const { context } = model;
/** ms and calls, by libyang-wasm method, of the step being measured. */
const calls = new Map();
function timed(proto, method, label) {
  const original = proto[method];
  proto[method] = function (...args) {
    const t0 = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      const entry = calls.get(label) ?? { ms: 0, count: 0 };
      entry.ms += performance.now() - t0;
      entry.count++;
      calls.set(label, entry);
    }
  };
}
const emptyTree = context.emptyTree();
const emptyDiff = emptyTree.diff(context.emptyTree());
const treeProto = Object.getPrototypeOf(emptyTree);
for (const m of ['print', 'dup', 'validate', 'diff', 'edit', 'sort', 'paths', 'trackChanges', 'validateChanges', 'changedPaths', 'undoChanges', 'endChanges', 'diffPaths', 'copyPaths', 'free']) {
  timed(treeProto, m, `DataTree.${m}`);
}
timed(Object.getPrototypeOf(emptyDiff), 'changes', 'DataDiff.changes');
timed(Object.getPrototypeOf(context), 'parseData', 'YangContext.parseData');

const entries = [];
for (let i = 0; i < n; i++) {
  entries.push(`<neighbor><address>127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}</address><remote-as>${64512 + (i % 1000)}</remote-as><shutdown/></neighbor>`);
}
const xml = `<bgp xmlns="urn:bmpd:yang:bmpd"><as-number>65000</as-number>${entries.join('')}</bgp>`;
let pool;
const ds = await Datastores.open({
  context, stateDir: null,
  apply: async (change) => { void change.changes.length; },
  authorizeWrite: (write) => { if (values.nacm) void write.changes.length; },
  checkSteps: async (steps) => {
    if (pool === undefined) return null;
    const t0 = performance.now();
    const adopted = await pool.checkWrite(steps);
    console.log(`  (the steps in a worker, their result printed: ${(performance.now() - t0).toFixed(0)} ms)`);
    return adopted;
  },
  checkValid: async (name, opts) => {
    if (pool === undefined) return null;
    const t0 = performance.now();
    const validated = await pool.checkValid(name, opts);
    console.log(`  (the validation of ${name} in a worker, its result printed: ${(performance.now() - t0).toFixed(0)} ms)`);
    return validated;
  },
});
if (values['check-steps']) {
  pool = new EvaluationPool({ datastores: ds, logger: pino({ level: 'silent' }), timeoutMs: 120_000 });
  await pool.start();
}

async function step(what, run) {
  calls.clear();
  // The event loop's longest wait while the step runs: a turn is asked for at every turn.
  let longest = 0;
  let running = true;
  let last = performance.now();
  const ticker = (async () => {
    while (running) {
      await new Promise((resolve) => setImmediate(resolve));
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }
  })();
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  running = false;
  await ticker;
  console.log(`${what}: ${ms.toFixed(0)} ms, longest block ${longest.toFixed(0)} ms`);
  for (const [label, { ms, count }] of [...calls].sort((a, b) => b[1].ms - a[1].ms)) {
    if (ms >= 1) console.log(`  ${label.padEnd(24)} ${ms.toFixed(0).padStart(7)} ms  ×${count}`);
  }
}
console.log(`${n} neighbors (${(xml.length / 1e6).toFixed(1)} MB), write guard ${values.nacm ? 'reads' : 'does not read'} the changes`);
await step(`edit-config of candidate${values.set ? ', test-option=set' : ''}`, () => ds.editConfig('candidate', xml, values.set ? { testOption: 'set' } : {}, 1));
await step('commit', () => ds.commit(1));
await step("a whole print of candidate (an evaluation worker's copy)", () => { ds.print('candidate'); });
await pool?.close();
ds.close();
