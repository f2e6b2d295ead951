// The evaluation workers' copies of the datastores (evaluation-pool.ts, issue 10): after a change a
// worker gets only the datastore's nodes at the changed paths, not a print of all of it (75–150 ms of
// the main thread at 10,000 neighbors), and nothing for a datastore that did not change. Each step below changes running one way — created, deleted and
// replaced nodes, a leaf back to its default, NACM's ordered-by user lists, a whole-tree copy — and
// every reply of the real workers must then equal what the main thread prints from running itself,
// in every with-defaults mode; the steps that change paths must not print running whole.
import { Worker } from 'node:worker_threads';
import type { DataTree } from 'libyang-wasm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Datastores, type DatastoreName } from '../../src/datastore/datastores.js';
import { EvaluationPool, type EvaluationThreadMessage, type SnapshotSource } from '../../src/netconf/evaluation-pool.js';
import type { WithDefaultsMode } from '../../src/netconf/operation-args.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';
const NC = 'urn:ietf:params:xml:ns:netconf:base:1.0';
const NACM = 'urn:ietf:params:xml:ns:yang:ietf-netconf-acm';
const bgp = (inner: string) => `<bgp xmlns="${NS}" xmlns:nc="${NC}">${inner}</bgp>`;
const neighbor = (address: string, inner = '') => `<neighbor><address>${address}</address><remote-as>65001</remote-as><shutdown/>${inner}</neighbor>`;
const ruleList = (name: string, rule: string) =>
  `<nacm xmlns="${NACM}" xmlns:nc="${NC}"><rule-list><name>${name}</name><group>operators</group>` +
  `<rule><name>${rule}</name><module-name>*</module-name><access-operations>read</access-operations><action>permit</action></rule></rule-list></nacm>`;
const MODES: readonly WithDefaultsMode[] = ['explicit', 'report-all', 'report-all-tagged', 'trim'];

let model: YangModel;
let ds: Datastores;
let pool: EvaluationPool;
/** Whole prints of a datastore the pool asked for, by datastore. */
const wholePrints = new Map<DatastoreName, number>();
/** Snapshots that were a large write's adopted chunks, by datastore. */
const adoptedSnapshots = new Map<DatastoreName, number>();

beforeAll(async () => {
  model = await loadYangModel();
  // Large writes checked and made in the pool's workers, as the agent does (service.ts).
  ds = await Datastores.open({ context: model.context, stateDir: null, checkSteps: (steps) => pool.checkWrite(steps) });
  // The real datastores, with their whole prints counted (not a large write's chunks: no print).
  const source: SnapshotSource = {
    version: (name) => ds.version(name),
    snapshot: (name) => {
      const snapshot = ds.snapshot(name);
      if (typeof snapshot === 'string') wholePrints.set(name, (wholePrints.get(name) ?? 0) + 1);
      else adoptedSnapshots.set(name, (adoptedSnapshots.get(name) ?? 0) + 1);
      return snapshot;
    },
    changedSince: (name, version) => ds.changedSince(name, version),
    printAt: (name, paths) => ds.printAt(name, paths),
  };
  pool = new EvaluationPool({ datastores: source, logger: pino({ level: 'silent' }), workers: 2 });
  await pool.start();
}, 60_000);

afterAll(async () => {
  await pool?.close();
  ds?.close();
  model?.context.destroy();
});

/** Every with-defaults mode, twice (so both workers answer), against the main thread's own print of the datastore. */
async function expectCopiesCurrent(name: DatastoreName = 'running'): Promise<void> {
  const tree: DataTree = ds.tree(name);
  for (const mode of MODES) {
    const expected = tree.print({ format: 'xml', withDefaults: mode });
    const replies = await Promise.all([0, 1].map(() => pool.evaluate({ source: name, state: [], filter: undefined, mode, access: null })));
    for (const reply of replies) expect(reply, `${name} ${mode}`).toBe(expected);
  }
}

/**
 * Rounds of expectCopiesCurrent(name) until each of the two workers has answered a read of `name`: a
 * worker busy loading running ahead of the reads (the pool's warm-up) may miss rounds on a loaded
 * machine, and would then load `name` whole later, which a test counting whole prints would take
 * for a path-wise change printed whole.
 */
async function loadedEverywhere(name: DatastoreName): Promise<void> {
  const posted = vi.spyOn(Worker.prototype, 'postMessage');
  try {
    for (let round = 0; round < 50; round++) {
      await expectCopiesCurrent(name);
      const answered = new Set(posted.mock.calls.flatMap(([message], i) => ((message as EvaluationThreadMessage).source === name ? [posted.mock.contexts[i]] : [])));
      if (answered.size >= 2) return;
    }
    throw new Error(`not both workers answered a read of ${name} in 50 rounds`);
  } finally {
    posted.mockRestore();
  }
}

const operational = () => pool.evaluate({ source: 'operational', state: [], filter: undefined, mode: 'explicit', access: null });
const runningPrints = () => wholePrints.get('running') ?? 0;

describe("the evaluation workers' copies of running", () => {
  it('follow path-wise changes without a whole print of running, and whole-tree changes with one', async () => {
    await ds.editConfig('running', bgp(`<as-number>65000</as-number>${neighbor('127.1.0.1')}`), {}, 1);
    await expectCopiesCurrent();
    const afterFirst = runningPrints();

    // Created entries (on candidate, committed path by path), a leaf replaced, one set and one
    // removed back to its default.
    await ds.editConfig('candidate', bgp(`${neighbor('127.1.0.2', '<description>two</description>')}${neighbor('127.1.0.3')}`), {}, 1);
    await ds.commit(1);
    await expectCopiesCurrent();
    expect(await operational()).toContain('127.1.0.2');
    await ds.editConfig('running', bgp('<neighbor><address>127.1.0.2</address><description>zwei</description></neighbor>'), {}, 1);
    await expectCopiesCurrent();
    // A BMP server (its leaves have YANG defaults): one set to its default's value, one away from it, then removed.
    await ds.editConfig('running', bgp('<bmp><server><id>1</id><address>127.0.1.1</address><port-number>8000</port-number>' +
      '<failure-retry-delay>600</failure-retry-delay><dscp>10</dscp></server></bmp>'), {}, 1);
    await expectCopiesCurrent();
    await ds.editConfig('running', bgp('<bmp><server><id>1</id><failure-retry-delay nc:operation="remove"/><dscp nc:operation="remove"/></server></bmp>'), {}, 1);
    await expectCopiesCurrent();
    // A deleted entry.
    await ds.editConfig('running', bgp('<neighbor nc:operation="delete"><address>127.1.0.2</address></neighbor>'), {}, 1);
    await expectCopiesCurrent();
    expect(await operational()).not.toContain('127.1.0.2');
    expect(runningPrints(), 'whole prints of running for path-wise changes').toBe(afterFirst);

    // NACM's rule lists are ordered-by user: an entry's position is part of the change, so running
    // itself is replaced whole (Datastores.commitPaths), and so is the workers' copy.
    await ds.editConfig('running', ruleList('ops', 'r1'), {}, 1);
    await expectCopiesCurrent();
    expect(runningPrints()).toBeGreaterThan(afterFirst);
    await ds.editConfig('running', `<nacm xmlns="${NACM}"><rule-list><name>ops</name><group>admins</group></rule-list></nacm>`, {}, 1);
    await expectCopiesCurrent();
    await ds.editConfig('running', `<nacm xmlns="${NACM}" xmlns:nc="${NC}"><rule-list nc:operation="delete"><name>ops</name></rule-list></nacm>`, {}, 1);
    await expectCopiesCurrent();

    // A whole-tree change: copy-config.
    const beforeCopy = runningPrints();
    await ds.copyConfig('running', { config: bgp(`<as-number>65100</as-number>${neighbor('127.1.0.9')}`) }, 1);
    await expectCopiesCurrent();
    expect(runningPrints()).toBeGreaterThan(beforeCopy);
    expect(await operational()).toContain('127.1.0.9');
  }, 60_000);

  it('get running whole for a change of more than 1,000 entries, which costs less than copying them out', async () => {
    await expectCopiesCurrent();
    const before = runningPrints();
    const many = Array.from({ length: 1001 }, (_, i) => neighbor(`127.3.${i >> 8}.${i & 255}`)).join('');
    await ds.editConfig('running', bgp(many), {}, 1);
    await expectCopiesCurrent();
    expect(runningPrints()).toBe(before + 1);
    await ds.editConfig('running', bgp(neighbor('127.3.9.9')), {}, 1);
    await expectCopiesCurrent();
    expect(runningPrints()).toBe(before + 1);
  }, 60_000);

  it('fall back to a whole copy when running has changed more than its change log keeps', async () => {
    await expectCopiesCurrent();
    const before = runningPrints();
    // Each neighbor its own commit: more versions than the log keeps (256) between two reads.
    for (let i = 0; i < 300; i++) await ds.editConfig('running', bgp(neighbor(`127.2.${i >> 8}.${i & 255}`)), {}, 1);
    await expectCopiesCurrent();
    expect(runningPrints()).toBe(before + 1);
  }, 60_000);
});

describe("the evaluation workers' copies of candidate and startup", () => {
  const prints = (name: DatastoreName) => wholePrints.get(name) ?? 0;

  it('follow every kind of change of candidate path-wise, and whole-tree changes with a whole print', async () => {
    await ds.copyConfig('running', { config: bgp(`<as-number>65000</as-number><peer-group><name>PG</name></peer-group>${neighbor('127.4.0.1')}`) }, 1);
    // Both workers load running first, then candidate.
    await loadedEverywhere('running');
    await loadedEverywhere('candidate');
    const before = prints('candidate');

    // An edit of candidate, a second one of the same entry, one that fails validation (undone), a test-only one.
    await ds.editConfig('candidate', bgp(neighbor('127.4.0.2', '<description>new</description>')), {}, 1);
    await expectCopiesCurrent('candidate');
    await ds.editConfig('candidate', bgp('<neighbor><address>127.4.0.2</address><description>newer</description></neighbor>'), {}, 1);
    await expectCopiesCurrent('candidate');
    await expect(ds.editConfig('candidate', bgp(neighbor('127.4.0.3', '<peer-group>NOPE</peer-group>')), {}, 1)).rejects.toThrow();
    await expectCopiesCurrent('candidate');
    await ds.editConfig('candidate', bgp(neighbor('127.4.0.4')), { testOption: 'test-only' }, 1);
    await expectCopiesCurrent('candidate');
    expect(await pool.evaluate({ source: 'candidate', state: [], filter: undefined, mode: 'explicit', access: null })).not.toContain('127.4.0.4');
    // Committed, then an edit of running (candidate follows it), then one discarded.
    await ds.commit(1);
    await expectCopiesCurrent('candidate');
    await ds.editConfig('running', bgp('<neighbor nc:operation="delete"><address>127.4.0.1</address></neighbor>'), {}, 1);
    await expectCopiesCurrent('candidate');
    await ds.editConfig('candidate', bgp('<neighbor><address>127.4.0.2</address><description nc:operation="remove"/></neighbor>'), {}, 1);
    await expectCopiesCurrent('candidate');
    await ds.discardChanges(1);
    await expectCopiesCurrent('candidate');
    expect(prints('candidate'), 'whole prints of candidate for path-wise changes').toBe(before);

    // Whole-tree changes: copy-config and delete-config of candidate.
    await ds.copyConfig('candidate', { config: bgp(`<as-number>65200</as-number>${neighbor('127.4.0.9')}`) }, 1);
    await expectCopiesCurrent('candidate');
    expect(prints('candidate')).toBe(before + 1);
    await ds.deleteConfig('candidate', 1);
    await expectCopiesCurrent('candidate');
    expect(prints('candidate')).toBe(before + 2);
    await ds.discardChanges(1);
    await expectCopiesCurrent('candidate');
  }, 60_000);

  it('copy startup again only when startup itself changed', async () => {
    await loadedEverywhere('running');
    await loadedEverywhere('startup');
    const before = prints('startup');
    await ds.editConfig('candidate', bgp(neighbor('127.4.1.1')), {}, 1);
    await ds.commit(1);
    await ds.editConfig('running', bgp(neighbor('127.4.1.2')), {}, 1);
    await expectCopiesCurrent('startup');
    expect(prints('startup')).toBe(before);
    await ds.copyConfig('startup', { datastore: 'running' }, 1);
    await expectCopiesCurrent('startup');
    expect(prints('startup')).toBe(before + 1);
    expect(await pool.evaluate({ source: 'startup', state: [], filter: undefined, mode: 'explicit', access: null })).toContain('127.4.1.2');
  }, 60_000);

  it('load a large write\'s result from its chunks, without a whole print, for candidate and, once committed, running', async () => {
    await expectCopiesCurrent('running');
    await expectCopiesCurrent('candidate');
    const before = { running: wholePrints.get('running') ?? 0, candidate: wholePrints.get('candidate') ?? 0 };
    // Over a MiB: checked and made in a worker, adopted here chunk by chunk.
    const many = Array.from({ length: 9000 }, (_, i) => neighbor(`127.5.${i >> 8}.${i & 255}`, `<description>bulk ${i}</description>`)).join('');
    expect(many.length).toBeGreaterThan(1 << 20);
    await ds.editConfig('candidate', bgp(many), {}, 1);
    expect(ds.snapshot('candidate')).toEqual(expect.any(Array));
    await expectCopiesCurrent('candidate');
    await expectCopiesCurrent('candidate');
    await ds.commit(1);
    await expectCopiesCurrent('running');
    await expectCopiesCurrent('running');
    expect(await operational()).toContain('127.5.35.39');
    expect(adoptedSnapshots.get('candidate')).toBeGreaterThanOrEqual(1);
    expect(adoptedSnapshots.get('running')).toBeGreaterThanOrEqual(1);
    expect({ running: wholePrints.get('running') ?? 0, candidate: wholePrints.get('candidate') ?? 0 }).toEqual(before);
    // A change after it: the chunks are of no more use.
    await ds.editConfig('candidate', bgp(neighbor('127.5.99.1')), {}, 1);
    expect(typeof ds.snapshot('candidate')).toBe('string');
  }, 60_000);
});
