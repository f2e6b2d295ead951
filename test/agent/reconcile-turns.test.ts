// The reconciler's full path over a large running (src/agent/reconciler.ts, steps.ts): running is
// read and indexed a slice per event-loop turn, not in one block (100,000 neighbors: about 0.7 s),
// and what it applies and keeps is what reading running at once gives. The index made in those
// turns takes the old one's place only once the change is applied: until then the reconciler's
// snapshots are those of the configuration the speaker and the engine still run.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Reconciler, type ReconcileTargets } from '../../src/agent/reconciler.js';
import { snapshotsFromRunning } from '../../src/agent/config-snapshot.js';
import { ENTRIES_PER_STEP } from '../../src/steps.js';
import type { SpeakerConfig } from '../../src/bgp/config.js';
import type { BmpEngineConfig } from '../../src/bmp/config.js';
import { Datastores } from '../../src/datastore/datastores.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';
const NEIGHBORS = 20_000;

let model: YangModel;
beforeAll(async () => {
  model = await loadYangModel();
});
afterAll(() => model.context.destroy());

describe('the full path over a large running', () => {
  it(`reads and indexes ${NEIGHBORS} neighbors a slice per turn, and keeps what a read at once gives`, async () => {
    const applied: { speaker: SpeakerConfig[]; engine: BmpEngineConfig[] } = { speaker: [], engine: [] };
    let reconciler: Reconciler;
    /** The neighbor count of reconciler.snapshots() at each event-loop turn while a reconcile runs. */
    const seen: number[] = [];
    const targets: ReconcileTargets = {
      // A turn of its own, as the data plane's channel takes: the ticks see the snapshots while it is applied.
      speaker: { applyConfig: async (next) => { applied.speaker.push(next); await new Promise((r) => setImmediate(r)); }, applyNeighborChanges: async () => {} },
      engine: { applyConfig: async (next) => { applied.engine.push(next); }, applyActivationChanges: async () => {} },
    };
    reconciler = new Reconciler(targets, pino({ level: 'silent' }));
    let reconciling = false;
    const ds = await Datastores.open({
      context: model.context,
      stateDir: null,
      apply: async (change) => {
        reconciling = true;
        let ticking = true;
        const tick = (): void => {
          if (!ticking) return;
          seen.push(reconciler.snapshots().speaker?.neighbors.length ?? 0);
          setImmediate(tick);
        };
        setImmediate(tick);
        try {
          await reconciler.reconcile(change);
        } finally {
          ticking = false;
          reconciling = false;
        }
      },
    });
    const entries: string[] = [];
    for (let i = 0; i < NEIGHBORS; i++) {
      entries.push(`<neighbor><address>127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}</address><remote-as>${64512 + (i % 1000)}</remote-as><shutdown/></neighbor>`);
    }
    await ds.editConfig('candidate', `<bgp xmlns="${NS}"><as-number>65000</as-number>${entries.join('')}</bgp>`, {}, 1);
    await ds.commit(1);
    expect(reconciling).toBe(false);
    expect(reconciler.lastPath).toBe('full');

    // Turns were given while it read and indexed: at least one per slice of entries.
    expect(seen.length).toBeGreaterThanOrEqual(Math.floor(NEIGHBORS / ENTRIES_PER_STEP));
    // Throughout them the snapshots were those of the configuration before (empty).
    expect(new Set(seen)).toEqual(new Set([0]));

    // What was applied and is kept: what reading running at once gives.
    const atOnce = snapshotsFromRunning(ds.tree('running'));
    expect(applied.speaker).toHaveLength(1);
    expect(applied.speaker[0]).toEqual(atOnce.speaker);
    expect(applied.engine[0]).toEqual(atOnce.bmp);
    expect(reconciler.snapshots()).toEqual(atOnce);
    expect(reconciler.snapshots().speaker!.neighbors).toHaveLength(NEIGHBORS);
    ds.close();
  }, 60_000);
});
