// A large edit, its commit, copy-config and validate let the event loop run between their libyang
// steps (issue 10: the main thread is held for the longest step, not their sum). What may run at
// those turns is tested here: reads see each datastore whole, a lock taken meanwhile fails the write
// as if it had come first, one taken and released lets it through as if it had come after,
// discard-changes and the confirmed-commit rollback wait for the write, and a session's end frees its
// locks at once and discards its candidate changes once the write in flight is done.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Datastores, type DatastoreName, type RunningChange } from '../../src/datastore/datastores.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';
/** Over a MiB of text: a large edit. */
const NEIGHBORS = 8_000;
const neighbors = (first: number, count: number, description: string): string => {
  const entries: string[] = [];
  for (let i = first; i < first + count; i++) {
    entries.push(`<neighbor><address>127.1.${i >> 8}.${i & 255}</address><remote-as>${64512 + (i % 100)}</remote-as><description>${description} ${i}</description></neighbor>`);
  }
  return entries.join('');
};
const LARGE = `<bgp xmlns="${NS}"><as-number>65000</as-number>${neighbors(0, NEIGHBORS, 'provisioned in bulk, with a long description')}</bgp>`;
const SMALL = `<bgp xmlns="${NS}"><as-number>65000</as-number>${neighbors(0, 2, 'small')}</bgp>`;
const NAMES = ['running', 'candidate', 'startup'] as const;

let model: YangModel;
beforeAll(async () => { model = await loadYangModel(); });
afterAll(() => model.context.destroy());

async function open(applied: RunningChange[] = []): Promise<Datastores> {
  return Datastores.open({ context: model.context, stateDir: null, apply: async (change) => { applied.push(change); } });
}

const printed = (ds: Datastores): string[] => NAMES.map((name) => ds.tree(name).print({ format: 'xml', withDefaults: 'explicit' }));

/**
 * Starts an operation and runs `atTurn(turn)` at each turn of the event loop it gives others until it
 * settles (the first turn is 1); resolves to the turns counted and how the operation settled.
 */
async function interleaved<T>(start: () => Promise<T>, atTurn: (turn: number) => void = () => {}): Promise<{ turns: number; result: PromiseSettledResult<T> }> {
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
  // Queued before the operation's first step schedules its own turn: each of ours comes between two of its steps.
  let turn = nextTurn();
  let settled: PromiseSettledResult<T> | undefined;
  const done = start().then((value) => { settled = { status: 'fulfilled', value }; }, (reason: unknown) => { settled = { status: 'rejected', reason }; });
  let turns = 0;
  for (;;) {
    await turn;
    if (settled !== undefined) break;
    atTurn(++turns);
    turn = nextTurn();
  }
  await done;
  return { turns, result: settled };
}

const rejectedWith = (tag: string) => ({ status: 'rejected', reason: expect.objectContaining({ errors: [expect.objectContaining({ tag })] }) });

describe('whole-tree writes let the event loop run between their steps', () => {
  it('a large edit and its commit take several turns, and every read at every turn sees each datastore whole', async () => {
    const ds = await open();
    // What an evaluation worker's copy reads at each turn (Datastores.version, print, changedSince).
    const seen = new Map<string, Set<string>>();
    const read = () => {
      for (const name of NAMES) {
        const key = `${name}@${ds.version(name)}`;
        if (!seen.has(key)) seen.set(key, new Set());
        seen.get(key)!.add(ds.print(name));
        expect(ds.changedSince(name, ds.version(name))).toEqual([]);
      }
    };
    read();
    const before = NAMES.map((name) => ds.print(name));
    const edit = await interleaved(() => ds.editConfig('candidate', LARGE, {}, 1), read);
    expect(edit.result.status).toBe('fulfilled');
    // Parse, copy, edit, validate: a turn between each.
    expect(edit.turns).toBeGreaterThanOrEqual(3);
    const commit = await interleaved(() => ds.commit(1), read);
    expect(commit.result.status).toBe('fulfilled');
    // Diff, change list, apply.
    expect(commit.turns).toBeGreaterThanOrEqual(2);
    read();
    const after = NAMES.map((name) => ds.print(name));
    expect(after[0]!.match(/<neighbor>/g)).toHaveLength(NEIGHBORS);
    // One print per version, and each either what the datastore held before or what it holds after.
    for (const [key, prints] of seen) {
      expect(prints.size, key).toBe(1);
      const at = NAMES.indexOf(key.split('@')[0] as DatastoreName);
      expect([before[at], after[at]], key).toContain([...prints][0]);
    }
    ds.close();
  });

  it('validate and copy-config take turns too', async () => {
    const ds = await open();
    const validated = await interleaved(() => ds.validate({ config: LARGE }));
    expect(validated.result.status).toBe('fulfilled');
    expect(validated.turns).toBeGreaterThanOrEqual(1);
    const copied = await interleaved(() => ds.copyConfig('candidate', { config: LARGE }, 1));
    expect(copied.result.status).toBe('fulfilled');
    expect(copied.turns).toBeGreaterThanOrEqual(2);
    ds.close();
  });

  it.each([
    ['candidate', 'edit-config'],
    ['running', 'edit-config'],
    ['running', 'commit'],
    // A commit of recorded changes (path by path) takes turns too.
    ['running', 'commit of a small edit'],
    ['running', 'copy-config'],
  ] as const)('a lock of %s taken by another session at a turn of %s fails it as if the lock had come first', async (locked, operation) => {
    // At the first turn, and at the last (the write's count of turns is known from the first run).
    let last = 0;
    for (const turn of [1, 'last'] as const) {
      const applied: RunningChange[] = [];
      const ds = await open(applied);
      if (operation === 'commit') await ds.editConfig('candidate', LARGE, {}, 1);
      if (operation === 'commit of a small edit') await ds.editConfig('candidate', SMALL, {}, 1);
      const before = printed(ds);
      const write = (): Promise<unknown> => operation === 'edit-config' ? ds.editConfig(locked, LARGE, {}, 1)
        : operation.startsWith('commit') ? ds.commit(1)
          : ds.copyConfig('running', { config: LARGE }, 1);
      const at = turn === 'last' ? last : turn;
      const { turns, result } = await interleaved(write, (now) => { if (now === at) ds.lock(locked, 2); });
      if (turn === 1) last = turns;
      expect(turns, `lock at turn ${at}`).toBeGreaterThanOrEqual(2);
      expect(result, `lock at turn ${at} of ${turns}`).toMatchObject(rejectedWith('in-use'));
      expect(printed(ds), `lock at turn ${at}`).toEqual(before);
      expect(applied).toHaveLength(0);
      expect(ds.lockOwner(locked)).toBe(2);
      ds.close();
    }
  });

  it('a lock taken and released at turns lets the edit through, as if it had come after', async () => {
    const ds = await open();
    const { result } = await interleaved(() => ds.editConfig('candidate', LARGE, {}, 1), (turn) => {
      if (turn === 1) ds.lock('candidate', 2);
      if (turn === 2) ds.unlock('candidate', 2);
    });
    expect(result.status).toBe('fulfilled');
    expect(ds.candidateModified).toBe(true);
    expect(ds.print('candidate').match(/<neighbor>/g)).toHaveLength(NEIGHBORS);
    ds.close();
  });

  it('discard-changes and the confirmed-commit rollback wait for the write in flight', async () => {
    const ds = await open();
    const order: string[] = [];
    let discard: Promise<void> | undefined;
    const edit = await interleaved(() => ds.editConfig('candidate', LARGE, {}, 1).then(() => { order.push('edit'); }), (turn) => {
      if (turn === 1) discard = ds.discardChanges(1).then(() => { order.push('discard'); });
    });
    await discard;
    expect(edit.result.status).toBe('fulfilled');
    expect(order).toEqual(['edit', 'discard']);
    expect(ds.candidateModified).toBe(false);
    expect(ds.print('candidate')).toBe(ds.print('running'));

    // A rollback to an empty running, asked for during an edit of running, comes after it.
    let rollback: Promise<unknown> | undefined;
    await interleaved(() => ds.editConfig('running', LARGE, {}, 1), (turn) => {
      if (turn === 1) rollback = ds.replaceRunning(model.context.emptyTree(), 'rollback', 0);
    });
    await rollback;
    expect(ds.print('running')).not.toContain('<neighbor>');
    expect(ds.print('candidate')).toBe(ds.print('running'));
    ds.close();
  });

  it("a session's end frees its locks at once and discards its candidate changes after the write in flight", async () => {
    const ds = await open();
    ds.lock('candidate', 1);
    await ds.editConfig('candidate', SMALL, {}, 1);
    expect(ds.candidateModified).toBe(true);
    let relockedBy2 = false;
    const { result } = await interleaved(() => ds.editConfig('candidate', LARGE, {}, 1), (turn) => {
      if (turn === 1) expect(ds.releaseSession(1)).toEqual(['candidate']);
      // The lock is free, and candidate counts as unmodified: its discard is due.
      if (turn === 2) { ds.lock('candidate', 2); relockedBy2 = true; }
    });
    expect(relockedBy2).toBe(true);
    // Session 2's lock came before the edit's commit point.
    expect(result).toMatchObject(rejectedWith('in-use'));
    expect(ds.candidateModified).toBe(false);
    expect(ds.print('candidate')).toBe(ds.print('running'));
    expect(ds.lockOwner('candidate')).toBe(2);

    // Its own edit in flight when it ends lands and is discarded with the rest.
    ds.unlock('candidate', 2);
    ds.lock('candidate', 3);
    await ds.editConfig('candidate', SMALL, {}, 3);
    const landed = await interleaved(() => ds.editConfig('candidate', LARGE, {}, 3), (turn) => {
      if (turn === 1) ds.releaseSession(3);
    });
    expect(landed.result.status).toBe('fulfilled');
    expect(ds.candidateModified).toBe(false);
    expect(ds.print('candidate')).toBe(ds.print('running'));
    ds.close();
  });
});
