// The datastore's apply hook: a change of running → the speaker and the BMP engine.
//
// Two paths, one result. The full path reads all of running (snapshotsFromRunning), checks every
// neighbor for conflicts and hands both components their whole new snapshot; each diffs it
// against its own. The neighbor path serves the common commit, one that adds, changes or removes
// neighbor entries and nothing else: it reads only those entries (a select of each, never a
// print of running), checks only the conflict groups they join and hands over only those
// neighbors, so its cost is that of the change, not of the configuration (issues 2 and 3).
//
// Which path a change takes (classify), conservatively — anything not named here is full:
//   - the cause is 'commit' or 'edit-config' (startup, copy-config and rollback replace running
//     wholesale and are read in full), and running had a /bgp container before;
//   - every entry of the diff lies inside a neighbor list entry, global
//     (/bmpd:bgp/neighbor[address=A]) or VRF (/bmpd:bgp/vrf[name=V]/address-family[afi=F]/
//     neighbor[address=A]), the entry itself or anything below it. Exception: 'none' entries of
//     containers, lists and list keys are the diff's ancestors of a real change (libyang lists
//     them as context), never changes themselves, and are skipped;
//   - each touched entry reads back against the known rest of running (its VRF is not new);
//   - the host facts the last full read used have not moved: every update-source interface
//     still has the address it had, a derived router-id would still be the same. (The full path
//     takes those up again on every commit; the neighbor path must not silently skip them.)
// The result, snapshots and refusals included, is the full path's for the same tree; only the
// log differs: problems and warnings are logged for the neighbors the change touched.
import type { Logger } from 'pino';
import type { DiffChange } from 'libyang-wasm';
import type { NeighborChanges, SpeakerConfig } from '../bgp/config.js';
import type { ActivationChanges, BmpEngineConfig, BmpServerConfig } from '../bmp/config.js';
import type { RunningChange } from '../datastore/datastores.js';
import { DatastoreError, detail } from '../datastore/errors.js';
import {
  NO_BGP_SNAPSHOTS,
  NO_BGP_VIEW,
  neighborPath,
  readNeighborEntry,
  readRunningSteps,
  type BmpdRunningView,
  type ConfigEnvironment,
  type NeighborEntrySnapshot,
  type NeighborLocation,
  type RunningSnapshots,
} from './config-snapshot.js';
import { neighborConflicts, type NeighborConflicts } from './neighbor-conflicts.js';
import { RunningIndex } from './running-index.js';
import { runStepsInTurns } from '../steps.js';
import { parseYangJsonParts } from './yang-json.js';

/** The speaker's configuration while there is no `bgp` container: no listener, no neighbor. */
export const IDLE_SPEAKER: SpeakerConfig = {
  asNumber: 0, routerId: '0.0.0.0', listen: { addresses: [], port: 179 }, neighbors: [],
};

/** What the reconciler drives: the BGP speaker and the BMP engine (src/bgp/speaker.ts, src/bmp/engine.ts). */
export interface ReconcileTargets {
  readonly speaker: {
    applyConfig(next: SpeakerConfig): Promise<void>;
    applyNeighborChanges(changes: NeighborChanges): Promise<void>;
  };
  readonly engine: {
    applyConfig(next: BmpEngineConfig): Promise<void>;
    applyActivationChanges(changes: ActivationChanges): Promise<void>;
  };
}

/** How a change was applied: read in full, or entry by entry for the neighbors it touched. */
export type ReconcilePath = 'full' | 'neighbors';

/** Which path a change takes; for the neighbor path, the entries it touches (by data path). */
export type Classification =
  | { readonly path: 'neighbors'; readonly entries: ReadonlyMap<string, NeighborLocation> }
  | { readonly path: 'full'; readonly reason: string };

const ADDRESS = "'([0-9A-Fa-f.:]+)'";
const GLOBAL_NEIGHBOR = new RegExp(`^/bmpd:bgp/neighbor\\[address=${ADDRESS}\\](?:/|$)`);
const VRF_NEIGHBOR = new RegExp(
  `^/bmpd:bgp/vrf\\[name='([A-Za-z0-9][A-Za-z0-9_.-]*)'\\]/address-family\\[afi='(ipv4|ipv6)'\\]/neighbor\\[address=${ADDRESS}\\](?:/|$)`,
);
/** The key leaf of the list entry its path ends in, e.g. /bmpd:bgp/vrf[name='red']/name. */
const LIST_KEY = /\[([a-z][a-z0-9-]*)='[^']*'\]\/([a-z][a-z0-9-]*)$/;

function neighborLocation(path: string): NeighborLocation | null {
  const global = GLOBAL_NEIGHBOR.exec(path);
  if (global) return { kind: 'global', address: global[1]! };
  const vrf = VRF_NEIGHBOR.exec(path);
  if (vrf) return { kind: 'vrf', vrf: vrf[1]!, afi: vrf[2] as 'ipv4' | 'ipv6', address: vrf[3]! };
  return null;
}

/** A 'none' entry that only gives a real change its place: an ancestor container or list entry, or a list key. */
function isAncestorContext(change: DiffChange): boolean {
  if (change.operation !== 'none') return false;
  if (change.nodeType === 'container' || change.nodeType === 'list') return true;
  const key = LIST_KEY.exec(change.path);
  return change.nodeType === 'leaf' && key !== null && key[1] === key[2];
}

/** See the file comment: the neighbor path only for a change inside neighbor entries, and only then. */
export function classify(change: Pick<RunningChange, 'cause' | 'changes'>, hadBgp: boolean): Classification {
  if (change.cause !== 'commit' && change.cause !== 'edit-config') return { path: 'full', reason: `cause ${change.cause}` };
  if (!hadBgp) return { path: 'full', reason: 'no bgp container before' };
  const entries = new Map<string, NeighborLocation>();
  for (const c of change.changes) {
    if (isAncestorContext(c)) continue;
    const location = neighborLocation(c.path);
    if (location === null) return { path: 'full', reason: `${c.operation} ${c.path}` };
    const path = neighborPath(location);
    if (!entries.has(path)) entries.set(path, location);
  }
  if (entries.size === 0) return { path: 'full', reason: 'no neighbor entry changed' };
  return { path: 'neighbors', entries };
}

export interface ReconcilerOptions {
  /** Host facts (interfaces, addresses); tests inject them. */
  readonly env?: ConfigEnvironment;
  /** False: every change is read in full (the benchmark's baseline). Default true. */
  readonly neighborPath?: boolean;
}

export class Reconciler {
  /** Running as last applied; null while there is no /bgp container (the speaker idles). */
  private index: RunningIndex | null = null;
  private taken: ReconcilePath | null = null;

  private readonly env: ConfigEnvironment;
  private readonly neighborPath: boolean;

  constructor(
    private readonly targets: ReconcileTargets,
    private readonly log: Logger,
    options: ReconcilerOptions = {},
  ) {
    this.env = options.env ?? {};
    this.neighborPath = options.neighborPath ?? true;
  }

  /** The snapshots the speaker and the engine run now, as snapshotsFromRunning gives them. O(n log n). */
  snapshots(): RunningSnapshots {
    return this.index?.snapshots() ?? NO_BGP_SNAPSHOTS;
  }

  /** The view of running as last applied (RunningIndex.view), which equals runningView of that running. */
  view(): BmpdRunningView {
    return this.index?.view() ?? NO_BGP_VIEW;
  }

  /** The path the last change took, applied or refused; null before the first. */
  get lastPath(): ReconcilePath | null {
    return this.taken;
  }

  /** The BMP servers of running as applied (for notifications). */
  get servers(): readonly BmpServerConfig[] {
    return this.index?.servers ?? [];
  }

  /**
   * Applies a change of running; throws a DatastoreError (operation-failed) to refuse it, the
   * speaker and the engine then running what they ran before.
   */
  async reconcile(change: RunningChange): Promise<ReconcilePath> {
    const route = this.neighborPath ? classify(change, this.index !== null) : { path: 'full' as const, reason: 'neighbor path off' };
    if (route.path === 'neighbors') {
      this.taken = 'neighbors';
      const fallback = await this.reconcileNeighbors(change, route.entries);
      if (fallback === null) return 'neighbors';
      this.log.debug({ cause: change.cause, reason: fallback }, 'neighbor change read in full');
    } else {
      this.log.debug({ cause: change.cause, reason: route.reason }, 'change read in full');
    }
    this.taken = 'full';
    await this.reconcileFull(change);
    return 'full';
  }

  private async reconcileFull(change: RunningChange): Promise<void> {
    // A large write's chunks, when running holds exactly them: read a few per turn, not printed whole.
    const parsed = change.afterChunks !== undefined ? await parseYangJsonParts(change.afterChunks) : undefined;
    // Read and indexed a slice per turn (steps.ts); the index is made before the change is applied
    // and takes the old one's place right after, so nothing reads an index of another configuration.
    const read = await runStepsInTurns(readRunningSteps(change.after, this.env, parsed));
    const nextIndex = read === null ? null : await runStepsInTurns(RunningIndex.fromReadSteps(read));
    const next = read?.snapshots ?? NO_BGP_SNAPSHOTS;
    for (const p of next.problems) this.log.warn({ path: p.path }, p.message);
    const speakerNext = next.speaker ?? IDLE_SPEAKER;
    this.check(neighborConflicts(speakerNext));
    await this.apply(change, async () => {
      await this.targets.speaker.applyConfig(speakerNext);
      await this.targets.engine.applyConfig(next.bmp);
    }, async () => {
      const before = this.snapshots();
      await this.targets.speaker.applyConfig(before.speaker ?? IDLE_SPEAKER);
      await this.targets.engine.applyConfig(before.bmp);
    });
    this.index = nextIndex;
    this.log.info({ cause: change.cause, changes: change.changes.length, neighbors: speakerNext.neighbors.length, servers: next.bmp.servers.length },
      'configuration applied');
  }

  /** The neighbor path; returns why the full path must be taken instead, before anything is touched, or null when done. */
  private async reconcileNeighbors(change: RunningChange, locations: ReadonlyMap<string, NeighborLocation>): Promise<string | null> {
    const index = this.index!;
    const moved = index.environmentMoved(this.env);
    if (moved !== null) return moved;
    const reads = new Map<string, NeighborEntrySnapshot | null>();
    for (const [path, location] of locations) {
      const read = readNeighborEntry(change.after, location, index.base, this.env);
      if (read.kind === 'unreadable') return read.reason;
      reads.set(path, read.kind === 'entry' ? read.entry : null);
    }
    const planned = index.plan(reads);
    if (planned.kind === 'full') return planned.reason;
    const plan = planned.plan;
    for (const p of plan.problems) this.log.warn({ path: p.path }, p.message);
    this.check(plan.conflicts);
    await this.apply(change, async () => {
      await this.targets.speaker.applyNeighborChanges(plan.speaker);
      await this.targets.engine.applyActivationChanges(plan.engine);
    }, async () => {
      await this.targets.speaker.applyNeighborChanges(plan.undo.speaker);
      await this.targets.engine.applyActivationChanges(plan.undo.engine);
    });
    index.commit(plan);
    this.log.info({ cause: change.cause, changes: change.changes.length, neighbors: index.neighborCount, servers: index.servers.length, entries: reads.size },
      'configuration applied (neighbors only)');
    return null;
  }

  private check(conflicts: NeighborConflicts): void {
    if (conflicts.refuse !== null) {
      throw new DatastoreError(detail('operation-failed', conflicts.refuse.message, { path: conflicts.refuse.path, appTag: 'ambiguous-neighbor' }));
    }
    for (const w of conflicts.warnings) this.log.warn(w);
  }

  /** Either both components take the change, or both go back to what they ran and the commit fails. */
  private async apply(change: RunningChange, forward: () => Promise<void>, back: () => Promise<void>): Promise<void> {
    try {
      await forward();
    } catch (err) {
      this.log.error({ err, cause: change.cause }, 'configuration could not be applied; restoring the previous one');
      try {
        await back();
      } catch (restoreErr) {
        this.log.error({ err: restoreErr }, 'restoring the previous configuration failed');
      }
      throw new DatastoreError(detail('operation-failed', `the configuration could not be applied: ${(err as Error).message}`));
    }
  }
}
