// Issue 10 item 4: every confirm-timeout of the uint32 range is honoured. On
// the unchanged agent a value above 2,147,483 s overflowed Node's timer: the
// confirmed commit answered <ok/> and was rolled back within milliseconds, a
// change silently lost. Driven here through the datastores and the confirmed
// commit with a fake clock (vitest fake timers replace setTimeout and Date).
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Datastores } from '../../../src/datastore/datastores.js';
import { ConfirmedCommit, type ConfirmEvent } from '../../../src/netconf/confirmed-commit.js';
import { loadYangModel, type YangModel } from '../../../src/yang/model.js';

let model: YangModel;
beforeAll(async () => { model = await loadYangModel(); });
afterEach(() => { vi.useRealTimers(); });

const ACTOR = { id: 7, username: 'admin', sourceHost: '127.0.0.1' };
const asNumber = (ds: Datastores) => /<as-number>(\d+)<\/as-number>/.exec(ds.tree('running').print({ format: 'xml' }))?.[1];

async function confirmedChange(timeoutSeconds: number): Promise<{ ds: Datastores; cc: ConfirmedCommit; events: ConfirmEvent[] }> {
  const ds = await Datastores.open({ context: model.context, stateDir: null });
  const events: ConfirmEvent[] = [];
  const cc = new ConfirmedCommit({ datastores: ds, onEvent: (e) => events.push(e.event) });
  await ds.editConfig('candidate', '<bgp xmlns="urn:bmpd:yang:bmpd"><as-number>65000</as-number></bgp>', {}, ACTOR.id);
  await cc.commit(ACTOR, { confirmed: false, timeoutSeconds: 600, persist: null, persistId: null });
  await ds.editConfig('candidate', '<bgp xmlns="urn:bmpd:yang:bmpd"><as-number>65001</as-number></bgp>', {}, ACTOR.id);
  await cc.commit(ACTOR, { confirmed: true, timeoutSeconds, persist: 'p', persistId: null });
  return { ds, cc, events };
}

describe('confirm-timeout over its whole range', () => {
  for (const timeoutSeconds of [2_147_484, 4_294_967_295]) {
    it(`${timeoutSeconds} s: the change stays until the timeout, is rolled back at it`, async () => {
      vi.useFakeTimers();
      const { ds, cc, events } = await confirmedChange(timeoutSeconds);
      expect(asNumber(ds)).toBe('65001');
      // An overflowing setTimeout fires after 1 ms.
      await vi.advanceTimersByTimeAsync(1000);
      expect(asNumber(ds)).toBe('65001');
      // Up to a second before the timeout: still pending.
      await vi.advanceTimersByTimeAsync(timeoutSeconds * 1000 - 2000);
      expect(asNumber(ds)).toBe('65001');
      expect(cc.inProgress).toBe(true);
      await vi.advanceTimersByTimeAsync(2000);
      expect(cc.inProgress).toBe(false);
      expect(asNumber(ds)).toBe('65000');
      expect(events).toEqual(['start', 'timeout']);
      ds.close();
    });
  }

  it('4,294,967,295 s: a confirming commit keeps the change', async () => {
    vi.useFakeTimers();
    const { ds, cc, events } = await confirmedChange(4_294_967_295);
    await vi.advanceTimersByTimeAsync(2 ** 31 + 1000);
    await cc.commit(ACTOR, { confirmed: false, timeoutSeconds: 600, persist: null, persistId: 'p' });
    expect(events).toEqual(['start', 'complete']);
    await vi.advanceTimersByTimeAsync(2 ** 32 * 1000);
    expect(asNumber(ds)).toBe('65001');
    cc.close();
    ds.close();
  });
});
