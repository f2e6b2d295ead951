// RFC 6241 §8.4 confirmed commit (src/netconf/confirmed-commit.ts) over real
// datastores, its time driven by a hand-advanced clock: confirm, timeout
// rollback, extend, cancel, session-end rollback, and confirm-timeouts beyond
// what one Node timer holds (issue 10: above 2,147,483 s an unchained
// setTimeout fired after 1 ms and rolled the change back at once).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Datastores } from '../../src/datastore/datastores.js';
import { DatastoreError } from '../../src/datastore/errors.js';
import { ManualClock } from '../../src/bmp/testing/manual-clock.js';
import {
  ConfirmedCommit, MAX_TIMEOUT_MS, type CommitActor, type CommitRequest, type ConfirmedCommitEvent,
} from '../../src/netconf/confirmed-commit.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

/**
 * A hand-advanced clock whose timers overflow as Node's do: a delay over 2^31-1 ms fires after 1 ms.
 * A timer re-armed without end (a chain that never gets closer) fails the test instead of hanging it.
 */
class NodeLikeClock extends ManualClock {
  private armed = 0;
  override setTimeout(fn: () => void, ms: number): unknown {
    if (++this.armed > 10_000) throw new Error('more than 10,000 timers armed: a runaway timer chain');
    return super.setTimeout(fn, ms > MAX_TIMEOUT_MS ? 1 : ms);
  }
}

const ALICE: CommitActor = { id: 7, username: 'alice', sourceHost: '127.0.0.1' };
const BOB: CommitActor = { id: 8, username: 'bob', sourceHost: '127.0.0.2' };
const SECOND = 1000;

let model: YangModel;
beforeAll(async () => { model = await loadYangModel(); });

interface Fixture {
  ds: Datastores;
  cc: ConfirmedCommit;
  clock: NodeLikeClock;
  events: ConfirmedCommitEvent[];
  rollbackErrors: unknown[];
}
const open: Fixture[] = [];
afterEach(() => {
  for (const f of open.splice(0)) { f.cc.close(); f.ds.close(); }
});

/** Datastores with running at AS 65000, and a ConfirmedCommit on a NodeLikeClock. */
async function fixture(): Promise<Fixture> {
  const ds = await Datastores.open({ context: model.context, stateDir: null });
  const clock = new NodeLikeClock();
  const events: ConfirmedCommitEvent[] = [];
  const rollbackErrors: unknown[] = [];
  const cc = new ConfirmedCommit({ datastores: ds, clock, onEvent: (e) => events.push(e), onRollbackError: (e) => rollbackErrors.push(e) });
  const f = { ds, cc, clock, events, rollbackErrors };
  open.push(f);
  await stage(f, 65000);
  await cc.commit(ALICE, plain());
  events.length = 0;
  return f;
}

async function stage(f: Fixture, asNumber: number): Promise<void> {
  await f.ds.editConfig('candidate', `<bgp xmlns="urn:bmpd:yang:bmpd"><as-number>${asNumber}</as-number></bgp>`, {}, ALICE.id);
}

function plain(persistId: string | null = null): CommitRequest {
  return { confirmed: false, timeoutSeconds: 600, persist: null, persistId };
}

function confirmed(timeoutSeconds: number, persist: string | null = null, persistId: string | null = null): CommitRequest {
  return { confirmed: true, timeoutSeconds, persist, persistId };
}

const running = (f: Fixture) => /<as-number>(\d+)<\/as-number>/.exec(f.ds.tree('running').print({ format: 'xml' }))?.[1];
const candidate = (f: Fixture) => /<as-number>(\d+)<\/as-number>/.exec(f.ds.tree('candidate').print({ format: 'xml' }))?.[1];
const eventNames = (f: Fixture) => f.events.map((e) => e.event);

/** Lets a rollback started by a timer finish (replaceRunning is asynchronous). */
async function advance(f: Fixture, ms: number): Promise<void> {
  f.clock.advance(ms);
  // A rollback replaces running in steps with a turn of the event loop between them (Datastores'
  // whole-tree path): a few turns, nothing timed.
  for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
}

async function refusal(action: Promise<unknown>): Promise<{ tag: string; message: string }> {
  const err = await action.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DatastoreError);
  const [first] = (err as DatastoreError).errors;
  return { tag: first!.tag, message: first!.message };
}

describe('confirmed commit (RFC 6241 §8.4)', () => {
  it('applies at once, and a confirming commit before the timeout keeps the change', async () => {
    const f = await fixture();
    await stage(f, 65001);
    await f.cc.commit(ALICE, confirmed(600));
    expect(running(f)).toBe('65001');
    expect(f.cc.inProgress).toBe(true);
    await advance(f, 599 * SECOND);
    await f.cc.commit(ALICE, plain());
    expect(f.cc.inProgress).toBe(false);
    await advance(f, 3600 * SECOND);
    expect(running(f)).toBe('65001');
    expect(f.events).toEqual([
      { event: 'start', actor: ALICE, timeoutSeconds: 600 },
      { event: 'complete', actor: ALICE, timeoutSeconds: null },
    ]);
  });

  it('rolls running (and an unmodified candidate) back when confirm-timeout passes, and not a millisecond before', async () => {
    const f = await fixture();
    await stage(f, 65001);
    await f.cc.commit(ALICE, confirmed(60));
    await advance(f, 60 * SECOND - 1);
    expect(running(f)).toBe('65001');
    expect(f.cc.inProgress).toBe(true);
    await advance(f, 1);
    expect(f.cc.inProgress).toBe(false);
    expect(running(f)).toBe('65000');
    expect(candidate(f)).toBe('65000');
    expect(f.events.at(-1)).toEqual({ event: 'timeout', actor: null, timeoutSeconds: null });
    expect(f.rollbackErrors).toEqual([]);
  });

  it('a second confirmed commit extends the timeout from now and keeps the first rollback point', async () => {
    const f = await fixture();
    await stage(f, 65001);
    await f.cc.commit(ALICE, confirmed(60));
    await advance(f, 50 * SECOND);
    await stage(f, 65002);
    await f.cc.commit(ALICE, confirmed(60));
    expect(running(f)).toBe('65002');
    await advance(f, 59 * SECOND);
    expect(f.cc.inProgress).toBe(true);
    await advance(f, SECOND);
    expect(running(f)).toBe('65000');
    expect(eventNames(f)).toEqual(['start', 'extend', 'timeout']);
    expect(f.events[1]!.timeoutSeconds).toBe(60);
  });

  for (const timeoutSeconds of [2_147_484, 4_294_967_295]) {
    it(`a confirm-timeout of ${timeoutSeconds} s (over 2^31 ms) holds until then: its timer is a chain`, async () => {
      const f = await fixture();
      await stage(f, 65001);
      await f.cc.commit(ALICE, confirmed(timeoutSeconds));
      await advance(f, SECOND);
      expect(running(f)).toBe('65001');
      // Each link of the chain fires and re-arms; the change stays until the last.
      for (let left = timeoutSeconds * SECOND - SECOND - 1; left > 0; left -= Math.min(left, MAX_TIMEOUT_MS)) {
        await advance(f, Math.min(left, MAX_TIMEOUT_MS));
      }
      expect(running(f)).toBe('65001');
      expect(f.cc.inProgress).toBe(true);
      await advance(f, 1);
      expect(running(f)).toBe('65000');
      expect(eventNames(f)).toEqual(['start', 'timeout']);
    });
  }

  it('a confirming commit after more than 2^31 ms of a 4,294,967,295 s timeout keeps the change for good', async () => {
    const f = await fixture();
    await stage(f, 65001);
    await f.cc.commit(ALICE, confirmed(4_294_967_295, 'p'));
    await advance(f, 2 ** 31 + 1000);
    await f.cc.commit(BOB, plain('p'));
    await advance(f, 2 ** 32 * SECOND);
    expect(running(f)).toBe('65001');
    expect(eventNames(f)).toEqual(['start', 'complete']);
  });

  it('cancel-commit rolls back at once; its timer is gone; with nothing pending it is refused', async () => {
    const f = await fixture();
    await stage(f, 65001);
    await f.cc.commit(ALICE, confirmed(60));
    await f.cc.cancel(ALICE, null);
    expect(running(f)).toBe('65000');
    expect(f.cc.inProgress).toBe(false);
    await advance(f, 3600 * SECOND);
    expect(f.events.map((e) => [e.event, e.actor?.id ?? null])).toEqual([['start', ALICE.id], ['cancel', ALICE.id]]);
    expect((await refusal(f.cc.cancel(ALICE, null))).tag).toBe('operation-failed');
  });

  it('only the owning session may confirm or cancel a commit without persist', async () => {
    const f = await fixture();
    await stage(f, 65001);
    await f.cc.commit(ALICE, confirmed(60));
    const byBob = await refusal(f.cc.commit(BOB, plain()));
    expect(byBob.tag).toBe('operation-failed');
    expect(byBob.message).toContain(`session ${ALICE.id}`);
    expect((await refusal(f.cc.cancel(BOB, null))).tag).toBe('operation-failed');
    expect(f.cc.inProgress).toBe(true);
    expect(running(f)).toBe('65001');
  });

  it('with persist, any session presenting the persist-id may confirm; a wrong or missing one is invalid-value', async () => {
    const f = await fixture();
    await stage(f, 65001);
    await f.cc.commit(ALICE, confirmed(60, 'token'));
    expect((await refusal(f.cc.commit(BOB, plain('other')))).tag).toBe('invalid-value');
    expect((await refusal(f.cc.commit(BOB, plain()))).tag).toBe('invalid-value');
    await f.cc.commit(BOB, plain('token'));
    expect(f.cc.inProgress).toBe(false);
    expect(running(f)).toBe('65001');
    expect(f.events.at(-1)).toEqual({ event: 'complete', actor: BOB, timeoutSeconds: null });
  });

  it('a persist-id with no confirmed commit pending is refused', async () => {
    const f = await fixture();
    expect((await refusal(f.cc.commit(ALICE, plain('token')))).tag).toBe('invalid-value');
  });

  it('the end of the owning session rolls back; another session\'s end does not', async () => {
    const f = await fixture();
    await stage(f, 65001);
    await f.cc.commit(ALICE, confirmed(600));
    await f.cc.sessionEnded(BOB.id);
    expect(running(f)).toBe('65001');
    await f.cc.sessionEnded(ALICE.id);
    expect(running(f)).toBe('65000');
    expect(f.cc.inProgress).toBe(false);
    expect(f.events.at(-1)).toEqual({ event: 'cancel', actor: null, timeoutSeconds: null });
  });

  it('a persistent confirmed commit outlives its session and still times out', async () => {
    const f = await fixture();
    await stage(f, 65001);
    await f.cc.commit(ALICE, confirmed(60, 'token'));
    await f.cc.sessionEnded(ALICE.id);
    expect(running(f)).toBe('65001');
    await advance(f, 60 * SECOND);
    expect(running(f)).toBe('65000');
    expect(eventNames(f)).toEqual(['start', 'timeout']);
  });

  it('close() stops the timer and leaves running as it is', async () => {
    const f = await fixture();
    await stage(f, 65001);
    await f.cc.commit(ALICE, confirmed(60));
    f.cc.close();
    await advance(f, 3600 * SECOND);
    expect(running(f)).toBe('65001');
    expect(eventNames(f)).toEqual(['start']);
  });
});
