// <validate> of a datastore and a commit that validates candidate whole (issue 10): with an evaluation
// pool (checkValid) the validation is made in a worker, on its copy of the datastore at the version the
// main thread holds, and never again on the main thread; without one, on the main thread. Either way a
// client must see the same outcome: the same rpc-errors, the same running (the defaults validation adds
// included), the same candidate. Past the write limit: operation-failed naming it, nothing changed.
import type { DataTree } from 'libyang-wasm';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Datastores, type DatastoreName } from '../../src/datastore/datastores.js';
import { DatastoreError } from '../../src/datastore/errors.js';
import { EvaluationPool } from '../../src/netconf/evaluation-pool.js';
import { RpcError } from '../../src/netconf/rpc-error.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';
const bgp = (inner: string) => `<bgp xmlns="${NS}"><as-number>65000</as-number>${inner}</bgp>`;
const neighbor = (address: string, inner = '<remote-as>65001</remote-as>') => `<neighbor><address>${address}</address>${inner}<shutdown/></neighbor>`;
const SET = { testOption: 'set' } as const;
const NAMES: readonly DatastoreName[] = ['running', 'candidate', 'startup'];

let model: YangModel;
let treeMethods: DataTree;
/** A Datastores with a pool of `workers` validating for it, or without one (pool null). */
interface Subject { readonly ds: Datastores; readonly pool: EvaluationPool | null }
const opened: Subject[] = [];

beforeAll(async () => {
  model = await loadYangModel();
  treeMethods = Object.getPrototypeOf(model.context.emptyTree()) as DataTree;
});
afterEach(async () => {
  vi.restoreAllMocks();
  for (const { ds, pool } of opened.splice(0)) {
    await pool?.close();
    ds.close();
  }
});
afterAll(() => model?.context.destroy());

async function open(withPool: boolean, writeTimeoutMs?: number): Promise<Subject> {
  let pool: EvaluationPool | null = null;
  const ds = await Datastores.open({ context: model.context, stateDir: null, checkValid: async (name, opts) => pool?.checkValid(name, opts) ?? null });
  if (withPool) {
    pool = new EvaluationPool({ datastores: ds, logger: pino({ level: 'silent' }), workers: 1, ...(writeTimeoutMs !== undefined ? { writeTimeoutMs } : {}) });
    await pool.start();
  }
  const subject = { ds, pool };
  opened.push(subject);
  return subject;
}

const printed = (ds: Datastores): string[] => NAMES.flatMap((name) =>
  (['explicit', 'report-all-tagged'] as const).map((withDefaults) => ds.tree(name).print({ format: 'xml', withDefaults })));

/** The outcome of `op` as a client sees it: ok, or the rpc-errors. */
async function outcome(op: () => Promise<unknown>): Promise<unknown> {
  try {
    await op();
    return 'ok';
  } catch (err) {
    if (err instanceof DatastoreError) return err.errors;
    throw err;
  }
}

/** Runs the same steps against a Datastores with a worker and one without; every outcome and the datastores must match. */
async function alike(steps: readonly ((ds: Datastores) => Promise<unknown>)[]): Promise<unknown[]> {
  const [bounded, plain] = [await open(true), await open(false)];
  const mainThread = vi.spyOn(treeMethods, 'validate');
  const outcomes: unknown[] = [];
  for (const step of steps) {
    mainThread.mockClear();
    const inWorker = await outcome(() => step(bounded.ds));
    // With a worker, no whole validation on the main thread.
    expect(mainThread).not.toHaveBeenCalled();
    const here = await outcome(() => step(plain.ds));
    expect(inWorker).toEqual(here);
    expect(printed(bounded.ds)).toEqual(printed(plain.ds));
    outcomes.push(here);
  }
  return outcomes;
}

describe('whole validation of a datastore in an evaluation worker', () => {
  it('<validate> of each datastore, valid and not, gives the same outcome as on the main thread', async () => {
    const outcomes = await alike([
      (ds) => ds.editConfig('candidate', bgp(neighbor('127.0.0.2')), {}, 1),
      (ds) => ds.commit(1),
      (ds) => ds.validate({ datastore: 'running' }),
      (ds) => ds.validate({ datastore: 'startup' }),
      (ds) => ds.validate({ datastore: 'candidate' }),
      // Left invalid by test-option=set: a neighbor of a peer-group that does not exist, one with no remote-as at all.
      (ds) => ds.editConfig('candidate', bgp(neighbor('127.0.0.3', '<peer-group>nowhere</peer-group>') + neighbor('127.0.0.4', '')), SET, 1),
      (ds) => ds.validate({ datastore: 'candidate' }),
      (ds) => ds.validate({ datastore: 'running' }),
    ]);
    expect(outcomes.slice(0, 6)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(outcomes[6]).toEqual([expect.objectContaining({ tag: expect.any(String), path: expect.stringContaining("127.0.0.") })]);
    expect(outcomes[7]).toBe('ok');
  }, 60_000);

  it('a commit of a candidate not known valid adopts the worker\'s validated tree, defaults and all', async () => {
    const outcomes = await alike([
      // The listen and bmp containers' defaults (port 179, buffer-size 256) appear only on validation.
      (ds) => ds.editConfig('candidate', bgp(neighbor('127.0.0.2') + neighbor('127.0.0.3')), SET, 1),
      (ds) => ds.commit(1),
      (ds) => ds.editConfig('candidate', `<bgp xmlns="${NS}"><neighbor><address>127.0.0.2</address><remote-as>65009</remote-as></neighbor></bgp>`, SET, 1),
      (ds) => ds.commit(1),
    ]);
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok']);
    const subject = opened[0]!;
    const running = subject.ds.tree('running').print({ format: 'xml', withDefaults: 'report-all-tagged' });
    expect(running).toMatch(/ncwd:default="true">179<\/port>/);
    expect(running).toMatch(/ncwd:default="true">256<\/buffer-size>/);
    expect(running).toContain('<remote-as>65009</remote-as>');
    expect(subject.ds.candidateModified).toBe(false);
  }, 60_000);

  it('a commit of an invalid candidate fails with the main thread\'s errors and changes nothing', async () => {
    const outcomes = await alike([
      (ds) => ds.editConfig('candidate', bgp(neighbor('127.0.0.2')), {}, 1),
      (ds) => ds.commit(1),
      (ds) => ds.editConfig('candidate', bgp(neighbor('127.0.0.5', '<peer-group>nowhere</peer-group>')), SET, 1),
      (ds) => ds.commit(1),
      // Still modified and still invalid: the second commit fails alike.
      (ds) => ds.commit(1),
      (ds) => ds.discardChanges(1),
      (ds) => ds.commit(1),
    ]);
    expect(outcomes[3]).toEqual([expect.objectContaining({ tag: 'data-missing', appTag: 'instance-required' })]);
    expect(outcomes[4]).toEqual(outcomes[3]);
    expect(outcomes.filter((o, i) => i !== 3 && i !== 4)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  }, 60_000);

  it('past the write limit <validate> and the commit end in operation-failed naming it, and nothing changes', async () => {
    const { ds, pool } = await open(true, 20);
    // About 40,000 neighbors: a validation of hundreds of milliseconds, far over a 20 ms limit.
    const entries: string[] = [];
    for (let i = 0; i < 40_000; i++) entries.push(neighbor(`127.1.${i >> 8}.${i & 255}`));
    await ds.editConfig('candidate', bgp(entries.join('')), SET, 1);
    const before = printed(ds);
    const mainThread = vi.spyOn(treeMethods, 'validate');
    for (const op of [() => ds.validate({ datastore: 'candidate' }), () => ds.commit(1)]) {
      const err = await op().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(RpcError);
      expect((err as RpcError).tag).toBe('operation-failed');
      expect((err as Error).message).toContain('the validation of the candidate datastore exceeded the write time limit of 0.02 s (netconf-write-timeout)');
    }
    expect(mainThread).not.toHaveBeenCalled();
    expect(printed(ds)).toEqual(before);
    expect(ds.candidateModified).toBe(true);
    // The pool replaced its worker: a read is still answered.
    expect(await pool!.evaluate({ source: 'running', state: [], filter: undefined, mode: 'explicit', access: null })).toBe('');
  }, 60_000);
});
