// What a large edit costs the datastores beyond libyang's parse, edit and validation (issue 10): the
// write guard's change list is made only when the guard reads it, and an edit that provisions a
// top-level node from empty, like any large edit, is validated whole rather than recorded (the recorded
// validation of such an edit records every default it adds and costs several times a whole one). Either way the edit's
// semantics stay: a refused or invalid edit leaves every datastore byte-identical.
import type { DataTree } from 'libyang-wasm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Datastores, type WriteRequest, type WriteSteps } from '../../src/datastore/datastores.js';
import { DatastoreError, detail } from '../../src/datastore/errors.js';
import { makeWriteSteps } from '../../src/datastore/large-write.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';
/** Over a MiB of text: a large edit. */
const NEIGHBORS = 6_500;
const neighbor = (i: number, extra = ''): string =>
  `<neighbor><address>127.1.${i >> 8}.${i & 255}</address><remote-as>${64512 + (i % 100)}</remote-as>` +
  `<description>${'provisioned in bulk '.repeat(3)}${i}</description>${extra}</neighbor>`;
const provisioning = (last = ''): string => {
  const entries: string[] = [];
  for (let i = 0; i < NEIGHBORS; i++) entries.push(neighbor(i));
  return `<bgp xmlns="${NS}"><as-number>65000</as-number>${entries.join('')}${last}</bgp>`;
};

let model: YangModel;
let treeMethods: DataTree;
beforeAll(async () => {
  model = await loadYangModel();
  treeMethods = Object.getPrototypeOf(model.context.emptyTree()) as DataTree;
});
afterAll(() => model.context.destroy());
afterEach(() => { vi.restoreAllMocks(); });

const printed = (ds: Datastores): string[] =>
  (['running', 'candidate', 'startup'] as const).map((name) => ds.tree(name).print({ format: 'xml', withDefaults: 'explicit' }));

describe('large edits', () => {
  it('a write guard that does not read the changes makes no diff; one that reads them gets them all', async () => {
    let read = false;
    let seen: string[] = [];
    const ds = await Datastores.open({
      context: model.context, stateDir: null,
      authorizeWrite: (w: WriteRequest) => { if (read) seen = w.changes.map((c) => `${c.operation} ${c.path}`); },
    });
    await ds.editConfig('running', `<bgp xmlns="${NS}"><as-number>65000</as-number></bgp>`, {}, 1);
    const diffs = [vi.spyOn(treeMethods, 'diff'), vi.spyOn(treeMethods, 'diffPaths')];
    await ds.editConfig('candidate', `<bgp xmlns="${NS}">${neighbor(1)}${neighbor(2)}</bgp>`, {}, 1);
    expect(diffs.map((d) => d.mock.calls.length)).toEqual([0, 0]);

    read = true;
    await ds.editConfig('candidate', `<bgp xmlns="${NS}">${neighbor(3)}</bgp>`, {}, 1);
    expect(seen).toEqual(expect.arrayContaining([
      "create /bmpd:bgp/neighbor[address='127.1.0.3']",
      "create /bmpd:bgp/neighbor[address='127.1.0.3']/remote-as",
      "create /bmpd:bgp/neighbor[address='127.1.0.3']/description",
    ]));
    ds.close();
  });

  it('an edit provisioning an empty candidate is validated whole, and commits like any other', async () => {
    const ds = await Datastores.open({ context: model.context, stateDir: null, authorizeWrite: () => {} });
    const whole = vi.spyOn(treeMethods, 'validate');
    const recorded = vi.spyOn(treeMethods, 'validateChanges');
    expect(provisioning().length).toBeGreaterThan(1 << 20);
    await ds.editConfig('candidate', provisioning(), {}, 1);
    expect(recorded).not.toHaveBeenCalled();
    expect(whole).toHaveBeenCalledTimes(1);
    expect(ds.candidateModified).toBe(true);
    const candidate = ds.tree('candidate').print({ format: 'xml' });
    expect(candidate.match(/<neighbor>/g)).toHaveLength(NEIGHBORS);
    await ds.commit(1);
    expect(ds.tree('running').print({ format: 'xml' })).toBe(candidate);

    // Once the node exists, a large edit of it takes the whole-tree path too (it lets the event loop
    // run between its steps, which an edit recorded in place in candidate cannot); a small one is
    // recorded and validated where it changed (once committed, as a whole-tree edit leaves candidate
    // modified in unrecorded ways).
    whole.mockClear();
    await ds.editConfig('candidate', provisioning(neighbor(NEIGHBORS)), {}, 1);
    expect(recorded).not.toHaveBeenCalled();
    expect(whole).toHaveBeenCalledTimes(1);
    await ds.commit(1);
    whole.mockClear();
    await ds.editConfig('candidate', `<bgp xmlns="${NS}">${neighbor(NEIGHBORS + 1)}</bgp>`, {}, 1);
    expect(recorded).toHaveBeenCalledTimes(1);
    expect(whole).not.toHaveBeenCalled();
    ds.close();
  });

  it('an invalid, refused or test-only provisioning edit leaves every datastore byte-identical', async () => {
    let refuse = false;
    const ds = await Datastores.open({
      context: model.context, stateDir: null,
      authorizeWrite: (w) => {
        if (refuse && w.changes.some((c) => c.path.endsWith("neighbor[address='127.1.0.7']"))) {
          throw new DatastoreError(detail('access-denied', 'no'));
        }
      },
    });
    const before = printed(ds);
    // A leafref to a peer-group that does not exist, at the very end.
    await expect(ds.editConfig('candidate', provisioning(neighbor(NEIGHBORS, '<peer-group>NOPE</peer-group>')), {}, 1))
      .rejects.toMatchObject({ errors: [expect.objectContaining({ tag: 'data-missing' })] });
    expect(printed(ds)).toEqual(before);
    expect(ds.candidateModified).toBe(false);

    await ds.editConfig('running', provisioning(), { testOption: 'test-only' }, 1);
    expect(printed(ds)).toEqual(before);

    refuse = true;
    await expect(ds.editConfig('running', provisioning(), {}, 1)).rejects.toMatchObject({ errors: [expect.objectContaining({ tag: 'access-denied' })] });
    expect(printed(ds)).toEqual(before);
    // The write check comes before validation: a refused session learns nothing from validation errors.
    await expect(ds.editConfig('candidate', provisioning(neighbor(NEIGHBORS, '<peer-group>NOPE</peer-group>')), {}, 1))
      .rejects.toMatchObject({ errors: [expect.objectContaining({ tag: 'access-denied' })] });
    expect(printed(ds)).toEqual(before);
    ds.close();
  });

  it('a large write is checked under the time limit first (checkSteps), and past it nothing is parsed, edited or changed', async () => {
    const checked: WriteSteps[] = [];
    let overLimit = false;
    const ds = await Datastores.open({
      context: model.context, stateDir: null,
      checkSteps: async (steps) => {
        checked.push(steps);
        if (overLimit) throw new DatastoreError(detail('operation-failed', 'over the limit'));
        // Nothing to adopt: the steps are made here.
        return null;
      },
    });
    // Small writes are not checked.
    await ds.editConfig('candidate', `<bgp xmlns="${NS}"><as-number>65000</as-number>${neighbor(1)}</bgp>`, {}, 1);
    await ds.validate({ config: `<bgp xmlns="${NS}"><as-number>65000</as-number></bgp>` });
    expect(checked).toEqual([]);

    await ds.editConfig('running', provisioning(), { testOption: 'test-only' }, 1);
    await ds.validate({ config: provisioning() });
    await ds.copyConfig('startup', { config: provisioning() }, 1);
    await ds.editConfig('candidate', provisioning(), { testOption: 'set', defaultOperation: 'replace', errorOption: 'continue-on-error' }, 1);
    expect(checked.map(({ base, edit, validate }) => ({ base, edit, validate }))).toEqual([
      { base: 'running', edit: { defaultOperation: 'merge', errorOption: 'stop-on-error' }, validate: true },
      { base: null, edit: null, validate: true },
      { base: null, edit: null, validate: true },
      // test-option set: candidate is not validated.
      { base: 'candidate', edit: { defaultOperation: 'replace', errorOption: 'continue-on-error' }, validate: false },
    ]);
    expect(checked.every((steps) => steps.xml === provisioning())).toBe(true);

    overLimit = true;
    const before = printed(ds);
    const parse = vi.spyOn(model.context, 'parseData');
    for (const write of [
      () => ds.editConfig('running', provisioning(neighbor(NEIGHBORS)), {}, 1),
      () => ds.copyConfig('candidate', { config: provisioning() }, 1),
      () => ds.validate({ config: provisioning() }),
    ]) {
      await expect(write()).rejects.toMatchObject({ errors: [expect.objectContaining({ tag: 'operation-failed', message: 'over the limit' })] });
    }
    expect(parse).not.toHaveBeenCalled();
    expect(printed(ds)).toEqual(before);
    ds.close();
  });

  it("a large write whose steps succeeded in the worker is adopted from its result: the same datastores as a write made here", async () => {
    /** The worker's part (evaluation-thread.ts: makeWriteSteps), made on a copy of `current`'s datastore as it is. */
    let current: Datastores;
    let tamper = '';
    const adoptedChunks: number[] = [];
    const worker = async (steps: WriteSteps): Promise<readonly string[] | null> => {
      // Small chunks: the result is adopted in many (about 20 for a provisioning).
      const chunks = makeWriteSteps(model.context, steps.base === null ? null : current.tree(steps.base), steps, 64 << 10);
      if (chunks !== null) adoptedChunks.push(chunks.length);
      if (chunks === null || tamper === '') return chunks;
      const extra = model.context.parseData(tamper, { format: 'xml', validate: false, configOnly: true, strict: true });
      try { return [...chunks, extra.print({ format: 'json', tagImplicitDefaults: true })]; } finally { extra.free(); }
    };
    const ds = current = await Datastores.open({ context: model.context, stateDir: null, checkSteps: worker });
    const alone = await Datastores.open({ context: model.context, stateDir: null });
    const both = async (write: (d: Datastores) => Promise<unknown>) => {
      const outcomes = await Promise.all([ds, alone].map((d) => write(d).then(() => 'ok', (err: DatastoreError) => err.errors.map((e) => e.tag).join())));
      expect(outcomes[0]).toBe(outcomes[1]);
      expect(printed(ds)).toEqual(printed(alone));
      for (const mode of ['report-all', 'trim'] as const) {
        expect(ds.tree('candidate').print({ format: 'xml', withDefaults: mode })).toBe(alone.tree('candidate').print({ format: 'xml', withDefaults: mode }));
      }
      return outcomes[0];
    };
    expect(await both((d) => d.editConfig('candidate', provisioning(), {}, 1))).toBe('ok');
    expect(ds.candidateModified).toBe(true);
    // Running is made from the adopted chunks a chunk per turn, not by copying candidate in one piece.
    const dup = vi.spyOn(treeMethods, 'dup');
    const candidates = [ds.unorderedTree('candidate'), alone.unorderedTree('candidate')];
    expect(await both((d) => d.commit(1))).toBe('ok');
    expect(dup.mock.contexts).not.toContain(candidates[0]);
    expect(dup.mock.contexts).toContain(candidates[1]);
    dup.mockRestore();
    // An edit of what exists, one that fails validation (made again here for its errors), a test-only one.
    // The clean candidate then becomes what running holds, from the same chunks, not by copying running in one piece.
    const runningDup = vi.spyOn(treeMethods, 'dup');
    expect(await both((d) => d.editConfig('running', provisioning(neighbor(NEIGHBORS)), {}, 1))).toBe('ok');
    expect(ds.candidateModified).toBe(false);
    expect(runningDup.mock.contexts).not.toContain(ds.unorderedTree('running'));
    expect(runningDup.mock.contexts).toContain(alone.unorderedTree('running'));
    runningDup.mockRestore();
    expect(await both((d) => d.editConfig('running', provisioning(neighbor(NEIGHBORS + 1, '<peer-group>NOPE</peer-group>')), {}, 1))).toBe('data-missing');
    expect(await both((d) => d.editConfig('candidate', provisioning(neighbor(NEIGHBORS + 2)), { testOption: 'test-only' }, 1))).toBe('ok');
    // test-option set: adopted unvalidated, then validated whole by the commit (here, no worker), as alone.
    const setAdopted = adoptedChunks.length;
    expect(await both((d) => d.editConfig('candidate', provisioning(neighbor(NEIGHBORS + 4, '<shutdown/>')), { testOption: 'set' }, 1))).toBe('ok');
    expect(adoptedChunks.length).toBe(setAdopted + 1);
    expect(await both((d) => d.commit(1))).toBe('ok');
    // continue-on-error with an error: made here, its partial result and errors exactly as alone.
    const partial = provisioning(`<neighbor nc:operation="delete" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"><address>127.9.9.9</address></neighbor>`);
    const errorsOf = async (d: Datastores) => (await d.editConfig('candidate', partial, { errorOption: 'continue-on-error' }, 1)).errors.map((e) => e.tag);
    expect(await errorsOf(ds)).toEqual(await errorsOf(alone));
    expect(printed(ds)).toEqual(printed(alone));
    expect(await both((d) => d.copyConfig('running', { config: provisioning(neighbor(NEIGHBORS + 3)) }, 1))).toBe('ok');
    expect(await both((d) => d.copyConfig('startup', { config: provisioning() }, 1))).toBe('ok');
    expect(await both((d) => d.validate({ config: provisioning() }))).toBe('ok');
    // Each adopted write came in many chunks.
    expect(adoptedChunks.length).toBeGreaterThanOrEqual(6);
    expect(Math.min(...adoptedChunks)).toBeGreaterThan(10);

    // NACM refuses an adopted write, test-only included, as one made here.
    const guarded = current = await Datastores.open({
      context: model.context, stateDir: null, checkSteps: worker,
      authorizeWrite: () => { throw new DatastoreError(detail('access-denied', 'no')); },
    });
    for (const testOption of ['test-only', 'test-then-set'] as const) {
      await expect(guarded.editConfig('candidate', provisioning(), { testOption }, 1)).rejects.toMatchObject({ errors: [expect.objectContaining({ tag: 'access-denied' })] });
    }
    guarded.close();
    current = ds;

    // What is adopted is the worker's result as it is, not made again here.
    tamper = `<bgp xmlns="${NS}">${neighbor(NEIGHBORS + 9)}</bgp>`;
    await ds.editConfig('candidate', provisioning(), {}, 1);
    expect(ds.print('candidate')).toContain(`127.1.${(NEIGHBORS + 9) >> 8}.${(NEIGHBORS + 9) & 255}`);
    ds.close();
    alone.close();
  });
});
