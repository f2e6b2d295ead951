// The three configuration datastores of RFC 6241 — running, candidate and
// startup — held as libyang data trees, with the edit-config, copy-config,
// delete-config, validate, commit, discard-changes and lock semantics the
// NETCONF layer exposes. Every change of running goes through one `apply` hook
// (the agent's reconcile) that may reject it; a rejected change leaves both the
// datastore and the engine as they were.
//
// The everyday transaction — edit-config on candidate, then commit — costs what
// the change costs, not what the datastore holds: the edit is applied to
// candidate in place while libyang-wasm records what it changed (so a failed
// edit is undone exactly), validation looks only at what the change can affect
// (DataTree.validateChanges), and the changed paths since the last commit are
// remembered so that commit diffs and copies only those subtrees. Anything
// unusual (copy-config, delete-config, a test-option=set edit, a large edit, a
// schema the recorder cannot track) takes the whole-tree path.
//
// The whole-tree path works on private trees and lets the event loop run between
// its libyang steps (parse, edit, validate, diff, change list: about a second
// each at 100,000 neighbors), so the main thread is held for the longest step,
// not for their sum. What runs at those turns: reads (print, printAt,
// changedSince, version) see every datastore as it was, since a result is
// swapped in in one piece; lock and unlock take effect at once, and each write
// checks the locks again at its commit point (a lock taken meanwhile fails it
// as if it had come first); discard-changes and the confirmed-commit rollback
// are serialised with the writes; a session's end releases its locks at once
// and discards its candidate changes between two operations (settleDiscard).
import { decodeChangeRecords, outermostPaths, type DataTree, type DiffChange, type YangContext } from 'libyang-wasm';
import type { Logger } from 'pino';
import { DatastoreError, detail, fromEditError, isYangError, libyangErrors, type ErrorDetail } from './errors.js';
import { LockTable, type DatastoreName } from './locks.js';
import { CorruptStartupError, StartupFile } from './startup-file.js';
import { nextTurn, runStepsInTurns } from '../steps.js';

export type { DatastoreName } from './locks.js';

export type DefaultOperation = 'merge' | 'replace' | 'none';
export type ErrorOption = 'stop-on-error' | 'continue-on-error' | 'rollback-on-error';
export type TestOption = 'test-then-set' | 'set' | 'test-only';

export interface EditOptions {
  readonly defaultOperation?: DefaultOperation;
  readonly errorOption?: ErrorOption;
  readonly testOption?: TestOption;
}

/** Where copy-config and validate read from: a datastore or inline <config> content. */
export type ConfigSource = { readonly datastore: DatastoreName } | { readonly config: string };

/** Why running changed. */
export type ChangeCause = 'edit-config' | 'copy-config' | 'commit' | 'rollback' | 'startup';

/**
 * A change of running on its way in. `before` and `after` are owned by the
 * datastore and valid only during the hook call.
 */
export interface RunningChange {
  readonly cause: ChangeCause;
  readonly sessionId: number;
  readonly before: DataTree;
  readonly after: DataTree;
  /**
   * `after` as the JSON chunks of the large write it was made from (large-write.ts), every default
   * present and tagged, when it holds exactly them: a reader may parse them rather than print `after`.
   */
  readonly afterChunks?: readonly string[];
  readonly changes: readonly DiffChange[];
}

/** Reconciles a change of running into the live system; throws to reject it. */
export type ApplyHook = (change: RunningChange) => Promise<void>;

/**
 * A write a session asks for, as the changes it makes to `target` (RFC 8341 §3.4.5: every created,
 * updated and deleted node, descendants of a created or deleted subtree included). `changes` is
 * computed when first read, and must be read during the guard's call: listing a large edit costs
 * more than making it (100,000 neighbors: about 8 s), and a session NACM does not restrict never
 * needs the list.
 */
export interface WriteRequest {
  readonly target: DatastoreName;
  readonly sessionId: number;
  readonly changes: readonly DiffChange[];
}

/** A WriteRequest whose changes are listed on first read (see WriteRequest). */
function writeRequest(target: DatastoreName, sessionId: number, list: () => DiffChange[]): WriteRequest {
  let changes: DiffChange[] | undefined;
  return {
    target,
    sessionId,
    get changes() { return changes ??= list(); },
  };
}

/** Decides whether a write may happen; throws a DatastoreError (access-denied) to refuse it. */
export type WriteGuard = (write: WriteRequest) => void;

/**
 * A large write a session asks for (a write adopted from a worker's result, LARGE_EDIT_CHARS and
 * more): as WriteRequest, but its change list is made in a worker (DatastoreDiffCheck) and decoded a
 * slice per turn, so it comes as a promise, asked for only by a guard that needs it (at 100,000
 * neighbors, listing it on the main thread held everything 1–1.5 s).
 */
export interface LargeWriteRequest {
  readonly target: DatastoreName;
  readonly sessionId: number;
  changes(): Promise<readonly DiffChange[]>;
}

/**
 * WriteGuard for a large write: resolves to permit it, rejects with a DatastoreError (access-denied)
 * to refuse it. It may take turns of the event loop (a check of every change of 100,000 neighbors is
 * long too); nothing changes the target meanwhile (the writes are serialised).
 */
export type LargeWriteGuard = (write: LargeWriteRequest) => Promise<void>;

/** A datastore a session copies from, whole (copy-config's <source>). */
export interface CopySourceRead {
  readonly source: DatastoreName;
  readonly sessionId: number;
  readonly tree: DataTree;
}

/** Decides whether a session may read all of a copy's source; throws a DatastoreError (access-denied) to refuse it. */
export type CopySourceGuard = (read: CopySourceRead) => void;

/**
 * A large write's libyang steps (parse, edit, validation), to be made in a copy where they can be cut
 * off at a time limit (the evaluation workers): `base` is the datastore edited, or null for a whole
 * <config> validated alone (copy-config, validate).
 */
export interface WriteSteps {
  readonly base: DatastoreName | null;
  readonly xml: string;
  readonly edit: { readonly defaultOperation: DefaultOperation; readonly errorOption: ErrorOption } | null;
  readonly validate: boolean;
}

/**
 * Makes a large write's steps in a copy (of `base` at its current version) under a time limit.
 * Resolves to the result when they all succeeded (the tree, validated unless steps.validate is false,
 * printed as JSON chunks by makeWriteSteps, large-write.ts: the datastores adopt it a chunk per turn
 * without making the steps again), or null (they failed, or nothing to adopt: the datastores make them
 * and report the outcome exactly); past the limit, rejects with the error the client gets (operation-failed naming the limit).
 * A libyang validation never yields: without this, one pathological edit would hold the main thread for
 * as long as it runs.
 */
export type WriteStepsCheck = (steps: WriteSteps) => Promise<readonly string[] | null>;

/** A datastore's whole validation made in a copy (DatastoreValidationCheck). */
export interface DatastoreValidation {
  /** The datastore's version (Datastores.version) the copy validated held. */
  readonly version: number;
  /** The rpc-errors the validation gives, exactly as a validation on the main thread gives them; empty: valid. */
  readonly errors: readonly ErrorDetail[];
  /** With `result` and no errors: the validated tree (its defaults added) as a large write's result is (large-write.ts resultChunks). */
  readonly chunks: readonly string[] | null;
  /** With `print` and no errors: the validated tree printed as the startup file holds it (XML, explicit defaults, canonical order). */
  readonly xml?: string | null;
}

/**
 * Validates a datastore whole in a copy of it (at its current version) under the write time limit (the
 * evaluation workers): <validate> of a datastore, and a commit of a candidate not known valid. Resolves
 * to null when it cannot (no worker yet: the datastores validate on the main thread). Past the limit,
 * rejects with the error the client gets (operation-failed naming the limit). A libyang validation
 * never yields: on the main thread it held everything for its whole length (100,000 neighbors: about
 * 1.4 s), however long a pathological one would take.
 */
export type DatastoreValidationCheck = (name: DatastoreName, opts: { readonly result: boolean; readonly print?: boolean }) => Promise<DatastoreValidation | null>;

/** A datastore's change list to another tree, made in a copy (DatastoreDiffCheck). */
export interface DatastoreDiff {
  /** The version of the datastore (Datastores.version) the copy diffed held. */
  readonly version: number;
  /** The changes as DataDiff.changeRecords makes them, for decodeChangeRecords. */
  readonly records: Uint8Array;
}

/**
 * Makes a datastore's change list to the tree of a large write's result (its JSON chunks,
 * large-write.ts) in a copy of the datastore at its current version, under the write time limit (the
 * evaluation workers): running's for the apply hook, the target's for a large write's guard.
 * Resolves to null when it cannot (no worker yet, or the worker failed: the datastores diff on the
 * main thread). Past the limit, rejects with the error the client gets (operation-failed naming the
 * limit). On the main thread, the diff of 100,000 neighbors created held everything 0.5–1 s in one
 * call, and its change list (400,000 changes) another 0.3 s.
 */
export type DatastoreDiffCheck = (base: DatastoreName, chunks: readonly string[]) => Promise<DatastoreDiff | null>;

export interface EditResult {
  /** Errors of a continue-on-error edit whose other parts were applied. */
  readonly errors: readonly ErrorDetail[];
}

export interface DatastoresOptions {
  readonly context: YangContext;
  /** Where startup.xml lives; null keeps startup in memory only (tests). */
  readonly stateDir: string | null;
  readonly apply?: ApplyHook;
  /** Where startup-file trouble (a failed save, leftovers of a crash) is logged. */
  readonly logger?: Logger;
  /** Checked before edit-config, copy-config and delete-config change a datastore (NACM). */
  readonly authorizeWrite?: WriteGuard;
  /** Checked before copy-config reads a datastore as its source (NACM: read access to the source). */
  readonly authorizeCopySource?: CopySourceGuard;
  /** Told after startup was replaced (copy-config, delete-config), with the changes it saw. */
  readonly startupSaved?: (change: StartupChange) => void;
  /** Time-bounds large edits, copy-config and validate of inline config (see WriteStepsCheck); without it they are not bounded. */
  readonly checkSteps?: WriteStepsCheck;
  /** Time-bounds <validate> of a datastore and a whole-validating commit (see DatastoreValidationCheck); without it they are not bounded. */
  readonly checkValid?: DatastoreValidationCheck;
  /** Diffs a datastore against a large write's result away from this thread (see DatastoreDiffCheck); without it, the diff is made here. */
  readonly checkDiff?: DatastoreDiffCheck;
  /**
   * Checked instead of authorizeWrite before a large write adopted from a worker changes a datastore
   * (see LargeWriteGuard); without it, authorizeWrite is, with the change list made here.
   */
  readonly authorizeLargeWrite?: LargeWriteGuard;
}

export interface StartupChange {
  readonly cause: 'copy-config' | 'delete-config';
  readonly sessionId: number;
  readonly changes: readonly DiffChange[];
}

/**
 * How much of a datastore's change history Datastores keeps for the copies of it (changedSince): a
 * copy further behind is copied whole, which costs what the datastore holds.
 */
const CHANGE_LOG_ENTRIES = 256;
const CHANGE_LOG_PATHS = 50_000;

/**
 * Where one datastore's content changed, newest last: the paths of each version, or null for a
 * whole-tree change. Bounded (CHANGE_LOG_ENTRIES, CHANGE_LOG_PATHS).
 */
class ChangeLog {
  /** Changes exactly when the datastore's content does (not when it is only sorted). */
  version = 0;
  private readonly entries: { readonly version: number; readonly paths: readonly string[] | null }[] = [];
  private pathCount = 0;

  record(paths: readonly string[] | null): void {
    this.version++;
    this.entries.push({ version: this.version, paths });
    this.pathCount += paths?.length ?? 0;
    while (this.entries.length > CHANGE_LOG_ENTRIES || this.pathCount > CHANGE_LOG_PATHS) {
      this.pathCount -= this.entries.shift()!.paths?.length ?? 0;
    }
  }

  /** The outermost paths changed since `version`; null when not known (see Datastores.changedSince). */
  since(version: number): string[] | null {
    if (version === this.version) return [];
    const first = this.entries.findIndex((entry) => entry.version > version);
    // The log must reach back to the version just after `version`.
    if (first < 0 || this.entries[first]!.version !== version + 1) return null;
    const paths = new Set<string>();
    for (const entry of this.entries.slice(first)) {
      if (entry.paths === null) return null;
      for (const path of entry.paths) paths.add(path);
    }
    return outermostPaths([...paths]);
  }
}

/**
 * From this size an edit's text is a large edit (about 5,000 neighbors), which takes the whole-tree
 * path: an edit recorded in place in candidate could not let the event loop run between its steps
 * (candidate would be half-edited), and recording an edit that provisions a datastore costs several
 * times a whole validation (100,000 neighbors: 6–10 s against 2–4.5 s).
 */
const LARGE_EDIT_CHARS = 1 << 20;

/** Changes of a diff made in a worker decoded per event-loop turn (DatastoreDiffCheck): about a ms. */
const CHANGES_PER_TURN = 4096;

/** Session id used for changes made by the agent itself (startup load, confirmed-commit timeout). */
export const SYSTEM_SESSION = 0;

/**
 * Ordered-by system lists and leaf-lists in canonical order (libyang keeps
 * insertion order): two clients that configure the same data in different
 * orders read back the same bytes, which is what Ansible's before/after
 * comparison needs. Done when a datastore is read (Datastores.tree) or saved,
 * not on every change.
 */
function sortTree(tree: DataTree): void {
  try {
    tree.sort();
  } catch (err) {
    throw new DatastoreError(detail('operation-failed', `the data could not be ordered: ${(err as Error).message}`));
  }
}

/** Runs a validation, turning libyang's errors into the NETCONF errors a client gets. */
function validating(validate: () => void): void {
  try {
    validate();
  } catch (err) {
    const errors = libyangErrors(err, 'validate');
    throw errors !== undefined ? new DatastoreError(errors) : err;
  }
}

/** DataTree.copyPaths, false when it could not copy them all (the caller copies the whole tree instead). */
function copyPaths(to: DataTree, from: DataTree, paths: readonly string[]): boolean {
  try {
    return to.copyPaths(from, paths);
  } catch {
    return false;
  }
}

export class Datastores {
  private readonly context: YangContext;
  private readonly startupFile: StartupFile | null;
  private readonly apply: ApplyHook;
  private readonly logger: Logger | undefined;
  private readonly authorizeWrite: WriteGuard | undefined;
  private readonly authorizeCopySource: CopySourceGuard | undefined;
  private readonly startupSaved: ((change: StartupChange) => void) | undefined;
  private readonly checkSteps: WriteStepsCheck | undefined;
  private readonly checkValid: DatastoreValidationCheck | undefined;
  private readonly checkDiff: DatastoreDiffCheck | undefined;
  private readonly authorizeLargeWrite: LargeWriteGuard | undefined;
  /** By datastore, the large write's result (JSON chunks) it was set from, and its version then: snapshot(). */
  private readonly adopted = new Map<DatastoreName, { readonly version: number; readonly chunks: readonly string[] }>();
  private readonly locks = new LockTable();
  private running: DataTree;
  private candidate: DataTree;
  private startup: DataTree;
  /** True once candidate differs from running by an edit not yet committed or discarded. */
  private candidateDirty = false;
  /** True while candidate is known valid: a validated edit, copy or a copy of running since its last change. */
  private candidateValid = true;
  /**
   * Where candidate may differ from running: the paths changed by edits since they were last equal, or
   * null when that is not known (after copy-config, delete-config, a change of running under a modified
   * candidate) and commit must compare the whole trees.
   */
  private pending: Set<string> | null = new Set();
  private pathDiffFailureCount = 0;
  /** Datastores whose lists are known to be in canonical order: sorted when read (tree()), not when changed. */
  private readonly ordered = new Set<DatastoreName>(['running', 'candidate', 'startup']);
  /** Operations run one at a time: the apply hook is asynchronous, and the whole-tree path yields between its steps. */
  private queue: Promise<unknown> = Promise.resolve();
  /** True while a serialised operation runs. */
  private operating = false;
  /**
   * A session that locked and modified candidate ended while an operation ran: its changes are
   * discarded when that operation ends (settleDiscard).
   */
  private discardPending = false;
  private epoch = 0;
  /** Where each datastore's content changed, for the copies of it (changedSince). */
  private readonly logs: Record<DatastoreName, ChangeLog> = { running: new ChangeLog(), candidate: new ChangeLog(), startup: new ChangeLog() };

  private constructor(opts: DatastoresOptions) {
    this.context = opts.context;
    this.startupFile = opts.stateDir === null ? null : StartupFile.inStateDir(opts.stateDir);
    this.apply = opts.apply ?? (async () => {});
    this.logger = opts.logger;
    this.authorizeWrite = opts.authorizeWrite;
    this.authorizeCopySource = opts.authorizeCopySource;
    this.startupSaved = opts.startupSaved;
    this.checkSteps = opts.checkSteps;
    this.checkValid = opts.checkValid;
    this.checkDiff = opts.checkDiff;
    this.authorizeLargeWrite = opts.authorizeLargeWrite;
    this.running = this.context.emptyTree();
    this.candidate = this.context.emptyTree();
    this.startup = this.context.emptyTree();
  }

  /**
   * Opens the datastores: startup is read from the state directory (a corrupt
   * file throws CorruptStartupError and is left untouched), then copied into
   * running through the apply hook, and candidate starts as running.
   */
  static async open(opts: DatastoresOptions): Promise<Datastores> {
    const ds = new Datastores(opts);
    const leftovers = ds.startupFile?.removeTemporaries() ?? [];
    if (leftovers.length > 0) ds.logger?.warn({ files: leftovers }, 'removed temporary files of an interrupted startup save');
    const saved = ds.startupFile?.read() ?? null;
    if (saved !== null && saved.trim() !== '') {
      try {
        ds.startup.free();
        ds.startup = ds.context.parseData(saved, { validate: true, configOnly: true, strict: true });
        ds.startup.sort();
      } catch (err) {
        const reason = isYangError(err) ? err.items.map((i) => (i.path ? `${i.message} (${i.path})` : i.message)).join('; ') : String(err);
        throw new CorruptStartupError(ds.startupFile!.path, reason);
      }
      await ds.replaceRunning(ds.startup.dup(), 'startup', SYSTEM_SESSION);
    }
    return ds;
  }

  /**
   * Read access for get-config and friends, in canonical order (sorted here, on the read that needs it,
   * rather than on every change); the tree stays owned by the datastore.
   */
  tree(name: DatastoreName): DataTree {
    const tree = this.unorderedTree(name);
    if (!this.ordered.has(name)) {
      sortTree(tree);
      this.ordered.add(name);
    }
    return tree;
  }

  /**
   * A datastore as it is, its lists not necessarily in canonical order: for reads whose answer does not
   * depend on order, such as validating an rpc's input against running's leafrefs, which every rpc does.
   * Putting a changed running in order costs 16–40 ms at 10,000 neighbors (300 ms at 100,000); tree()
   * pays it only for reads that print. The tree stays owned by the datastore.
   */
  unorderedTree(name: DatastoreName): DataTree {
    switch (name) {
      case 'running': return this.running;
      case 'candidate': return this.candidate;
      case 'startup': return this.startup;
    }
  }

  /**
   * Changes whenever any datastore may have changed (conservatively: around
   * every write operation), so a copy taken at one epoch (the evaluation
   * workers') is known current while the epoch stays.
   */
  get changeEpoch(): number {
    return this.epoch;
  }

  /**
   * A datastore as XML with only the nodes libyang added as defaults tagged, for a copy that prints
   * every with-defaults mode alike (report-all-tagged would also tag a leaf set to its default value,
   * and the copy would then leave it out of an explicit-mode reply).
   */
  print(name: DatastoreName): string {
    return this.tree(name).print({ format: 'xml', tagImplicitDefaults: true });
  }

  /**
   * A datastore whole for an evaluation worker (SnapshotSource): the chunks of the large write it was
   * set from, while it holds exactly them, else print(). A print of 100,000 neighbors is 1–2 s of this
   * thread in one piece; the chunks were made in a worker.
   */
  snapshot(name: DatastoreName): string | readonly string[] {
    const adopted = this.adopted.get(name);
    if (adopted !== undefined && adopted.version === this.version(name)) return adopted.chunks;
    this.adopted.delete(name);
    return this.print(name);
  }

  /** The chunks snapshot() returns while the datastore holds exactly them, else null (SnapshotSource.adoptedChunks); never prints. */
  adoptedChunks(name: DatastoreName): readonly string[] | null {
    const adopted = this.adopted.get(name);
    return adopted !== undefined && adopted.version === this.version(name) ? adopted.chunks : null;
  }

  /** Changes exactly when the datastore's content does, so a copy taken at one version stays current while it stays. */
  version(name: DatastoreName): number {
    return this.logs[name].version;
  }

  /**
   * The data paths where a datastore may have changed since `version` (a copy holding that version is
   * brought up to date by copying the datastore's nodes at them: printAt), or null when that is not
   * known: a whole-tree change since, or a version older than the log keeps.
   */
  changedSince(name: DatastoreName, version: number): string[] | null {
    return this.logs[name].since(version);
  }

  /**
   * A datastore's nodes at `paths` (with their ancestors) printed as print() prints a whole datastore,
   * or null when they cannot be copied on their own (an ordered-by user entry: its position is part of
   * the change). O(what lies at the paths).
   */
  printAt(name: DatastoreName, paths: readonly string[]): string | null {
    const part = this.context.emptyTree();
    try {
      return copyPaths(part, this.unorderedTree(name), paths) ? part.print({ format: 'xml', tagImplicitDefaults: true }) : null;
    } finally {
      part.free();
    }
  }

  lockOwner(name: DatastoreName): number | null {
    return this.locks.owner(name);
  }

  lockedAt(name: DatastoreName): Date | null {
    return this.locks.lockedAt(name);
  }

  /** Changes of running whose path-wise diff failed and that compared the whole trees instead (a defect to report). */
  get pathDiffFailures(): number {
    return this.pathDiffFailureCount;
  }

  get candidateModified(): boolean {
    return this.candidateDirty;
  }

  lock(name: DatastoreName, sessionId: number): void {
    // RFC 6241 §7.5: no lock on a candidate holding someone's uncommitted edits.
    if (name === 'candidate' && this.candidateDirty && !this.discardPending && this.locks.owner('candidate') === null) {
      throw new DatastoreError(detail('lock-denied', 'the candidate datastore has uncommitted changes; commit or discard-changes first',
        { type: 'protocol', info: { sessionId: 0 } }));
    }
    this.locks.lock(name, sessionId);
  }

  unlock(name: DatastoreName, sessionId: number): void {
    this.locks.unlock(name, sessionId);
  }

  /**
   * Called when a session ends: its locks go, and a candidate it locked and
   * modified is discarded (RFC 6241 §8.3.5.2).
   */
  releaseSession(sessionId: number): DatastoreName[] {
    const released = this.locks.releaseSession(sessionId);
    if (released.includes('candidate') && this.candidateDirty) {
      // Not in the middle of an operation's steps: they may be reading candidate.
      this.discardPending = true;
      if (!this.operating) this.settleDiscard();
    }
    return released;
  }

  /**
   * Discards the changes of an ended session's candidate if that is pending (releaseSession): between
   * operations, never within one's steps. A write that session had in flight lands first and is
   * discarded with the rest (as if the session had ended after it).
   */
  private settleDiscard(): void {
    if (!this.discardPending) return;
    this.discardPending = false;
    if (this.candidateDirty) this.resetCandidate();
  }

  editConfig(target: DatastoreName, configXml: string, opts: EditOptions, sessionId: number): Promise<EditResult> {
    return this.serialised(() => this.doEditConfig(target, configXml, opts, sessionId));
  }

  copyConfig(target: DatastoreName, source: ConfigSource, sessionId: number): Promise<void> {
    return this.serialised(() => this.doCopyConfig(target, source, sessionId));
  }

  deleteConfig(target: DatastoreName, sessionId: number): Promise<void> {
    return this.serialised(async () => {
      if (target === 'running') {
        throw new DatastoreError(detail('operation-not-supported', 'the running datastore cannot be deleted (RFC 6241 §7.4)', { type: 'protocol' }));
      }
      this.locks.assertWritable(target, sessionId);
      this.guardWhole(target, sessionId, this.context.emptyTree(), true);
      if (target === 'startup') await this.setStartup(this.context.emptyTree(), { cause: 'delete-config', sessionId });
      else this.setCandidate(this.context.emptyTree(), { valid: false });
    });
  }

  /** <validate>: full YANG validation of a datastore (as it is when called) or inline config. */
  async validate(source: ConfigSource): Promise<void> {
    const checked = 'config' in source ? await this.checkLarge({ base: null, xml: source.config, edit: null, validate: true }) : null;
    // Valid there: nothing more to do here.
    if (checked !== null) return;
    const validated = 'datastore' in source ? await this.checkValid?.(source.datastore, { result: false }) : undefined;
    if (validated != null) {
      if (validated.errors.length > 0) throw new DatastoreError(validated.errors);
      return;
    }
    const tree = 'datastore' in source ? this.tree(source.datastore).dup() : this.parseConfig(source.config);
    try {
      await nextTurn();
      this.validateTree(tree);
    } finally { tree.free(); }
  }

  /** <commit>: candidate becomes running, through the apply hook. */
  commit(sessionId: number): Promise<readonly DiffChange[]> {
    return this.serialised(async () => {
      this.locks.assertWritable('running', sessionId);
      // A candidate validated since its last change needs no second pass (test-then-set did it), and
      // where it differs from running is known: only those subtrees are compared and copied.
      const changes = this.candidateValid && this.pending !== null
        ? await this.commitPaths([...this.pending], sessionId)
        : await this.commitWhole(sessionId);
      // Candidate already holds what running now holds: no copy needed.
      this.candidateDirty = false;
      this.candidateValid = true;
      this.pending = new Set();
      return changes;
    });
  }

  /** Serialised with the writes, so that no write's steps see candidate change under them. */
  discardChanges(sessionId: number): Promise<void> {
    return this.serialised(async () => {
      this.locks.assertWritable('candidate', sessionId);
      this.resetCandidate();
    });
  }

  private async commitWhole(sessionId: number, cause: ChangeCause = 'commit'): Promise<readonly DiffChange[]> {
    const commitPoint = () => this.locks.assertWritable('running', sessionId);
    if (this.candidateValid) {
      const adopted = this.adopted.get('candidate');
      const from = adopted?.version === this.version('candidate') ? adopted : undefined;
      // Candidate's copy: made again from the large write it holds, a chunk per turn, rather than copied
      // in one piece (1 s for 100,000 neighbors). Nothing changes candidate meanwhile: commits are
      // serialised with the writes.
      const diffed = from !== undefined ? this.diffElsewhere('running', from.chunks) : undefined;
      const next = from !== undefined ? await this.parseChunks(from.chunks) : this.candidate.dup();
      await nextTurn();
      // Running then holds what candidate does: the same chunks, for the reconcile and the workers' copies.
      return this.replaceRunningNow(next, cause, sessionId, commitPoint, from?.chunks, diffed);
    }
    const validated = await this.validatedCandidate();
    // Running then holds the worker's validated result: its chunks, for the reconcile and the workers' copies.
    const changes = await this.replaceRunningNow(validated.tree, cause, sessionId, commitPoint, validated.chunks ?? undefined, validated.diffed);
    // Validation added defaults candidate lacks: it becomes what running now holds, from the same
    // chunks a chunk per turn where there are some (a copy of running in one piece: 1 s at 100,000 neighbors).
    this.pending = null;
    if (validated.chunks === null) this.resetCandidate();
    else {
      this.setCandidate(await this.parseChunks(validated.chunks), { valid: true });
      this.adopted.set('candidate', { version: this.version('candidate'), chunks: validated.chunks });
    }
    return changes;
  }

  /**
   * A copy of candidate validated whole (its defaults added): made in a worker under the write limit
   * (checkValid) and adopted as it is, a chunk per turn, or here without one.
   */
  private async validatedCandidate(): Promise<{ readonly tree: DataTree; readonly chunks: readonly string[] | null; readonly diffed?: Promise<DiffChange[] | null> }> {
    const version = this.version('candidate');
    const checked = await this.checkValid?.('candidate', { result: true });
    // Nothing changes candidate during a commit (the writes are serialised): a copy of another version is a defect.
    if (checked != null && checked.version === version && this.version('candidate') === version) {
      if (checked.errors.length > 0) throw new DatastoreError(checked.errors);
      const diffed = this.diffElsewhere('running', checked.chunks!);
      const tree = await this.parseChunks(checked.chunks!);
      await nextTurn();
      return { tree, chunks: checked.chunks, diffed };
    }
    if (checked != null) this.logger?.warn({ validated: checked.version, candidate: this.version('candidate') }, 'commit: the validated copy was of another candidate version; validating here');
    const tree = this.candidate.dup();
    try {
      await nextTurn();
      this.validateTree(tree);
      await nextTurn();
    } catch (err) { tree.free(); throw err; }
    return { tree, chunks: null };
  }

  private async commitPaths(paths: readonly string[], sessionId: number, cause: ChangeCause = 'commit'): Promise<readonly DiffChange[]> {
    let changes: DiffChange[];
    try {
      const diff = this.running.diffPaths(this.candidate, paths);
      try {
        await nextTurn();
        changes = diff.changes();
      } finally { diff.free(); }
    } catch {
      // libyang could not diff a subtree on its own: compare the whole trees, as without the paths.
      this.pathDiffFailureCount++;
      return this.commitWhole(sessionId, cause);
    }
    await nextTurn();
    // The locks as they are now, after the turns given to others.
    this.locks.assertWritable('running', sessionId);
    if (changes.length > 0) await this.applyChange({ cause, sessionId, before: this.running, after: this.candidate, changes });
    if (!copyPaths(this.running, this.candidate, paths)) {
      // An ordered-by user entry changed (its position is copied with the whole tree), or out of memory.
      this.running.free();
      this.running = this.candidate.dup();
      this.logs.running.record(null);
    } else if (paths.length > 0) {
      this.logs.running.record(paths);
    }
    if (paths.length > 0) this.ordered.delete('running');
    return changes;
  }

  /** Runs the apply hook; its refusal becomes the NETCONF error the client sees. */
  private async applyChange(change: RunningChange): Promise<void> {
    try {
      await this.apply(change);
    } catch (err) {
      if (err instanceof DatastoreError) throw err;
      throw new DatastoreError(detail('operation-failed', `the change could not be applied: ${(err as Error).message}`));
    }
  }

  /**
   * Replaces running with `next` (taking ownership of it) through the apply
   * hook — the path confirmed-commit rollback takes too. On rejection `next` is
   * freed and running is unchanged.
   */
  replaceRunning(next: DataTree, cause: ChangeCause, sessionId: number): Promise<readonly DiffChange[]> {
    return this.serialised(() => this.replaceRunningNow(next, cause, sessionId));
  }

  /**
   * replaceRunning within a serialised operation. `commitPoint` runs after the last turn given to
   * others and before the apply hook (a write re-checks the locks there); it throws to cancel.
   */
  private async replaceRunningNow(next: DataTree, cause: ChangeCause, sessionId: number, commitPoint?: () => void,
    nextChunks?: readonly string[], diffed?: Promise<DiffChange[] | null>): Promise<readonly DiffChange[]> {
    let changes: DiffChange[] | null;
    try {
      changes = diffed === undefined ? null : await diffed;
      if (changes === null) {
        const diff = this.running.diff(next);
        try {
          await nextTurn();
          changes = diff.changes();
        } finally { diff.free(); }
      }
      await nextTurn();
      commitPoint?.();
      if (changes.length > 0 || cause === 'startup') {
        await this.applyChange({ cause, sessionId, before: this.running, after: next, ...(nextChunks !== undefined ? { afterChunks: nextChunks } : {}), changes });
      }
    } catch (err) {
      next.free();
      throw err;
    }
    this.running.free();
    this.running = next;
    this.epoch++;
    this.logs.running.record(null);
    if (nextChunks !== undefined) this.adopted.set('running', { version: this.version('running'), chunks: nextChunks });
    this.ordered.delete('running');
    // Candidate now differs from running in ways no edit recorded: a clean one is copied whole, or
    // made again from running's chunks, a chunk per turn (a copy in one piece: 1 s at 100,000 neighbors).
    this.pending = null;
    if (!this.candidateDirty) {
      if (nextChunks === undefined) this.resetCandidate();
      else await this.resetCandidateFrom(nextChunks);
    }
    return changes;
  }

  /**
   * `base`'s change list to the tree of `chunks` (a large write's result), made in a worker
   * (checkDiff) while this thread parses the chunks, and decoded here a slice per turn; resolves to
   * null where no worker made it (the caller then diffs here), rejects past the write time limit. Its
   * rejection is handled even if the write fails before it is awaited.
   */
  private diffElsewhere(base: DatastoreName, chunks: readonly string[]): Promise<DiffChange[] | null> {
    const diffed = (async () => {
      if (this.checkDiff === undefined) return null;
      const version = this.version(base);
      const started = performance.now();
      const made = await this.checkDiff(base, chunks);
      if (made === null) return null;
      // Nothing changes a datastore while a write runs (the writes are serialised): a diff of another version is a defect.
      if (made.version !== version || this.version(base) !== version) {
        this.logger?.warn({ datastore: base, diffed: made.version, version: this.version(base) }, 'the diff made in a worker was of another version of the datastore; diffing here');
        return null;
      }
      const received = performance.now();
      const changes = await runStepsInTurns(decodeChangeRecords(made.records, CHANGES_PER_TURN));
      this.logger?.info({ datastore: base, changes: changes.length, bytes: made.records.byteLength, workerMs: Math.round(received - started),
        decodeMs: Math.round(performance.now() - received) }, 'a datastore\'s diff to a large write made in a worker');
      return changes;
    })();
    diffed.catch(() => undefined);
    return diffed;
  }

  /** A copy of running, for confirmed-commit's rollback point. */
  snapshotRunning(): DataTree {
    return this.running.dup();
  }

  close(): void {
    for (const t of [this.running, this.candidate, this.startup]) t.free();
  }

  private async doEditConfig(target: DatastoreName, configXml: string, opts: EditOptions, sessionId: number): Promise<EditResult> {
    if (target === 'startup') {
      throw new DatastoreError(detail('operation-not-supported', 'edit-config cannot target startup: use copy-config', { type: 'protocol' }));
    }
    this.locks.assertWritable(target, sessionId);
    const options = { defaultOperation: opts.defaultOperation ?? 'merge', errorOption: opts.errorOption ?? 'stop-on-error', testOption: opts.testOption ?? 'test-then-set' } as const;
    const version = this.version(target);
    // running must stay valid whatever the test-option: reconcile consumes it.
    const validate = options.testOption !== 'set' || target === 'running';
    const checked = await this.checkLarge({
      base: target, xml: configXml, edit: { defaultOperation: options.defaultOperation, errorOption: options.errorOption }, validate,
    });
    // The worker's result, made from the version of the target this write is based on (nothing else
    // changes it while this write runs: the writes are serialised).
    if (checked !== null && this.version(target) === version) {
      return this.adoptWhole(target, checked, { testOnly: options.testOption === 'test-only', valid: validate }, sessionId, 'edit-config');
    }
    const edit = this.parseConfig(configXml, { edit: true });
    // In place, in candidate, when the rest of it is known valid (so validating what changed is enough).
    // An edit of running goes the same way while candidate still holds what running holds: it is
    // edited there and committed path by path, so running itself changes only once applied.
    const inPlace = target === 'candidate'
      ? this.candidateValid && this.pending !== null
      : !this.candidateDirty && this.pending !== null && this.pending.size === 0;
    if (inPlace && configXml.length < LARGE_EDIT_CHARS && this.candidate.trackChanges()) {
      return this.editInPlace(target, edit, options, sessionId);
    }
    try {
      return await this.editWhole(target, edit, options, sessionId);
    } finally {
      edit.free();
    }
  }

  /**
   * A large write made and validated in a worker (checkSteps), its result adopted as it is: parsed
   * without validation (it was validated there) a chunk per turn, each merged into the first, then
   * what editWhole does after its own validation.
   */
  private async adoptWhole(target: DatastoreName, chunks: readonly string[], opts: { readonly testOnly: boolean; readonly valid: boolean }, sessionId: number,
    cause: 'edit-config' | 'copy-config', startupXml?: string): Promise<EditResult> {
    // running's diff, for the apply hook, and startup's, for its audit, start with the parse; the guard
    // may need the target's too.
    const diffedFirst = !opts.testOnly && (target === 'running' || (target === 'startup' && this.startupSaved !== undefined));
    let diffed = diffedFirst ? this.diffElsewhere(target, chunks) : undefined;
    const work = await this.parseChunks(chunks);
    try {
      // A test-only write is checked by NACM too, as editWhole does.
      await this.guardAdopted(target, sessionId, work, () => (diffed ??= this.diffElsewhere(target, chunks)));
      await nextTurn();
      // The locks as they are now, after the last turn given to others.
      this.locks.assertWritable(target, sessionId);
    } catch (err) {
      work.free();
      throw err;
    }
    if (opts.testOnly) {
      work.free();
      return { errors: [] };
    }
    if (target === 'running') await this.replaceRunningNow(work, cause, sessionId, () => this.locks.assertWritable('running', sessionId), chunks, diffed);
    else if (target === 'candidate') this.setCandidate(work, { valid: opts.valid });
    else await this.setStartup(work, { cause: 'copy-config', sessionId }, { diffed, xml: startupXml });
    if (target !== 'running') this.adopted.set(target, { version: this.version(target), chunks });
    return { errors: [] };
  }

  /** A large write's result (JSON chunks) as a tree: a chunk parsed and merged per turn. */
  private async parseChunks(chunks: readonly string[]): Promise<DataTree> {
    await nextTurn();
    const tree = this.parseConfig(chunks[0]!, { format: 'json' });
    try {
      for (const chunk of chunks.slice(1)) {
        await nextTurn();
        const part = this.parseConfig(chunk, { format: 'json' });
        try { tree.merge(part); } finally { part.free(); }
      }
    } catch (err) {
      tree.free();
      throw err;
    }
    return tree;
  }

  /**
   * edit-config on a copy of the target, swapped in whole; the event loop runs between its steps, and
   * the locks are checked again at the commit point, after the last of them.
   */
  private async editWhole(target: 'running' | 'candidate', edit: DataTree, opts: Required<EditOptions>, sessionId: number): Promise<EditResult> {
    await nextTurn();
    const work = this.tree(target).dup();
    let errors: ErrorDetail[];
    try {
      await nextTurn();
      errors = work.edit(edit, { defaultOperation: opts.defaultOperation, errorOption: opts.errorOption }).map(fromEditError);
      // stop-on-error and rollback-on-error both leave the datastore untouched:
      // bmpd never keeps half of an edit. An edit naming one node twice
      // (bad-element) is refused as a whole under any error-option: libyang-wasm
      // applies none of it, there is no good part to keep.
      if (errors.length > 0 && (opts.errorOption !== 'continue-on-error' || errors.some((e) => e.tag === 'bad-element'))) {
        throw new DatastoreError(errors);
      }
      // NACM first: a session may not learn from validation errors about what it may not write.
      this.guardWhole(target, sessionId, work);
      // running must stay valid whatever the test-option: reconcile consumes it.
      if (opts.testOption !== 'set' || target === 'running') {
        await nextTurn();
        this.validateTree(work);
      }
      await nextTurn();
      // The locks as they are now, after the last turn given to others.
      this.locks.assertWritable(target, sessionId);
    } catch (err) {
      work.free();
      throw err;
    }
    if (opts.testOption === 'test-only') {
      work.free();
      return { errors };
    }
    if (target === 'running') {
      await this.replaceRunningNow(work, 'edit-config', sessionId, () => this.locks.assertWritable('running', sessionId));
    } else {
      this.setCandidate(work, { valid: opts.testOption !== 'set' });
    }
    return { errors };
  }

  /**
   * edit-config applied to candidate in place (for target running, then committed); anything that fails
   * leaves both datastores exactly as they were.
   */
  private async editInPlace(target: 'running' | 'candidate', edit: DataTree, opts: Required<EditOptions>, sessionId: number): Promise<EditResult> {
    const work = this.candidate;
    let errors: ErrorDetail[];
    try {
      errors = work.edit(edit, { defaultOperation: opts.defaultOperation, errorOption: opts.errorOption }).map(fromEditError);
      if (errors.length > 0 && (opts.errorOption !== 'continue-on-error' || errors.some((e) => e.tag === 'bad-element'))) {
        throw new DatastoreError(errors);
      }
      if (this.authorizeWrite !== undefined) {
        this.authorizeWrite(writeRequest(target, sessionId, () => this.inPlaceChanges(target, edit, opts)));
      }
      // running must stay valid whatever the test-option: reconcile consumes it.
      if (opts.testOption !== 'set' || target === 'running') this.validateChanges(work);
    } catch (err) {
      this.undoCandidate();
      throw err;
    } finally {
      edit.free();
    }
    if (opts.testOption === 'test-only') {
      this.undoCandidate();
      return { errors };
    }
    const changed = work.changedPaths();
    if (changed === null || changed.length > 0) {
      this.ordered.delete('candidate');
      this.logs.candidate.record(changed);
    }
    if (target === 'running') {
      try {
        if (changed === null) await this.commitWhole(sessionId, 'edit-config');
        else await this.commitPaths(changed, sessionId, 'edit-config');
      } catch (err) {
        this.undoCandidate();
        throw err;
      }
      // Candidate again holds what running holds (commitWhole may have replaced it by a copy).
      this.candidate.endChanges();
      return { errors };
    }
    work.endChanges();
    if (changed === null) this.pending = null;
    else for (const path of changed) this.pending?.add(path);
    this.candidateDirty = true;
    this.candidateValid = opts.testOption !== 'set';
    return { errors };
  }

  /**
   * Ends a failed or test-only in-place edit of candidate. Should the undo itself fail, candidate is
   * rebuilt from running.
   */
  private undoCandidate(): void {
    // Restored entries go back at the end of their lists.
    this.ordered.delete('candidate');
    const touched = this.candidate.changedPaths();
    if (this.candidate.undoChanges()) {
      if (touched === null || touched.length > 0) this.logs.candidate.record(touched);
      return;
    }
    this.resetCandidate();
    throw new DatastoreError(detail('operation-failed', 'the edit could not be undone; the candidate datastore was rebuilt from running'));
  }

  /** Candidate becomes `tree` (taking ownership), modified with respect to running in unrecorded ways. */
  private setCandidate(tree: DataTree, opts: { readonly valid: boolean }): void {
    this.candidate.free();
    this.candidate = tree;
    this.epoch++;
    this.logs.candidate.record(null);
    this.candidateDirty = true;
    this.candidateValid = opts.valid;
    this.pending = null;
    this.ordered.delete('candidate');
  }

  private async doCopyConfig(target: DatastoreName, source: ConfigSource, sessionId: number): Promise<void> {
    if ('datastore' in source && source.datastore === target) {
      throw new DatastoreError(detail('invalid-value', `copy-config source and target are both ${target}`, { type: 'protocol' }));
    }
    this.locks.assertWritable(target, sessionId);
    const checked = 'config' in source ? await this.checkLarge({ base: null, xml: source.config, edit: null, validate: true }) : null;
    if (checked !== null) {
      await this.adoptWhole(target, checked, { testOnly: false, valid: true }, sessionId, 'copy-config');
      return;
    }
    // An inline <config> is the client's own: only a datastore source is read on its behalf.
    if ('datastore' in source) this.authorizeCopySource?.({ source: source.datastore, sessionId, tree: this.tree(source.datastore) });
    // A datastore's copy made in a worker (its validation, its JSON for the target, the startup file's
    // text) and adopted a chunk per turn: at 100,000 neighbors a copy, validation, diff and print of
    // running here held the main thread several seconds for `copy-config running startup`.
    const copied = 'datastore' in source ? await this.checkValid?.(source.datastore, { result: true, print: target === 'startup' }) : undefined;
    // Not valid there (a candidate left so by test-option=set): made here, so that NACM's check comes before the validation's errors.
    if (copied != null && copied.version === this.version((source as { datastore: DatastoreName }).datastore) && copied.errors.length === 0) {
      await this.adoptWhole(target, copied.chunks!, { testOnly: false, valid: true }, sessionId, 'copy-config', copied.xml ?? undefined);
      return;
    }
    const tree = 'datastore' in source ? this.tree(source.datastore).dup() : this.parseConfig(source.config);
    try {
      this.guardWhole(target, sessionId, tree);
      await nextTurn();
      this.validateTree(tree);
      await nextTurn();
      // The locks as they are now, after the last turn given to others.
      this.locks.assertWritable(target, sessionId);
    } catch (err) { tree.free(); throw err; }
    switch (target) {
      case 'running':
        await this.replaceRunningNow(tree, 'copy-config', sessionId, () => this.locks.assertWritable('running', sessionId));
        return;
      case 'candidate':
        this.setCandidate(tree, { valid: true });
        return;
      case 'startup':
        await this.setStartup(tree, { cause: 'copy-config', sessionId });
        return;
    }
  }

  /**
   * The changes an in-place edit of candidate just made, as they change `target`: running's diff where
   * candidate held what running holds before the edit (the everyday transaction); otherwise the edit is
   * undone, the subtrees it touched are copied as they were, and it is made again. O(the change) either way.
   */
  private inPlaceChanges(target: DatastoreName, edit: DataTree, opts: Required<EditOptions>): DiffChange[] {
    const work = this.candidate;
    const changed = work.changedPaths();
    if (changed === null) return this.changesBetween(this.tree(target), work);
    if (target === 'running' || this.pending?.size === 0) return this.changesAt(this.running, work, changed);
    const before = this.context.emptyTree();
    try {
      if (!work.undoChanges() || !copyPaths(before, work, outermostPaths(changed)) || !work.trackChanges()) {
        throw new DatastoreError(detail('operation-failed', 'the edit could not be checked for access'));
      }
      work.edit(edit, { defaultOperation: opts.defaultOperation, errorOption: opts.errorOption });
      return this.changesAt(before, work, changed);
    } finally {
      before.free();
    }
  }

  /** The changes at `paths`; where libyang cannot diff them on their own, the whole trees are compared (as commitPaths does). */
  private changesAt(from: DataTree, to: DataTree, paths: readonly string[]): DiffChange[] {
    let diff;
    try {
      diff = from.diffPaths(to, paths);
    } catch {
      this.pathDiffFailureCount++;
      return this.changesBetween(from, to);
    }
    try { return diff.changes(); } finally { diff.free(); }
  }

  private changesBetween(from: DataTree, to: DataTree): DiffChange[] {
    const diff = from.diff(to);
    try { return diff.changes(); } finally { diff.free(); }
  }

  /**
   * guardWhole for a write adopted from a worker's result: the large write guard where there is one,
   * given `diffed`'s change list (made in a worker) or, without one, the list made here.
   */
  private async guardAdopted(target: DatastoreName, sessionId: number, next: DataTree, diffed: () => Promise<DiffChange[] | null>): Promise<void> {
    if (this.authorizeLargeWrite === undefined) {
      this.guardWhole(target, sessionId, next);
      return;
    }
    await this.authorizeLargeWrite({
      target, sessionId,
      changes: async () => (await diffed()) ?? this.changesBetween(this.tree(target), next),
    });
  }

  /** The write guard over a whole-tree change of `target` into `next` (copy-config, delete-config, the whole-tree edit). */
  private guardWhole(target: DatastoreName, sessionId: number, next: DataTree, freeNext = false): void {
    try {
      this.authorizeWrite?.(writeRequest(target, sessionId, () => this.changesBetween(this.tree(target), next)));
    } finally {
      if (freeNext) next.free();
    }
  }

  /**
   * Persists first (in canonical order), then swaps: a failed write leaves the old startup in place.
   * `made`: what a worker already made, the changes from startup (a diff started with the copy) and the
   * file's text; what it lacks is made here.
   */
  private async setStartup(tree: DataTree, why: Omit<StartupChange, 'changes'>,
    made: { readonly diffed?: Promise<DiffChange[] | null> | undefined; readonly xml?: string | undefined } = {}): Promise<void> {
    let changes: DiffChange[] = [];
    try {
      if (this.startupSaved !== undefined) changes = (await made.diffed) ?? this.changesBetween(this.startup, tree);
    } catch (err) {
      // The diff past the write limit, say: nothing was saved.
      tree.free();
      throw err;
    }
    try {
      // The worker's text was printed in canonical order; the tree is put in order when a read needs it (tree()).
      if (made.xml === undefined) sortTree(tree);
      await this.startupFile?.write(made.xml ?? tree.print({ format: 'xml', withDefaults: 'explicit' }));
    } catch (err) {
      tree.free();
      if (err instanceof DatastoreError) throw err;
      // The log gets the cause with the file; the client gets what failed and
      // the error code, never the server's filesystem paths.
      const code = (err as NodeJS.ErrnoException).code;
      this.logger?.error({ err, file: this.startupFile?.path }, 'the startup datastore could not be saved');
      throw new DatastoreError(detail('operation-failed',
        `the startup datastore could not be saved${code !== undefined ? ` (${code})` : ''}; the previous startup configuration is kept, the server log has the cause`));
    }
    this.startup.free();
    this.startup = tree;
    this.epoch++;
    this.logs.startup.record(null);
    if (made.xml === undefined) this.ordered.add('startup');
    else this.ordered.delete('startup');
    this.startupSaved?.({ ...why, changes });
  }

  /**
   * resetCandidate() from `chunks`, which hold what running holds now: parsed a chunk per turn.
   * Until the last turn, a read of candidate gets the candidate of before this write.
   */
  private async resetCandidateFrom(chunks: readonly string[]): Promise<void> {
    let tree: DataTree;
    try {
      tree = await this.parseChunks(chunks);
    } catch (err) {
      // Running already holds the write: the write stands, and candidate is copied from running instead.
      this.logger?.warn({ err: (err as Error).message }, 'candidate could not be made from running\'s chunks; copied whole');
      this.resetCandidate();
      return;
    }
    this.candidate.free();
    this.candidate = tree;
    this.epoch++;
    this.logs.candidate.record(null);
    this.ordered.delete('candidate');
    this.candidateDirty = false;
    this.candidateValid = true;
    this.pending = new Set();
    this.adopted.set('candidate', { version: this.version('candidate'), chunks });
  }

  /** Candidate becomes running again: only the recorded paths are copied back when they are known. */
  private resetCandidate(): void {
    this.epoch++;
    const paths = this.pending === null ? null : [...this.pending];
    if (paths === null || !copyPaths(this.candidate, this.running, paths)) {
      this.candidate.free();
      this.candidate = this.running.dup();
      this.logs.candidate.record(null);
      if (this.ordered.has('running')) this.ordered.add('candidate');
      else this.ordered.delete('candidate');
    } else if (paths.length > 0) {
      this.logs.candidate.record(paths);
      this.ordered.delete('candidate');
    }
    this.candidateDirty = false;
    this.candidateValid = true;
    this.pending = new Set();
  }

  /**
   * The steps of a large write (LARGE_EDIT_CHARS and more) made first in a worker under the time limit
   * (checkSteps): their result to adopt, or null.
   */
  private async checkLarge(steps: WriteSteps): Promise<readonly string[] | null> {
    if (steps.xml.length < LARGE_EDIT_CHARS || this.checkSteps === undefined) return null;
    return this.checkSteps(steps);
  }

  /**
   * Parses <config> content without validating it: an edit is validated only
   * once applied, and its nc:operation attributes are kept as metadata. The
   * content of an edit-config may name a leaf to delete or remove without its
   * value (RFC 6241 §7.2; ncclient and Ansible send `<description
   * nc:operation="delete"/>`), even where the empty value is not valid for the
   * leaf's type. JSON: a tree validated elsewhere (checkSteps' result), parsed as it is.
   */
  private parseConfig(text: string, opts: { readonly edit?: boolean; readonly format?: 'xml' | 'json' } = {}): DataTree {
    try {
      return this.context.parseData(text, { format: opts.format ?? 'xml', validate: false, configOnly: true, strict: true, edit: opts.edit ?? false });
    } catch (err) {
      const errors = libyangErrors(err, 'parse');
      throw errors !== undefined ? new DatastoreError(errors) : err;
    }
  }

  /** Full validation; libyang's errors become NETCONF ones. */
  private validateTree(tree: DataTree): void {
    validating(() => tree.validate({ configOnly: true }));
  }

  /** Validation of what the recorded changes can reach (DataTree.validateChanges). */
  private validateChanges(tree: DataTree): void {
    validating(() => tree.validateChanges({ configOnly: true }));
  }

  private serialised<T>(op: () => Promise<T>): Promise<T> {
    const counted = async () => {
      this.epoch++;
      this.operating = true;
      try {
        return await op();
      } finally {
        this.operating = false;
        this.settleDiscard();
        this.epoch++;
      }
    };
    const run = this.queue.then(counted, counted);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
