// The everyday transaction (edit-config on candidate, commit, discard-changes)
// is applied in place with recorded changes, validated only where the change
// can matter, and committed path by path. These tests hold that fast path to
// the simple one it replaces: random sequences of edits — valid and invalid,
// inside neighbor entries and outside them — must give exactly what working on
// a copy of the whole tree and validating all of it gives: the same errors,
// the same candidate and running, the same changes handed to reconcile.
import fc from 'fast-check';
import { outermostPaths, type DataTree, type DiffChange, type YangError } from 'libyang-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Datastores, type EditOptions, type RunningChange } from '../../src/datastore/datastores.js';
import { DatastoreError, fromLibyang } from '../../src/datastore/errors.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';
const NC = 'urn:ietf:params:xml:ns:netconf:base:1.0';
const bgp = (inner: string): string => `<bgp xmlns="${NS}" xmlns:nc="${NC}">${inner}</bgp>`;

/** The starting configuration; with or without an explicit initial-refresh (a choice with a default case). */
const base = (refresh: boolean): string => bgp(
  `<as-number>65000</as-number><bmp>${refresh ? '<initial-refresh><delay>10</delay></initial-refresh>' : ''}`
  + '<server><id>1</id><address>127.0.1.1</address><port-number>8000</port-number></server></bmp>'
  + '<peer-group><name>PG</name><remote-as>65010</remote-as></peer-group>'
  + '<vrf><name>blue</name><rd>65000:1</rd><address-family><afi>ipv4</afi></address-family></vrf>',
);
const BASE = base(false);

let model: YangModel;
beforeAll(async () => { model = await loadYangModel(); });
afterAll(() => model.context.destroy());

// ---- the edits ----

const address = fc.integer({ min: 1, max: 6 }).map((i) => `127.1.0.${i}`);
const neighborBody = fc.record({
  remoteAs: fc.option(fc.constantFrom(65001, 65002), { nil: undefined }),
  peerGroup: fc.option(fc.constantFrom('PG', 'NOPE'), { nil: undefined }),
  description: fc.option(fc.constantFrom('one', 'two'), { nil: undefined }),
  passive: fc.option(fc.boolean(), { nil: undefined }),
  keepalive: fc.option(fc.constantFrom(0, 30), { nil: undefined }),
  holdTime: fc.option(fc.constantFrom(0, 90), { nil: undefined }),
  activate: fc.option(fc.constantFrom('all', '1', '2', '9'), { nil: undefined }),
}).map((b) => [
  b.peerGroup !== undefined ? `<peer-group>${b.peerGroup}</peer-group>` : '',
  b.remoteAs !== undefined ? `<remote-as>${b.remoteAs}</remote-as>` : '',
  b.description !== undefined ? `<description>${b.description}</description>` : '',
  b.passive !== undefined ? `<passive>${b.passive}</passive>` : '',
  b.keepalive !== undefined || b.holdTime !== undefined
    ? `<timers>${b.keepalive !== undefined ? `<keepalive>${b.keepalive}</keepalive>` : ''}${b.holdTime !== undefined ? `<hold-time>${b.holdTime}</hold-time>` : ''}</timers>`
    : '',
  b.activate === undefined ? '' : b.activate === 'all' ? '<bmp-activate><all/></bmp-activate>' : `<bmp-activate><server>${b.activate}</server></bmp-activate>`,
].join(''));

type Step =
  | { kind: 'edit'; target: 'candidate' | 'running'; xml: string; opts: EditOptions }
  | { kind: 'commit' }
  | { kind: 'discard' };

const operation = fc.constantFrom('', ' nc:operation="merge"', ' nc:operation="replace"', ' nc:operation="create"', ' nc:operation="delete"', ' nc:operation="remove"');
const neighborEdit = fc.tuple(address, operation, neighborBody).map(([a, op, body]) => `<neighbor${op}><address>${a}</address>${op.includes('delete') || op.includes('remove') ? '' : body}</neighbor>`);
const vrfNeighborEdit = fc.tuple(address, operation, neighborBody).map(([a, op, body]) =>
  `<vrf><name>blue</name><address-family><afi>ipv4</afi><neighbor${op}><address>${a}</address>${op.includes('delete') || op.includes('remove') ? '' : body}</neighbor></address-family></vrf>`);
const leafDelete = fc.tuple(address, fc.constantFrom('description', 'passive', 'remote-as', 'peer-group'), fc.constantFrom('delete', 'remove'))
  .map(([a, leaf, op]) => `<neighbor><address>${a}</address><${leaf} nc:operation="${op}"/></neighbor>`);
const globalEdit = fc.constantFrom(
  '<as-number>65001</as-number>',
  '<bmp><server><id>2</id><address>127.0.1.2</address><port-number>8001</port-number></server></bmp>',
  '<bmp><server nc:operation="remove"><id>2</id></server></bmp>',
  '<bmp><initial-refresh><skip/></initial-refresh></bmp>',
  '<bmp><initial-refresh><delay>30</delay></initial-refresh></bmp>',
  // Leaves with defaults, alone and beside a choice switching case.
  '<bmp><buffer-size>64</buffer-size><initial-refresh><skip/></initial-refresh></bmp>',
  '<bmp><buffer-size nc:operation="remove"/></bmp>',
  '<bmp><server><id>1</id><dscp>10</dscp><initial-delay>600</initial-delay></server></bmp>',
  '<listen><port>1179</port></listen>',
  '<listen><port nc:operation="delete"/></listen>',
  '<peer-group nc:operation="remove"><name>PG</name></peer-group>',
  '<peer-group><name>PG</name><remote-as>65010</remote-as></peer-group>',
);
const editOptions: fc.Arbitrary<EditOptions> = fc.record({
  errorOption: fc.constantFrom('stop-on-error', 'continue-on-error', 'rollback-on-error'),
  testOption: fc.constantFrom('test-then-set', 'test-then-set', 'test-then-set', 'test-only', 'set'),
});
const target = fc.constantFrom<'candidate' | 'running'>('candidate', 'candidate', 'candidate', 'running');
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.array(fc.oneof({ weight: 4, arbitrary: neighborEdit }, vrfNeighborEdit, leafDelete), { minLength: 1, maxLength: 3 }), editOptions, target)
    .map(([parts, opts, t]) => ({ kind: 'edit' as const, target: t, xml: bgp(parts.join('')), opts })) },
  { weight: 2, arbitrary: fc.tuple(globalEdit, editOptions, target).map(([xml, opts, t]) => ({ kind: 'edit' as const, target: t, xml: bgp(xml), opts })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'commit' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'discard' as const }) },
);

// ---- the reference: whole trees, copied and fully validated ----

function validationErrors(tree: DataTree): string[] | null {
  try {
    tree.validate({ configOnly: true });
    return null;
  } catch (err) {
    return (err as YangError).items.filter((i) => i.level === 'error').map((i) => fromLibyang(i, 'validate').tag);
  }
}

class Reference {
  /** Whether candidate holds edits not committed or discarded. */
  dirty = false;
  /** The changes of the last edit of running. */
  runningChanges: DiffChange[] = [];

  constructor(public running: DataTree, public candidate: DataTree) {}

  /** The error tags, or null when the edit applies. */
  edit(target: 'candidate' | 'running', xml: string, opts: EditOptions): string[] | null {
    const edit = model.context.parseData(xml, { format: 'xml', validate: false, configOnly: true, strict: true, edit: true });
    const work = (target === 'running' ? this.running : this.candidate).dup();
    try {
      const errorOption = opts.errorOption ?? 'stop-on-error';
      const errors = work.edit(edit, { defaultOperation: 'merge', errorOption });
      if (errors.length > 0 && (errorOption !== 'continue-on-error' || errors.some((e) => e.tag === 'bad-element'))) {
        work.free();
        return errors.map((e) => e.tag);
      }
      // running must stay valid whatever the test-option.
      const invalid = opts.testOption === 'set' && target === 'candidate' ? null : validationErrors(work);
      if (invalid) {
        work.free();
        return invalid;
      }
      if (opts.testOption === 'test-only') { work.free(); return null; }
      if (target === 'running') {
        const diff = this.running.diff(work);
        this.runningChanges = diff.changes();
        diff.free();
        this.running.free();
        this.running = work;
        if (!this.dirty) {
          this.candidate.free();
          this.candidate = work.dup();
        }
        return null;
      }
      this.candidate.free();
      this.candidate = work;
      this.dirty = true;
      return null;
    } finally {
      edit.free();
    }
  }

  /** The changes, or the validation error tags of a candidate edited with test-option set. */
  commit(): DiffChange[] | string[] {
    const next = this.candidate.dup();
    const invalid = validationErrors(next);
    if (invalid) {
      next.free();
      return invalid;
    }
    const diff = this.running.diff(next);
    const changes = diff.changes();
    diff.free();
    this.running.free();
    this.running = next;
    this.candidate.free();
    this.candidate = next.dup();
    this.dirty = false;
    return changes;
  }

  discard(): void {
    this.candidate.free();
    this.candidate = this.running.dup();
    this.dirty = false;
  }

  free(): void {
    this.running.free();
    this.candidate.free();
  }
}

function printed(tree: DataTree): string {
  const copy = tree.dup();
  copy.sort();
  const text = copy.print({ format: 'xml', withDefaults: 'report-all-tagged' });
  copy.free();
  return text;
}

/** A change as reconcile sees it, independent of the order libyang lists it in. */
const changeKeys = (changes: readonly DiffChange[]): string[] =>
  changes.filter((c) => c.operation !== 'none').map((c) => `${c.operation} ${c.path} ${c.value ?? ''} ${c.previousValue ?? ''} ${c.inherited}`).sort();

describe('in-place candidate transactions', () => {
  it('give the same results as editing and validating whole copies', async () => {
    await fc.assert(fc.asyncProperty(fc.boolean(), fc.array(step, { minLength: 1, maxLength: 25 }), async (refresh, steps) => {
      let applied: RunningChange['changes'] = [];
      const ds = await Datastores.open({ context: model.context, stateDir: null, apply: async (c) => { applied = c.changes; } });
      await ds.editConfig('candidate', base(refresh), {}, 1);
      await ds.commit(1);
      const ref = new Reference(ds.tree('running').dup(), ds.tree('candidate').dup());
      try {
        for (const s of steps) {
          if (s.kind === 'edit') {
            applied = [];
            ref.runningChanges = [];
            const expected = ref.edit(s.target, s.xml, s.opts);
            let got: string[] | null = null;
            try {
              await ds.editConfig(s.target, s.xml, s.opts, 1);
            } catch (err) {
              expect(err).toBeInstanceOf(DatastoreError);
              got = (err as DatastoreError).errors.map((e) => e.tag);
            }
            expect(got, `${s.target} ${s.xml} ${JSON.stringify(s.opts)}`).toEqual(expected);
            expect(changeKeys(applied)).toEqual(changeKeys(ref.runningChanges));
            expect(printed(ds.tree('running'))).toBe(printed(ref.running));
          } else if (s.kind === 'commit') {
            applied = [];
            const expected = ref.commit();
            if (typeof expected[0] === 'string') {
              await expect(ds.commit(1)).rejects.toMatchObject({ errors: (expected as string[]).map((tag) => expect.objectContaining({ tag })) });
            } else {
              const changes = await ds.commit(1);
              expect(changeKeys(changes)).toEqual(changeKeys(expected as DiffChange[]));
              expect(changeKeys(applied)).toEqual(changeKeys(expected as DiffChange[]));
            }
            expect(printed(ds.tree('running'))).toBe(printed(ref.running));
          } else {
            await ds.discardChanges(1);
            ref.discard();
          }
          expect(printed(ds.tree('candidate'))).toBe(printed(ref.candidate));
        }
        // The trees the datastore reads out are in canonical order, whatever order edits came in.
        // Every commit was diffed path by path: none fell back to comparing whole trees.
        expect(ds.pathDiffFailures).toBe(0);
        for (const name of ['candidate', 'running'] as const) {
          const tree = ds.tree(name);
          const sorted = tree.dup();
          sorted.sort();
          expect(tree.print()).toBe(sorted.print());
          sorted.free();
        }
      } finally {
        ref.free();
        ds.close();
      }
    }), { numRuns: Number(process.env.BMPD_PROPERTY_RUNS ?? 60) });
  });

  it('rejects an invalid neighbor and leaves candidate exactly as it was', async () => {
    const ds = await Datastores.open({ context: model.context, stateDir: null });
    await ds.editConfig('candidate', BASE, {}, 1);
    await ds.editConfig('candidate', bgp('<neighbor><address>127.1.0.1</address><remote-as>65001</remote-as><description>kept</description></neighbor>'), {}, 1);
    const before = ds.tree('candidate').print({ withDefaults: 'report-all-tagged' });
    // Second edit: a valid change to the first neighbor and a new one naming a server that does not exist.
    await expect(ds.editConfig('candidate', bgp(
      '<neighbor><address>127.1.0.1</address><description>changed</description></neighbor>'
      + '<neighbor><address>127.1.0.2</address><remote-as>65002</remote-as><bmp-activate><server>9</server></bmp-activate></neighbor>'), {}, 1))
      .rejects.toMatchObject({ errors: [expect.objectContaining({ tag: 'data-missing', appTag: 'instance-required', path: expect.stringContaining("neighbor[address='127.1.0.2']") })] });
    expect(ds.tree('candidate').print({ withDefaults: 'report-all-tagged' })).toBe(before);
    ds.close();
  });

  it('commits only what changed: reconcile gets the new neighbor, running equals candidate', async () => {
    const seen: RunningChange[] = [];
    const ds = await Datastores.open({ context: model.context, stateDir: null, apply: async (c) => { seen.push(c); } });
    await ds.editConfig('candidate', BASE, {}, 1);
    await ds.commit(1);
    await ds.editConfig('candidate', bgp('<neighbor><address>127.1.0.3</address><remote-as>65003</remote-as></neighbor>'), {}, 1);
    const changes = await ds.commit(1);
    expect(changes.filter((c) => !c.inherited && c.operation !== 'none')).toEqual([
      expect.objectContaining({ operation: 'create', path: "/bmpd:bgp/neighbor[address='127.1.0.3']", nodeType: 'list' }),
    ]);
    expect(seen.at(-1)?.cause).toBe('commit');
    expect(ds.tree('running').print()).toBe(ds.tree('candidate').print());
    ds.close();
  });
});

describe('edit-config on running', () => {
  it('changes running only once the change is applied; a refused change leaves both datastores as they were', async () => {
    let ds: Datastores | undefined;
    const seenDuringApply: string[] = [];
    let refuse = false;
    ds = await Datastores.open({
      context: model.context,
      stateDir: null,
      apply: async () => {
        // Another session reading running meanwhile still gets what is in force.
        seenDuringApply.push(ds!.tree('running').print());
        if (refuse) throw new Error('refused by the test');
      },
    });
    await ds.editConfig('running', BASE, {}, 1);
    const running = ds.tree('running').print();
    const candidate = ds.tree('candidate').print();
    const add = bgp('<neighbor><address>127.1.0.7</address><remote-as>65007</remote-as></neighbor>');
    refuse = true;
    await expect(ds.editConfig('running', add, {}, 1)).rejects.toBeInstanceOf(DatastoreError);
    expect(seenDuringApply.at(-1)).toBe(running);
    expect(ds.tree('running').print()).toBe(running);
    expect(ds.tree('candidate').print()).toBe(candidate);
    refuse = false;
    await ds.editConfig('running', add, {}, 1);
    expect(seenDuringApply.at(-1)).toBe(running);
    expect(ds.tree('running').print()).toContain('127.1.0.7');
    expect(ds.tree('candidate').print()).toBe(ds.tree('running').print());
    ds.close();
  });
});

describe('outermostPaths', () => {
  it('drops paths inside another one, keeping look-alike siblings', () => {
    expect(outermostPaths([
      "/m:a/n[k='1']/x",
      "/m:a/n[k='1']",
      "/m:a/n[k='10']",
      '/m:a/nb',
      "/m:a/p[k='10.0.0.0/8']/y",
      "/m:a/p[k='10.0.0.0/8']",
      "/m:a/n[k='1']",
    ]).sort()).toEqual(["/m:a/n[k='1']", "/m:a/n[k='10']", '/m:a/nb', "/m:a/p[k='10.0.0.0/8']"].sort());
  });
});
