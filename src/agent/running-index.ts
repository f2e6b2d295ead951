// The running configuration as the agent last applied it, indexed by neighbor: the base (every
// part of /bgp but the neighbor entries), each neighbor entry by data path, the merged neighbor by
// key, and the groups neighbor conflicts are checked in. A commit that adds, changes or removes a
// few neighbor entries becomes a plan over just those keys (plan), which the agent applies to
// the speaker and the engine and then folds in (commit). Nothing here walks every neighbor except
// building the index from a full read, and snapshots() and view(), which copy the entries out in
// the order kept here (a change moves only its own entries in it).
import type { NeighborChanges, NeighborConfig, NeighborKey } from '../bgp/config.js';
import type { ActivationChanges, BmpServerConfig, NeighborActivation } from '../bmp/config.js';
import {
  compareNeighborEntries,
  derivedRouterId,
  mergeNeighborEntries,
  snapshotsOf,
  type ConfigEnvironment,
  type ConfigProblem,
  type InterfaceUse,
  type MergedNeighbor,
  type NeighborEntrySnapshot,
  type RunningBase,
  type RunningRead,
  type RunningSnapshots,
  type BmpdRunningView,
} from './config-snapshot.js';
import { conflictGroup, conflictsAmong, type NeighborConflicts } from './neighbor-conflicts.js';
import { ENTRIES_PER_STEP, runSteps, type Steps } from '../steps.js';
import { interfaceAddress } from '../net/interfaces.js';

/** What a change of some neighbor entries does, worked out before anything is touched. */
export interface NeighborPlan {
  /** Entry path → the entry as it is now, or null when it went away. */
  readonly entries: ReadonlyMap<string, NeighborEntrySnapshot | null>;
  /** Each affected neighbor key → its entries and merged neighbor after the change. */
  readonly keys: ReadonlyMap<NeighborKey, { readonly entries: readonly NeighborEntrySnapshot[]; readonly merged: MergedNeighbor }>;
  readonly speaker: NeighborChanges;
  readonly engine: ActivationChanges;
  /** What puts the speaker and the engine back where they were, should applying fail. */
  readonly undo: { readonly speaker: NeighborChanges; readonly engine: ActivationChanges };
  readonly conflicts: NeighborConflicts;
  /** The problems of the affected neighbors (the full path logs those of every neighbor). */
  readonly problems: readonly ConfigProblem[];
}

/** A plan, or why the change has to take the full path after all. */
export type PlanResult = { readonly kind: 'plan'; readonly plan: NeighborPlan } | { readonly kind: 'full'; readonly reason: string };

const EMPTY_MERGED: MergedNeighbor = { neighbor: null, activation: null, problems: [] };

function interfaceKey(use: InterfaceUse): string {
  return `${use.name}/${use.family}`;
}

export class RunningIndex {
  private readonly entries = new Map<string, NeighborEntrySnapshot>();
  /** The same entries in snapshot order (compareNeighborEntries), kept by binary search per change. */
  private readonly ordered: NeighborEntrySnapshot[] = [];
  /** A key's entries in snapshot order: one, or two for a VRF address under both afis. */
  private readonly byKey = new Map<NeighborKey, NeighborEntrySnapshot[]>();
  private readonly merged = new Map<NeighborKey, MergedNeighbor>();
  /** conflictGroup() → the keys of the neighbors in it. */
  private readonly groups = new Map<string, Set<NeighborKey>>();
  /** Interface names an update-source resolved, with how many entries and servers use each. */
  private readonly interfaces = new Map<string, { readonly use: InterfaceUse; count: number }>();

  private constructor(readonly base: RunningBase) {
    for (const use of base.serverInterfaces) this.countInterface(use, 1);
  }

  static fromRead(read: RunningRead): RunningIndex {
    return runSteps(RunningIndex.fromReadSteps(read));
  }

  /** fromRead, yielding every ENTRIES_PER_STEP entries (see steps.ts). */
  static *fromReadSteps(read: RunningRead): Steps<RunningIndex> {
    const index = new RunningIndex(read.base);
    let handled = 0;
    for (const entry of read.entries) {
      if (++handled % ENTRIES_PER_STEP === 0) yield;
      index.entries.set(entry.path, entry);
      index.ordered.push(entry); // read.entries are in snapshot order
      const list = index.byKey.get(entry.key);
      if (list === undefined) index.byKey.set(entry.key, [entry]);
      else list.push(entry); // read.entries are in snapshot order already
      if (entry.interfaceUse !== null) index.countInterface(entry.interfaceUse, 1);
    }
    for (const [key, entries] of index.byKey) {
      if (++handled % ENTRIES_PER_STEP === 0) yield;
      index.setMerged(key, mergeNeighborEntries(entries));
    }
    return index;
  }

  get neighborCount(): number {
    return this.merged.size;
  }

  get servers(): readonly BmpServerConfig[] {
    return this.base.servers;
  }

  /** The full snapshots, as snapshotsFromRunning gives them for the same running tree. O(n). */
  snapshots(): RunningSnapshots {
    return snapshotsOf(this.base, this.ordered);
  }

  /**
   * The view of running oper state is attached to, as runningView gives it for the same running
   * tree: every entry is there as written, whether or not it could be applied (no remote-as, an
   * update-source without an address). O(n) copies, no print.
   */
  view(): BmpdRunningView {
    return {
      bgp: true,
      bufferSizeConfigured: this.base.bufferSizeConfigured,
      servers: this.base.servers.map((s) => s.id),
      neighbors: this.ordered.map((e) => ({ key: e.key, address: e.address, placement: e.placement })),
    };
  }

  /**
   * The host facts the base was read with, looked at again: an update-source interface whose
   * address changed, or a derived router-id that would now differ, is something only a full
   * read applies (as every full read does). Null when nothing moved.
   */
  environmentMoved(env: ConfigEnvironment): string | null {
    const resolve = env.interfaceAddress ?? interfaceAddress;
    for (const { use } of this.interfaces.values()) {
      if (resolve(use.name, use.family) !== use.address) return `interface ${use.name} has another IPv${use.family} address now`;
    }
    if (!this.base.routerIdConfigured && derivedRouterId(env).routerId !== this.base.routerId) return 'the derived router-id changed';
    return null;
  }

  /** `reads`: entry path → the entry as the new running tree has it, null when it is gone. */
  plan(reads: ReadonlyMap<string, NeighborEntrySnapshot | null>): PlanResult {
    const affected = new Map<NeighborKey, NeighborEntrySnapshot[]>();
    const entryOf = (key: NeighborKey): NeighborEntrySnapshot[] => {
      let list = affected.get(key);
      if (list === undefined) {
        list = [...(this.byKey.get(key) ?? [])];
        affected.set(key, list);
      }
      return list;
    };
    for (const [path, next] of reads) {
      const previous = this.entries.get(path);
      if (previous !== undefined) {
        const list = entryOf(previous.key);
        list.splice(list.indexOf(previous), 1);
      }
      if (next === null) continue;
      const use = next.interfaceUse;
      const known = use === null ? undefined : this.interfaces.get(interfaceKey(use));
      if (use !== null && known !== undefined && known.use.address !== use.address) {
        return { kind: 'full', reason: `interface ${use.name} has another IPv${use.family} address now` };
      }
      entryOf(next.key).push(next);
    }

    const keys = new Map<NeighborKey, { entries: NeighborEntrySnapshot[]; merged: MergedNeighbor }>();
    const order = new Map<NeighborKey, NeighborEntrySnapshot>();
    for (const [key, list] of affected) {
      list.sort(compareNeighborEntries);
      keys.set(key, { entries: list, merged: list.length > 0 ? mergeNeighborEntries(list) : EMPTY_MERGED });
      order.set(key, list[0] ?? this.byKey.get(key)![0]!);
    }
    const ordered = [...keys.keys()].sort((a, b) => compareNeighborEntries(order.get(a)!, order.get(b)!));

    const speaker = { upserts: [] as NeighborConfig[], removals: [] as NeighborKey[] };
    const engine = { upserts: [] as NeighborActivation[], removals: [] as NeighborKey[] };
    const undoSpeaker = { upserts: [] as NeighborConfig[], removals: [] as NeighborKey[] };
    const undoEngine = { upserts: [] as NeighborActivation[], removals: [] as NeighborKey[] };
    const problems: ConfigProblem[] = [];
    for (const key of ordered) {
      const next = keys.get(key)!.merged;
      const previous = this.merged.get(key) ?? EMPTY_MERGED;
      problems.push(...next.problems);
      if (next.neighbor !== null) speaker.upserts.push(next.neighbor);
      else if (previous.neighbor !== null) speaker.removals.push(key);
      if (next.activation !== null) engine.upserts.push(next.activation);
      else if (previous.activation !== null) engine.removals.push(key);
      if (previous.neighbor !== null) undoSpeaker.upserts.push(previous.neighbor);
      else if (next.neighbor !== null) undoSpeaker.removals.push(key);
      if (previous.activation !== null) undoEngine.upserts.push(previous.activation);
      else if (next.activation !== null) undoEngine.removals.push(key);
    }

    return {
      kind: 'plan',
      plan: {
        entries: reads,
        keys,
        speaker,
        engine,
        undo: { speaker: undoSpeaker, engine: undoEngine },
        conflicts: this.conflicts(keys, order),
        problems,
      },
    };
  }

  /** The plan has been applied: the index now describes the new running tree. */
  commit(plan: NeighborPlan): void {
    for (const [path, next] of plan.entries) {
      const previous = this.entries.get(path);
      if (previous !== undefined) {
        if (previous.interfaceUse) this.countInterface(previous.interfaceUse, -1);
        this.ordered.splice(this.position(previous), 1);
      }
      if (next === null) {
        this.entries.delete(path);
        continue;
      }
      this.entries.set(path, next);
      this.ordered.splice(this.position(next), 0, next);
      if (next.interfaceUse !== null) this.countInterface(next.interfaceUse, 1);
    }
    for (const [key, { entries, merged }] of plan.keys) {
      const previous = this.merged.get(key);
      if (previous?.neighbor) {
        const group = conflictGroup(previous.neighbor);
        const members = this.groups.get(group);
        members?.delete(key);
        if (members?.size === 0) this.groups.delete(group);
      }
      if (entries.length === 0) {
        this.byKey.delete(key);
        this.merged.delete(key);
        continue;
      }
      this.byKey.set(key, [...entries]);
      this.setMerged(key, merged);
    }
  }

  /**
   * The neighbor-conflicts check (src/agent/neighbor-conflicts.ts) over the groups the affected
   * neighbors join. A group no affected neighbor joins is as it was when it was last checked, and
   * leaving a group never makes one ambiguous. Each group is checked in snapshot order and the
   * refusal of the earliest neighbor is the one given, as the check over all neighbors gives it.
   */
  private conflicts(
    keys: ReadonlyMap<NeighborKey, { readonly merged: MergedNeighbor }>,
    order: ReadonlyMap<NeighborKey, NeighborEntrySnapshot>,
  ): NeighborConflicts {
    const joined = new Set<string>();
    for (const { merged } of keys.values()) if (merged.neighbor !== null) joined.add(conflictGroup(merged.neighbor));
    const warnings: string[] = [];
    let refuse: { path: string; message: string; at: NeighborEntrySnapshot } | null = null;
    for (const group of joined) {
      const members = new Set(this.groups.get(group) ?? []);
      for (const [key, { merged }] of keys) {
        if (merged.neighbor !== null && conflictGroup(merged.neighbor) === group) members.add(key);
        else members.delete(key);
      }
      if (members.size < 2) continue;
      const firstEntry = (key: NeighborKey) => order.get(key) ?? this.byKey.get(key)![0]!;
      const neighborOf = (key: NeighborKey) => (keys.get(key)?.merged ?? this.merged.get(key)!).neighbor!;
      const sorted = [...members].sort((a, b) => compareNeighborEntries(firstEntry(a), firstEntry(b)));
      const result = conflictsAmong(sorted.map(neighborOf));
      warnings.push(...result.warnings);
      if (result.refuse === null) continue;
      const at = firstEntry(sorted.find((key) => neighborOf(key) === result.refuse!.neighbor)!);
      if (refuse === null || compareNeighborEntries(at, refuse.at) < 0) refuse = { path: result.refuse.path, message: result.refuse.message, at };
    }
    return { refuse: refuse === null ? null : { path: refuse.path, message: refuse.message }, warnings };
  }

  /** Where `entry` is, or would go, in `ordered` (one path never compares equal to another). */
  private position(entry: NeighborEntrySnapshot): number {
    let low = 0;
    let high = this.ordered.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareNeighborEntries(this.ordered[middle]!, entry) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private setMerged(key: NeighborKey, merged: MergedNeighbor): void {
    this.merged.set(key, merged);
    if (merged.neighbor === null) return;
    const group = conflictGroup(merged.neighbor);
    let members = this.groups.get(group);
    if (members === undefined) {
      members = new Set();
      this.groups.set(group, members);
    }
    members.add(key);
  }

  private countInterface(use: InterfaceUse, delta: 1 | -1): void {
    const key = interfaceKey(use);
    const known = this.interfaces.get(key);
    if (known === undefined) {
      if (delta > 0) this.interfaces.set(key, { use, count: 1 });
      return;
    }
    known.count += delta;
    if (known.count <= 0) this.interfaces.delete(key);
  }
}
