// running's diff to a large write's result made in an evaluation worker (issue 10): at 100,000
// neighbors the diff held the main thread 0.5–1 s and its change list another 0.3 s. With a pool
// (checkDiff) the worker diffs its copy of running against the write's result and the main thread
// only decodes the change list, a slice per turn; without one, the main thread diffs as before.
// Either way the apply hook must see the same changes and the datastores must end the same. Past the
// write limit: operation-failed naming the comparison, nothing changed, nothing applied.
//
// Both sides adopt the same worker-made result (checkSteps), so they diff the same trees: a write made
// on the main thread alone gives a tree whose default-only containers libyang's diff lists as created,
// where the adopted one's it does not (they print the same).
import type { DataTree, DiffChange } from 'libyang-wasm';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Datastores, type DatastoreName, type DatastoresOptions, type RunningChange } from '../../src/datastore/datastores.js';
import { DatastoreError, detail } from '../../src/datastore/errors.js';
import { EvaluationPool, type EvaluationThreadMessage } from '../../src/netconf/evaluation-pool.js';
import type { WithDefaultsMode } from '../../src/netconf/operation-args.js';
import { RpcError } from '../../src/netconf/rpc-error.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';
const NC = 'urn:ietf:params:xml:ns:netconf:base:1.0';
const NAMES: readonly DatastoreName[] = ['running', 'candidate', 'startup'];
/** Over a MiB of text: a large write, made in a worker and adopted as its chunks. */
const NEIGHBORS = 6_500;
const neighbor = (i: number, as = 64512 + (i % 100), extra = ''): string =>
  `<neighbor><address>127.1.${i >> 8}.${i & 255}</address><remote-as>${as}</remote-as>` +
  `<description>${'provisioned in bulk '.repeat(3)}${i}</description>${extra}</neighbor>`;
const bgp = (entries: string[], attrs = ''): string => `<bgp xmlns="${NS}" xmlns:nc="${NC}"${attrs}><as-number>65000</as-number>${entries.join('')}</bgp>`;
const range = (from: number, to: number, entry: (i: number) => string): string[] => Array.from({ length: to - from }, (_, k) => entry(from + k));

let model: YangModel;
let treeMethods: DataTree;
interface Subject {
  readonly ds: Datastores;
  readonly pools: EvaluationPool[];
  /** The changes each call of the apply hook saw, in order. */
  readonly applied: DiffChange[][];
  /** The changes each replacement of startup saw, in order. */
  readonly saved: DiffChange[][];
  /** The state directory (startup.xml), or null. */
  readonly stateDir: string | null;
}
const opened: Subject[] = [];

beforeAll(async () => {
  model = await loadYangModel();
  treeMethods = Object.getPrototypeOf(model.context.emptyTree()) as DataTree;
});
afterEach(async () => {
  vi.restoreAllMocks();
  for (const { ds, pools, stateDir } of opened.splice(0)) {
    for (const pool of pools) await pool.close();
    ds.close();
    if (stateDir !== null) rmSync(stateDir, { recursive: true, force: true });
  }
});
afterAll(() => model?.context.destroy());

/**
 * Datastores whose large writes are made in a pool's workers, as the agent's are (service.ts), or on
 * the main thread (`pool` false). The diff is made in the same pool, in a pool of its own when
 * `diffLimitMs` is given (that pool's write limit), or by `checkDiff` when given.
 */
async function open(opts: {
  readonly pool: boolean; readonly diffLimitMs?: number; readonly checkDiff?: DatastoresOptions['checkDiff']; readonly checkValid?: DatastoresOptions['checkValid'];
  readonly refuse?: () => boolean; readonly stateDir?: boolean; readonly workers?: number;
}): Promise<Subject> {
  const pools: EvaluationPool[] = [];
  const applied: DiffChange[][] = [];
  const saved: DiffChange[][] = [];
  const stateDir = opts.stateDir === true ? mkdtempSync(join(tmpdir(), 'bmpd-diff-in-worker-')) : null;
  let pool: EvaluationPool | undefined;
  let diffPool: EvaluationPool | undefined;
  const ds = await Datastores.open({
    context: model.context, stateDir,
    startupSaved: (change) => { saved.push([...change.changes]); },
    apply: async (change: RunningChange) => {
      if (opts.refuse?.() === true) throw new DatastoreError(detail('operation-failed', 'refused by the test'));
      applied.push([...change.changes]);
    },
    checkSteps: async (steps) => pool?.checkWrite(steps) ?? null,
    checkValid: opts.checkValid ?? (async (name, o) => pool?.checkValid(name, o) ?? null),
    checkDiff: opts.checkDiff ?? (async (base, chunks) => (diffPool ?? pool)?.checkDiff(base, chunks) ?? null),
  });
  if (opts.pool) {
    pool = new EvaluationPool({ datastores: ds, logger: pino({ level: 'silent' }), workers: opts.workers ?? 2 });
    pools.push(pool);
    if (opts.diffLimitMs !== undefined) {
      diffPool = new EvaluationPool({ datastores: ds, logger: pino({ level: 'silent' }), workers: 2, writeTimeoutMs: opts.diffLimitMs });
      pools.push(diffPool);
    }
    await Promise.all(pools.map((p) => p.start()));
  }
  const subject = { ds, pools, applied, saved, stateDir };
  opened.push(subject);
  return subject;
}

const printed = (ds: Datastores): string[] => NAMES.flatMap((name) =>
  (['explicit', 'report-all-tagged'] as const).map((withDefaults) => ds.tree(name).print({ format: 'xml', withDefaults })));

const MODES: readonly WithDefaultsMode[] = ['explicit', 'report-all', 'report-all-tagged', 'trim'];

/** Reads of running through the pool, twice per with-defaults mode (so every worker answers), each equal to the main thread's print. */
async function expectReadsCurrent(subject: Subject): Promise<void> {
  const pool = subject.pools[0]!;
  for (const mode of MODES) {
    const expected = subject.ds.tree('running').print({ format: 'xml', withDefaults: mode });
    const replies = await Promise.all([0, 1].map(() => pool.evaluate({ source: 'running', state: [], filter: undefined, mode, access: null })));
    for (const reply of replies) expect(reply, mode).toBe(expected);
  }
}

/** A change list in an order of its own: the worker diffs trees in canonical order, the main thread as they are. */
const sorted = (changes: readonly DiffChange[]): string[] => changes.map((c) => JSON.stringify(c)).sort();

describe("running's diff to a large write's result", () => {
  it('is made in a worker, and the apply hook sees the changes the main thread would have made', async () => {
    const [bounded, plain] = [await open({ pool: true }), await open({ pool: true, checkDiff: async () => null })];
    const mainThreadDiff = vi.spyOn(treeMethods, 'diff');
    const steps: ((ds: Datastores) => Promise<unknown>)[] = [
      // Created from nothing, straight into running.
      (ds) => ds.editConfig('running', bgp(range(0, NEIGHBORS, (i) => neighbor(i))), {}, 1),
      // Replaced whole: some entries gone, some changed (a leaf replaced, one added), some new.
      (ds) => ds.editConfig('running', bgp(range(500, NEIGHBORS + 500, (i) => neighbor(i, i % 7 === 0 ? 65001 : undefined, i % 11 === 0 ? '<shutdown/>' : ''))),
        { defaultOperation: 'replace' }, 1),
      // A large edit of candidate, committed: the adopted candidate's chunks.
      (ds) => ds.editConfig('candidate', bgp(range(0, NEIGHBORS, (i) => neighbor(i, 65002))), {}, 1),
      (ds) => ds.commit(1),
      // Left not known valid (test-option set), so the commit validates it whole in a worker first.
      (ds) => ds.editConfig('candidate', bgp(range(1000, NEIGHBORS + 1000, (i) => neighbor(i, 65003))), { testOption: 'set' }, 1),
      (ds) => ds.commit(1),
      // copy-config of a large inline configuration.
      (ds) => ds.copyConfig('running', { config: bgp(range(0, NEIGHBORS, (i) => neighbor(i, 65004))) }, 1),
    ];
    for (const [at, step] of steps.entries()) {
      mainThreadDiff.mockClear();
      await step(bounded.ds);
      expect(mainThreadDiff, `step ${at}`).not.toHaveBeenCalled();
      const changesBefore = plain.applied.length;
      await step(plain.ds);
      expect(mainThreadDiff, `step ${at}`).toHaveBeenCalledTimes(plain.applied.length - changesBefore);
      expect(bounded.applied.length, `step ${at}`).toBe(plain.applied.length);
      expect(printed(bounded.ds), `step ${at}`).toEqual(printed(plain.ds));
    }
    // Five changes of running, each applied with the same changes, and they are the real ones.
    expect(bounded.applied).toHaveLength(5);
    for (const [at, changes] of bounded.applied.entries()) expect(sorted(changes), `change ${at}`).toEqual(sorted(plain.applied[at]!));
    const [created, replaced] = bounded.applied;
    expect(created!.filter((c) => c.operation === 'create' && c.nodeType === 'list')).toHaveLength(NEIGHBORS);
    const ops = (changes: DiffChange[], nodeType: DiffChange['nodeType']) => changes.filter((c) => c.nodeType === nodeType && !c.inherited).map((c) => c.operation);
    expect(ops(replaced!, 'list').filter((o) => o === 'delete')).toHaveLength(500);
    expect(ops(replaced!, 'list').filter((o) => o === 'create')).toHaveLength(500);
    expect(replaced!).toContainEqual(expect.objectContaining({ operation: 'replace', path: "/bmpd:bgp/neighbor[address='127.1.2.27']/remote-as", value: '65001', previousValue: '64551' }));
  }, 120_000);

  it('copy-config of a datastore is validated, diffed and printed in a worker: the same datastores, changes and startup file', async () => {
    // Both adopt the large edit's result from a worker; only the bounded one copies in a worker.
    const [bounded, plain] = [await open({ pool: true, stateDir: true }),
      await open({ pool: true, stateDir: true, checkValid: async () => null, checkDiff: async () => null })];
    const onMain = (['dup', 'validate', 'diff'] as const).map((method) => vi.spyOn(treeMethods, method));
    const startupFile = (subject: Subject) => { try { return readFileSync(join(subject.stateDir!, 'startup.xml'), 'utf8'); } catch { return null; } };
    const steps: { readonly copy: boolean; readonly step: (ds: Datastores) => Promise<unknown> }[] = [
      { copy: false, step: (ds) => ds.editConfig('running', bgp(range(0, NEIGHBORS, (i) => neighbor(i))), {}, 1) },
      { copy: true, step: (ds) => ds.copyConfig('startup', { datastore: 'running' }, 1) },
      // A small change: running is no longer the large write's chunks, and is copied all the same.
      { copy: false, step: (ds) => ds.editConfig('running', bgp([neighbor(3, 65099)]), {}, 1) },
      { copy: true, step: (ds) => ds.copyConfig('startup', { datastore: 'running' }, 1) },
      { copy: false, step: (ds) => ds.editConfig('running', bgp([neighbor(4, 65098)]), {}, 1) },
      { copy: true, step: (ds) => ds.copyConfig('candidate', { datastore: 'startup' }, 1) },
      { copy: true, step: (ds) => ds.copyConfig('running', { datastore: 'candidate' }, 1) },
    ];
    for (const [at, { copy, step }] of steps.entries()) {
      for (const spy of onMain) spy.mockClear();
      await step(bounded.ds);
      if (copy) for (const spy of onMain) expect(spy, `step ${at}: ${spy.getMockName()}`).not.toHaveBeenCalled();
      await step(plain.ds);
      expect(printed(bounded.ds), `step ${at}`).toEqual(printed(plain.ds));
      expect(startupFile(bounded), `step ${at}`).toBe(startupFile(plain));
    }
    // The main thread's copy is validated here, which leaves a neighbor's default-only containers
    // (timers, bmp-activate) listed as created; the adopted copy's are not (see the file comment).
    const explicit = (changes: readonly DiffChange[]) => sorted(changes.filter((c) => !(c.nodeType === 'container' && c.inherited)));
    expect(bounded.saved).toHaveLength(2);
    for (const [at, changes] of bounded.saved.entries()) expect(explicit(changes), `startup change ${at}`).toEqual(explicit(plain.saved[at]!));
    expect(bounded.applied.map(explicit)).toEqual(plain.applied.map(explicit));
    // The second save changed one neighbor's remote-as only; the copy back to running undid the other.
    expect(bounded.saved[1]!.filter((c) => c.operation !== 'none')).toEqual([expect.objectContaining({ operation: 'replace', value: '65099' })]);
    expect(bounded.applied.at(-1)!.filter((c) => c.operation !== 'none')).toEqual([expect.objectContaining({ operation: 'replace', previousValue: '65098' })]);
    expect(startupFile(bounded)!.match(/<neighbor>/g)).toHaveLength(NEIGHBORS);
  }, 180_000);

  it('past the write time limit, the write fails naming the comparison and nothing changes', async () => {
    const subject = await open({ pool: true, diffLimitMs: 1 });
    await subject.ds.editConfig('running', bgp(range(0, 10, (i) => neighbor(i))), {}, 1);
    const before = printed(subject.ds);
    const applied = subject.applied.length;
    const failure = await subject.ds.editConfig('running', bgp(range(0, NEIGHBORS, (i) => neighbor(i))), {}, 1).then(() => null, (err: unknown) => err);
    expect(failure).toBeInstanceOf(RpcError);
    expect((failure as RpcError).message).toMatch(/comparison of the change with the running datastore exceeded the write time limit of 0.001 s/);
    expect(printed(subject.ds)).toEqual(before);
    expect(subject.applied).toHaveLength(applied);
    // The datastores go on: a small write, and a large one once the diff has time enough.
    await subject.ds.editConfig('running', bgp([neighbor(20)]), {}, 1);
    expect(subject.applied).toHaveLength(applied + 1);
  }, 120_000);

  it('the worker that made the diff keeps the tree and takes it as its copy of running, without loading it again', async () => {
    const subject = await open({ pool: true });
    await subject.ds.editConfig('running', bgp(range(0, 10, (i) => neighbor(i))), {}, 1);
    await expectReadsCurrent(subject);
    const posted = vi.spyOn(Worker.prototype, 'postMessage');
    const messages = () => posted.mock.calls.map(([message]) => message as EvaluationThreadMessage).filter((m) => m.type === 'evaluate');
    await subject.ds.editConfig('running', bgp(range(0, NEIGHBORS, (i) => neighbor(i))), {}, 1);
    const diffs = messages().filter((m) => m.diff !== undefined);
    expect(diffs).toHaveLength(1);
    posted.mockClear();
    await expectReadsCurrent(subject);
    // One worker adopts its kept tree; the other, which made no diff, loads the write's chunks.
    const updates = messages().filter((m) => m.adoptKept === true || m.snapshot !== undefined);
    expect(updates.map((m) => (m.adoptKept ? 'kept' : Array.isArray(m.snapshot) ? 'chunks' : 'print')).sort()).toEqual(['chunks', 'kept']);
    expect(updates.find((m) => m.adoptKept)).not.toHaveProperty('snapshot');
  }, 120_000);

  it('a write does not take the one idle worker that can answer a read of running at once', async () => {
    const subject = await open({ pool: true });
    await subject.ds.editConfig('running', bgp(range(0, 10, (i) => neighbor(i))), {}, 1);
    await expectReadsCurrent(subject);
    const posted = vi.spyOn(Worker.prototype, 'postMessage');
    const sent = () => posted.mock.calls.map((call, i) => ({ message: call[0] as EvaluationThreadMessage, worker: posted.mock.contexts[i] as Worker }))
      .filter(({ message }) => message.type === 'evaluate');
    // The large edit's diff leaves its worker keeping the new running; the other worker's copy is behind.
    await subject.ds.editConfig('running', bgp(range(0, NEIGHBORS, (i) => neighbor(i))), {}, 1);
    const keeping = sent().find(({ message }) => message.diff !== undefined)!.worker;
    posted.mockClear();
    // A validation of running now goes to the other worker, and a read right after to the keeping one.
    const [validated] = await Promise.all([subject.pools[0]!.checkValid('running', { result: false }),
      subject.pools[0]!.evaluate({ source: 'running', state: [], filter: undefined, mode: 'explicit', access: null })]);
    expect(validated.errors).toEqual([]);
    const messages = sent();
    expect(messages.find(({ message }) => message.validate !== undefined)!.worker).not.toBe(keeping);
    expect(messages.find(({ message }) => message.validate === undefined && message.adoptKept === true)?.worker).toBe(keeping);
  }, 120_000);

  it('idle workers load a new running one at a time', async () => {
    const subject = await open({ pool: true, workers: 3 });
    const pool = subject.pools[0]!;
    const read = () => pool.evaluate({ source: 'running', state: [], filter: undefined, mode: 'explicit', access: null });
    await subject.ds.editConfig('running', bgp(range(0, 10, (i) => neighbor(i))), {}, 1);
    await Promise.all([read(), read(), read()]);
    const posted = vi.spyOn(Worker.prototype, 'postMessage');
    const loads = () => posted.mock.calls.filter(([message]) => (message as EvaluationThreadMessage).snapshot !== undefined).length;
    // A whole-tree change: every worker's copy needs running whole.
    await subject.ds.copyConfig('running', { config: bgp(range(0, 50, (i) => neighbor(i))) }, 1);
    posted.mockClear();
    const answered = read();
    // The read's worker loads running, and at most one idle worker with it, not both (fewer when a
    // worker is still busy with an earlier warm-up: CI's load made that happen once).
    expect(loads()).toBeGreaterThanOrEqual(1);
    expect(loads()).toBeLessThanOrEqual(2);
    await answered;
    // The third is warmed once the second is done.
    for (let waited = 0; loads() < 3 && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(loads()).toBe(3);
  }, 60_000);

  it('a kept tree running never came to hold is dropped, and the reads stay current', async () => {
    let refuse = false;
    const subject = await open({ pool: true, refuse: () => refuse });
    await subject.ds.editConfig('running', bgp(range(0, 10, (i) => neighbor(i))), {}, 1);
    await expectReadsCurrent(subject);
    // The diff is made and its tree kept; then the apply hook refuses the change.
    refuse = true;
    const refused = await subject.ds.editConfig('running', bgp(range(0, NEIGHBORS, (i) => neighbor(i))), {}, 1).then(() => null, (err: unknown) => err);
    expect(refused).toBeInstanceOf(DatastoreError);
    refuse = false;
    const posted = vi.spyOn(Worker.prototype, 'postMessage');
    await expectReadsCurrent(subject);
    await subject.ds.editConfig('running', bgp([neighbor(20)]), {}, 1);
    await expectReadsCurrent(subject);
    const messages = posted.mock.calls.map(([message]) => message as EvaluationThreadMessage).filter((m) => m.type === 'evaluate');
    expect(messages.filter((m) => m.adoptKept)).toHaveLength(0);
    expect(messages.filter((m) => m.dropKept)).toHaveLength(1);
    expect(subject.ds.tree('running').print({ format: 'xml' }).match(/<neighbor>/g)).toHaveLength(11);
  }, 120_000);

  it('a diff of another version of running is made on the main thread instead', async () => {
    const [other, inWorker] = [await open({ pool: true, checkDiff: async () => ({ version: -1, records: new Uint8Array(8) }) }), await open({ pool: true })];
    const mainThreadDiff = vi.spyOn(treeMethods, 'diff');
    await other.ds.editConfig('running', bgp(range(0, NEIGHBORS, (i) => neighbor(i))), {}, 1);
    expect(mainThreadDiff).toHaveBeenCalledTimes(1);
    await inWorker.ds.editConfig('running', bgp(range(0, NEIGHBORS, (i) => neighbor(i))), {}, 1);
    expect(mainThreadDiff).toHaveBeenCalledTimes(1);
    expect(sorted(other.applied[0]!)).toEqual(sorted(inWorker.applied[0]!));
    expect(other.applied[0]!.length).toBeGreaterThan(NEIGHBORS);
  }, 120_000);
});
