/**
 * Time-bounded evaluation of read requests (SPEC §4 "Bounded work").
 *
 * A <get>/<get-config> reply — the filter (xpath, or subtree turned into
 * xpath) and the printing — is computed by libyang, whose calls never yield:
 * on the main thread an O(n²) filter over 10,000 neighbors ran 244 s and every
 * other session and SSH login waited. Here each request is evaluated in one
 * of a small pool of worker threads (evaluation-thread.ts), on a copy of the
 * datastore the main thread sends it. A worker keeps its copy of each datastore,
 * and after a change gets only that datastore's nodes at the paths that changed
 * (printing all of running took 75–150 ms of the main thread at 10,000
 * neighbors); it gets a whole copy only after a whole-tree change (copy-config,
 * delete-config, rollback; every change of startup) or when too far behind.
 * The operational datastore's origin annotations are made in the
 * worker from its copy of running. A request still running at its time limit gets
 * its worker terminated — V8 stops a wasm call mid-way — and ends with
 * operation-failed naming the limit; a fresh worker takes the old one's place.
 *
 * A large write's libyang steps (parse, edit, validation: Datastores' checkSteps) are made the same
 * way, on the worker's copy of the datastore edited, under a limit of their own (they grow with the
 * write's size, DEFAULT_WRITE_TIMEOUT_MS), so a pathological validation is cut off in the worker
 * instead of holding the main thread. When they succeed, the worker sends the validated tree as JSON
 * and the main thread adopts it with one parse; when they fail, the main thread makes them again to
 * report the errors exactly as a write it makes alone (the worker ended within the limit, so that is
 * bounded too).
 *
 * A datastore's whole validation (<validate> of a datastore, a commit of a candidate not known valid:
 * Datastores' checkValid) is made the same way, under the write limit, on a duplicate of the worker's
 * copy brought to the datastore's version; its rpc-errors come back mapped as the main thread maps
 * them, and for a commit the validated tree as JSON chunks, which the main thread adopts a chunk per turn.
 *
 * A datastore's diff to a large write's result (Datastores' checkDiff: running's for an edit of
 * running, a commit or a copy-config adopted as JSON chunks; the target's for a large write's NACM
 * check) is made the same way, on the worker's copy of the datastore brought to its version, under the
 * write limit: the change list comes back as one transferred buffer of compact records
 * (DataDiff.changeRecords), which the main thread decodes a slice per turn.
 *
 * Requests wait for a free worker in arrival order. A session has at most one request in flight
 * (sessions handle their rpcs in order), so one hostile session can hold at most one worker, for at
 * most the time limit. Writes and validations hold at most one worker at once and do not take the
 * last idle one until they have waited the evaluation limit (MAX_WRITE_WORKERS), so with the default
 * three workers a long write and an expensive filter together still leave one to everyone else's reads.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { DatastoreDiff, DatastoreName, DatastoreValidation, WriteSteps } from '../datastore/datastores.js';
import type { ErrorDetail } from '../datastore/errors.js';
import { workerScript } from '../worker-script.js';
import { pathSteps } from './data-path.js';
import type { ReadAccess } from './nacm.js';
import type { WithDefaultsMode } from './operation-args.js';
import { RpcError } from './rpc-error.js';

/** The filter of a request: undefined selects everything, xpath null selects nothing (RFC 6241 §6.4.2). */
export type EvaluationFilter = { readonly xpath: string | null; readonly namespaces?: Readonly<Record<string, string>> } | undefined;

/**
 * What a tree is read from: a datastore, or operational (nmda.ts): running annotated with its
 * origins, which the request's state is merged over.
 */
export type EvaluationSource = DatastoreName | 'operational';

/** RFC 8526 <get-data>'s parameters beyond <get>'s, applied in the worker too (nmda.ts). */
export interface NmdaShaping {
  /** true: config true nodes only (the state is not merged); false: config false nodes only (the state alone). */
  readonly configFilter?: boolean;
  /** Levels below each selected node; undefined: unbounded. */
  readonly maxDepth?: number;
  /** Keep the origin annotations in the reply. */
  readonly withOrigin: boolean;
  /** origin-filter: the origins (ietf-origin identity names) a configuration node must have to be returned. */
  readonly originFilter?: readonly string[];
  /** Config nodes the engine could not apply as written, removed before anything else sees the tree. */
  readonly notApplied: readonly string[];
}

/**
 * get-data's shaping as requested: the not-applied list is read when the request takes its
 * snapshot of running (run()), not when it was queued, so a reply during a commit's reconcile
 * pairs running and that list of one and the same state.
 */
export interface NmdaRequest extends Omit<NmdaShaping, 'notApplied'> {
  readonly notApplied: () => readonly string[];
}

export interface EvaluationRequest {
  readonly source: EvaluationSource;
  /** State data (XML documents) merged over the datastore first, for <get>. */
  readonly state: readonly string[];
  readonly filter: EvaluationFilter;
  readonly mode: WithDefaultsMode;
  /**
   * The session's NACM read rules (RFC 8341 §3.4.5), applied in the worker to the datastore and state
   * before the filter; null when nothing restricts the session.
   */
  readonly access: ReadAccess | null;
  /** Present for <get-data>. */
  readonly nmda?: NmdaRequest;
}

/** main → worker */
export interface EvaluationThreadMessage {
  readonly type: 'evaluate';
  readonly id: number;
  readonly source: EvaluationSource;
  /** The datastore (SnapshotSource.snapshot), when the worker's copy is stale; for operational, running. */
  readonly snapshot?: Snapshot;
  /**
   * Instead of a snapshot: the datastore's nodes at `paths` (Datastores.printAt), which bring the
   * worker's copy up to date.
   */
  readonly changes?: { readonly paths: readonly string[]; readonly xml: string };
  readonly state: readonly string[];
  readonly filter: { readonly xpath: string | null; readonly namespaces?: Readonly<Record<string, string>> } | null;
  readonly mode: WithDefaultsMode;
  /** Without `config` when the worker already holds that generation's /nacm configuration. */
  readonly access: ReadAccess | null;
  readonly nmda: NmdaShaping | null;
  /** Instead of an evaluation: a write's steps, made on the copy of `source` (or alone) and dropped. */
  readonly write?: WriteSteps;
  /**
   * Instead of an evaluation: a whole validation of a copy of `source`'s copy, with its result (the
   * tree as chunks) and its print (as the startup file holds it) on request.
   */
  readonly validate?: { readonly result: boolean; readonly print?: boolean };
  /**
   * Instead of an evaluation: the change list from the copy of `source` to the tree of `chunks`
   * (large-write.ts). The worker keeps that tree (its kept tree) until `adoptKept` or `dropKept`.
   */
  readonly diff?: { readonly chunks: readonly string[] };
  /**
   * Instead of a snapshot: the datastore now holds exactly the chunks of the worker's kept tree, which
   * becomes its copy (no parse: 1.6–2 s at 100,000 neighbors).
   */
  readonly adoptKept?: true;
  /** The kept tree will not be adopted (running changed to something else): free it. */
  readonly dropKept?: true;
}

/** worker → main */
export type EvaluationReply =
  /** The worker's copy is current: the request's evaluation, and its time limit, start now. */
  | { readonly type: 'loaded'; readonly id: number }
  | { readonly type: 'reply'; readonly id: number; readonly ok: true; readonly xml: string }
  /** A write's steps (checkWrite): their result to adopt (makeWriteSteps), or null. */
  | { readonly type: 'reply'; readonly id: number; readonly ok: true; readonly chunks: readonly string[] | null }
  | { readonly type: 'reply'; readonly id: number; readonly ok: false; readonly kind: 'invalid-filter' | 'internal'; readonly message: string }
  /** The outcome of a `validate` job: the validation's rpc-errors (none: valid), and the validated tree and its print when asked for. */
  | { readonly type: 'validated'; readonly id: number; readonly errors: readonly ErrorDetail[]; readonly chunks: readonly string[] | null; readonly xml: string | null }
  /** The outcome of a `diff` job: its change list as DataDiff.changeRecords makes it (the buffer is transferred). */
  | { readonly type: 'diffed'; readonly id: number; readonly records: Uint8Array }
  /** The worker has no copy to update (the changes could not be copied into it: an ordered-by user entry): send a snapshot. */
  | { readonly type: 'reply'; readonly id: number; readonly ok: false; readonly kind: 'resync' };

/**
 * A datastore whole, for a worker: printed as XML with its implicit defaults tagged, or the JSON chunks
 * of a large write's result (large-write.ts) while the datastore holds exactly that.
 */
export type Snapshot = string | readonly string[];

/** The datastore contents the pool copies into its workers (Datastores). */
export interface SnapshotSource {
  /** Changes exactly when the datastore's content does. */
  version(name: DatastoreName): number;
  /** The datastore whole for a worker (a print of 100,000 neighbors holds the main thread 1–2 s; the chunks cost nothing). */
  snapshot(name: DatastoreName): Snapshot;
  /** Where the datastore changed since `version`; null when unknown. */
  changedSince(name: DatastoreName, version: number): string[] | null;
  /** The datastore's nodes at `paths`, printed like print(); null when they cannot be copied alone. */
  printAt(name: DatastoreName, paths: readonly string[]): string | null;
  /**
   * The chunks of the large write the datastore was set from, while it holds exactly them (what
   * snapshot() returns then), else null; never prints. Optional: without it, kept trees are not adopted.
   */
  adoptedChunks?(name: DatastoreName): readonly string[] | null;
}

export interface EvaluationPoolOptions {
  readonly datastores: SnapshotSource;
  readonly logger: Logger;
  /** Worker threads; default DEFAULT_EVALUATION_WORKERS. */
  readonly workers?: number;
  /** Time limit of one request's evaluation; default DEFAULT_EVALUATION_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** Time limit of a large write's steps (checkWrite); default DEFAULT_WRITE_TIMEOUT_MS. */
  readonly writeTimeoutMs?: number;
}

/**
 * Past this many changed paths, or with a whole top-level node among them, a worker gets running whole:
 * copying the changed subtrees out before printing them costs about twice a print of as much (at
 * 10,000 neighbors created: 453 ms against 206 ms for all of running, and in the worker 500 ms against
 * 270 ms), so the changed paths pay only for changes well smaller than running.
 */
const MAX_CHANGED_PATHS = 1000;

/**
 * How long bringing a worker's copy up to date may take, before the request's own time limit starts:
 * the server's own work, the size of the datastore (270 ms for 10,000 neighbors on an idle machine),
 * not the client's. Counted within the request's limit, a fresh worker loading a large running on a
 * loaded machine was ended at the limit, and its replacement too, again and again.
 */
const COPY_LOAD_LIMIT_MS = 120_000;

export const DEFAULT_EVALUATION_WORKERS = 3;

/**
 * Writes' steps, validations and diffs (isWrite) hold at most this many workers at once, and not the last
 * idle one (EvaluationPool.dispatch); the others wait for them in arrival order. They are serialised
 * by Datastores anyway, save <validate>s; the bound keeps the other workers for reads: with the
 * default three, one long write and one expensive filter still leave a worker to everyone else.
 */
const MAX_WRITE_WORKERS = 1;

/** A job that runs under the write time limit: a write's steps, a datastore's validation or running's diff. */
function isWrite(job: Job): boolean {
  return job.write !== undefined || job.validate !== undefined || job.diff !== undefined;
}

export const DEFAULT_EVALUATION_TIMEOUT_MS = 10_000;
/**
 * A write's parse, edit and validation grow with its size, not with a filter's cleverness: an
 * edit-config of 100,000 neighbors (9 MB, the largest legitimate write) took 6–9 s in a worker on this
 * 2-core machine shared at load 4–5, and 23 s (its result's print included) at load 8.5.
 */
export const DEFAULT_WRITE_TIMEOUT_MS = 60_000;

/** What a worker answers a job that did not fail. */
type JobResult = Extract<EvaluationReply, { ok: true }>;

interface Job {
  readonly request: EvaluationRequest;
  readonly write?: WriteSteps;
  readonly validate?: { readonly result: boolean; readonly print?: boolean };
  readonly diff?: { readonly chunks: readonly string[] };
  readonly resolve: (result: JobResult) => void;
  /** A validate job's outcome, with the version of the datastore validated. */
  readonly validated?: (outcome: DatastoreValidation) => void;
  /** A diff job's outcome, with the version of the datastore it started from; null when the worker could not make it. */
  readonly diffed?: (outcome: DatastoreDiff | null) => void;
  /** When a write's job was queued (performance.now()). */
  readonly queuedAt?: number;
  readonly reject: (err: unknown) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  busy: boolean;
  /** Busy with a write's steps or a validation (isWrite), which leave a worker to the reads (MAX_WRITE_WORKERS). */
  writing: boolean;
  /** Version (SnapshotSource.version) of each datastore copy the worker holds. */
  readonly loaded: Map<DatastoreName, number>;
  /** Generation of the /nacm configuration the worker holds (ReadAccess), -1 for none. */
  nacmGeneration: number;
  /**
   * The chunks whose tree the worker keeps from its last diff (the tree running is about to hold), or
   * null: a read of a datastore set from them adopts it rather than parsing them again.
   */
  kept: readonly string[] | null;
}

export class EvaluationPool {
  readonly timeoutMs: number;
  readonly writeTimeoutMs: number;
  private readonly workerCount: number;
  private readonly slots: Slot[] = [];
  private readonly waiting: Job[] = [];
  private readonly log: Logger;
  /** Full prints, by datastore, of the version they were printed at. */
  private readonly snapshotCache = new Map<DatastoreName, { version: number; snapshot: Snapshot }>();
  /** By datastore, its changes since a version (the key), up to version `to`. */
  private changesCache = new Map<DatastoreName, Map<number, { to: number; paths: readonly string[]; xml: string }>>();
  private nextId = 1;
  private closed = false;
  /** A worker is loading running ahead of the requests (warm). */
  private warming = false;

  constructor(private readonly options: EvaluationPoolOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_EVALUATION_TIMEOUT_MS;
    this.writeTimeoutMs = options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
    this.workerCount = Math.max(1, options.workers ?? DEFAULT_EVALUATION_WORKERS);
    this.log = options.logger;
  }

  /** Starts the workers; resolves once each has loaded the schema. */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.workerCount }, () => this.spawn()));
  }

  /** The reply content (inside <data>) of a read request; rejects with an RpcError. */
  evaluate(request: EvaluationRequest): Promise<string> {
    if (this.closed) return Promise.reject(new RpcError({ type: 'application', tag: 'operation-failed', message: 'the server is shutting down' }));
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve: (result) => resolve('xml' in result ? result.xml : ''), reject });
      this.dispatch(true);
    });
  }

  /**
   * Makes a write's steps in a worker (Datastores' checkSteps); resolves once they ended there, to the
   * result as JSON chunks (makeWriteSteps; or null: see WriteStepsCheck), rejects with operation-failed
   * past the write time limit.
   */
  checkWrite(write: WriteSteps): Promise<readonly string[] | null> {
    if (this.closed) return Promise.reject(new RpcError({ type: 'application', tag: 'operation-failed', message: 'the server is shutting down' }));
    // A write alone (base null) needs no copy: the request names running, which workers hold anyway.
    const request: EvaluationRequest = { source: write.base ?? 'running', state: [], filter: undefined, mode: 'explicit', access: null };
    return new Promise((resolve, reject) => {
      this.queueWrite({ request, write, resolve: (result) => resolve('chunks' in result ? result.chunks : null), reject });
    });
  }

  /**
   * Validates a datastore whole in a worker, on a copy of its copy brought to the datastore's version
   * (Datastores' checkValid), under the write time limit: a validation grows with the datastore, as a
   * large write does. Resolves to its rpc-errors (none: valid) and, with `result`, the validated tree
   * as JSON chunks (resultChunks); rejects with operation-failed past the limit.
   */
  checkValid(name: DatastoreName, opts: { readonly result: boolean; readonly print?: boolean }): Promise<DatastoreValidation> {
    if (this.closed) return Promise.reject(new RpcError({ type: 'application', tag: 'operation-failed', message: 'the server is shutting down' }));
    const request: EvaluationRequest = { source: name, state: [], filter: undefined, mode: 'explicit', access: null };
    return new Promise((resolve, reject) => {
      this.queueWrite({ request, validate: { result: opts.result, print: opts.print === true }, resolve: () => undefined, validated: resolve, reject });
    });
  }

  /**
   * Makes `base`'s change list to the tree of `chunks` (a large write's result, large-write.ts) in a
   * worker, on its copy of `base` brought to the datastore's version (Datastores' checkDiff), under the
   * write time limit: a diff grows with the trees, and at 100,000 neighbors it held the main thread
   * 0.5–1 s, its change list another 0.3. Resolves to the list as compact records
   * (DataDiff.changeRecords) with the version diffed, or null when the worker failed to make it
   * (logged); rejects with operation-failed past the limit.
   */
  checkDiff(base: DatastoreName, chunks: readonly string[]): Promise<DatastoreDiff | null> {
    if (this.closed) return Promise.reject(new RpcError({ type: 'application', tag: 'operation-failed', message: 'the server is shutting down' }));
    const request: EvaluationRequest = { source: base, state: [], filter: undefined, mode: 'explicit', access: null };
    return new Promise((resolve, reject) => {
      this.queueWrite({ request, diff: { chunks }, resolve: () => undefined, diffed: resolve, reject });
    });
  }

  /**
   * Queues a write's job. Past the evaluation time limit it may take the last idle worker too
   * (dispatch): reads that keep all but one worker busy, one after another, must not hold it back for
   * ever. A timer makes sure a dispatch looks at it then.
   */
  private queueWrite(job: Omit<Job, 'queuedAt'>): void {
    this.waiting.push({ ...job, queuedAt: performance.now() });
    setTimeout(() => this.dispatch(), this.timeoutMs).unref();
    this.dispatch(true);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(new RpcError({ type: 'application', tag: 'operation-failed', message: 'the server is shutting down' }));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private spawn(): Promise<void> {
    const worker = new Worker(workerScript(import.meta.url, './evaluation-thread.js'));
    const slot: Slot = { worker, ready: false, busy: false, writing: false, loaded: new Map(), nacmGeneration: -1, kept: null };
    this.slots.push(slot);
    return new Promise((resolve) => {
      const onMessage = (message: { type: string }) => {
        if (message.type !== 'ready') return;
        worker.off('message', onMessage);
        slot.ready = true;
        // dispatch() has it load running before it takes requests: the first
        // request on a fresh worker (one that replaced a terminated worker) should not pay for it.
        resolve();
        this.dispatch(true);
      };
      worker.on('message', onMessage);
      worker.once('error', (err) => {
        this.log.error({ err }, 'evaluation worker failed');
        resolve();
        this.replace(slot);
      });
    });
  }

  /** Drops a worker (terminated or failed) and starts another in its place. */
  private replace(slot: Slot): void {
    const at = this.slots.indexOf(slot);
    if (at < 0) return;
    this.slots.splice(at, 1);
    void slot.worker.terminate();
    if (!this.closed) void this.spawn();
  }

  /**
   * Hands waiting requests to idle workers. With `warmIdle` (on a new request,
   * when a worker starts, and when a warmed one is done) an idle worker also
   * loads the current running now, one at a time (warm), so that the next
   * request (while another worker is held by a long one) does not wait for
   * that; only then, so a burst of writes does not make the workers reload
   * running after each.
   */
  private dispatch(warmIdle = false): void {
    for (;;) {
      const idle = this.slots.filter((s) => s.ready && !s.busy);
      if (idle.length === 0) break;
      // In arrival order, except that a write waits while another holds a worker (MAX_WRITE_WORKERS),
      // and does not take the last idle worker: not while another is starting (a worker replaced at
      // its limit takes a second or more, and meanwhile an expensive filter may hold a third), nor
      // before it has waited the evaluation time limit (reads that keep the others busy one after
      // another must not hold a write back for ever).
      const now = performance.now();
      const starting = this.slots.some((s) => !s.ready);
      const writeMayStart = (job: Job) => this.workerCount === 1 || (this.slots.filter((s) => s.writing).length < MAX_WRITE_WORKERS &&
        (idle.length > 1 || (!starting && now - job.queuedAt! >= this.timeoutMs)));
      const at = this.waiting.findIndex((job) => !isWrite(job) || writeMayStart(job));
      if (at < 0) break;
      const job = this.waiting.splice(at, 1)[0]!;
      this.run(this.slotFor(job, idle), job);
    }
    if (!warmIdle || this.warming) return;
    const version = this.versionOf('running');
    const behind = this.slots.find((slot) => slot.ready && !slot.busy && slot.loaded.get('running') !== version);
    if (behind !== undefined) this.warm(behind);
  }

  /**
   * The idle worker to give `job`: one whose copy of its datastore is current, or one that keeps the
   * tree the datastore now holds; else the first. After a large change, the first loads the new
   * version for seconds while a current one answers at once. A write does not take the last worker
   * able to answer a read of running at once while another is idle.
   */
  private slotFor(job: Job, idle: readonly Slot[]): Slot {
    const datastore: DatastoreName = job.request.source === 'operational' ? 'running' : job.request.source;
    const version = this.versionOf(datastore);
    let slots = idle;
    if (isWrite(job) && idle.length > 1) {
      // A write leaves to the reads the one idle worker that can answer a read of running at once
      // (current, or keeping the tree running holds): a write waits seconds anyway, a read should not.
      const runningVersion = this.versionOf('running');
      const readers = idle.filter((s) => s.loaded.get('running') === runningVersion || s.kept !== null);
      if (readers.length === 1) slots = idle.filter((s) => s !== readers[0]);
    }
    const current = slots.find((s) => s.loaded.get(datastore) === version);
    if (current !== undefined) return current;
    if (slots.some((s) => s.kept !== null)) {
      const chunks = this.options.datastores.adoptedChunks?.(datastore) ?? null;
      const keeping = slots.find((s) => chunks !== null && s.kept === chunks);
      if (keeping !== undefined) return keeping;
    }
    return slots[0]!;
  }

  /**
   * Has `slot` load running (an empty evaluation that carries the snapshot); the next idle worker
   * behind is warmed once it is done. One at a time: loading a large running takes a core for seconds
   * (1.6–2 s at 100,000 neighbors), and on a 2-core machine two at once left the main thread and the
   * reads waiting for a core.
   */
  private warm(slot: Slot): void {
    this.warming = true;
    const done = () => {
      this.warming = false;
      this.dispatch(true);
    };
    this.run(slot, { request: { source: 'running', state: [], filter: { xpath: null }, mode: 'explicit', access: null }, resolve: done, reject: done });
  }

  /** The version of `name` a worker should hold now. */
  private versionOf(name: DatastoreName): number {
    return this.options.datastores.version(name);
  }

  private snapshot(name: DatastoreName): Snapshot {
    const version = this.versionOf(name);
    const cached = this.snapshotCache.get(name);
    if (cached !== undefined && cached.version === version) return cached.snapshot;
    const snapshot = this.options.datastores.snapshot(name);
    this.snapshotCache.set(name, { version, snapshot });
    return snapshot;
  }

  /**
   * What brings a worker's copy of `name` (at version `held`, undefined: none) up to date: nothing,
   * the datastore's changes since `held`, or a whole copy.
   */
  private update(name: DatastoreName, held: number | undefined): Pick<EvaluationThreadMessage, 'snapshot' | 'changes'> {
    const version = this.versionOf(name);
    if (held === version) return {};
    if (held === undefined) return { snapshot: this.snapshot(name) };
    let cache = this.changesCache.get(name);
    const cached = cache?.get(held);
    if (cached?.to === version) return { changes: cached };
    let paths = this.options.datastores.changedSince(name, held);
    if (paths !== null && (paths.length > MAX_CHANGED_PATHS || paths.some((path) => pathSteps(path).length === 1))) paths = null;
    const xml = paths === null ? null : this.options.datastores.printAt(name, paths);
    if (paths === null || xml === null) return { snapshot: this.snapshot(name) };
    // An outdated whole print (megabytes at 10,000 neighbors) is of no more use.
    if (this.snapshotCache.get(name)?.version !== version) this.snapshotCache.delete(name);
    if (cache === undefined || [...cache.values()].some((c) => c.to !== version)) this.changesCache.set(name, cache = new Map());
    const changes = { to: version, paths, xml };
    cache.set(held, changes);
    return { changes };
  }

  /**
   * What the worker's kept tree does for this job: become its copy of `datastore` (the datastore holds
   * exactly its chunks, and the copy is behind), be freed with the update (running has moved on to
   * something else), or nothing (undefined: update() alone brings the copy up to date).
   */
  private keptUpdate(slot: Slot, datastore: DatastoreName, version: number): Pick<EvaluationThreadMessage, 'snapshot' | 'changes' | 'adoptKept' | 'dropKept'> | undefined {
    if (slot.kept === null || slot.loaded.get(datastore) === version) return undefined;
    const chunks = this.options.datastores.adoptedChunks?.(datastore) ?? null;
    if (chunks === slot.kept) {
      slot.kept = null;
      return { adoptKept: true };
    }
    if (datastore !== 'running') return undefined;
    slot.kept = null;
    return { ...this.update(datastore, slot.loaded.get(datastore)), dropKept: true };
  }

  private run(slot: Slot, job: Job, resync = false): void {
    slot.busy = true;
    slot.writing = isWrite(job);
    const { request } = job;
    const id = this.nextId++;
    // Operational is made in the worker from its copy of running.
    const datastore: DatastoreName = request.source === 'operational' ? 'running' : request.source;
    if (resync) slot.loaded.delete(datastore);
    // A diff replaces the worker's kept tree (or leaves none, if it fails).
    if (job.diff !== undefined) slot.kept = null;
    const version = this.versionOf(datastore);
    const update = this.keptUpdate(slot, datastore, version) ?? this.update(datastore, slot.loaded.get(datastore));
    // The /nacm configuration crosses only when the worker lacks its generation; the worker keeps the
    // compiled rules per user and groups (nacm.ts UserRulesCache).
    const { access } = request;
    const knownRules = access !== null && slot.nacmGeneration === access.generation;
    const message: EvaluationThreadMessage = {
      type: 'evaluate', id, source: request.source, state: request.state, mode: request.mode,
      filter: request.filter ?? null, nmda: request.nmda === undefined ? null : { ...request.nmda, notApplied: request.nmda.notApplied() },
      access: access === null ? null : knownRules ? { generation: access.generation, user: access.user, externalGroups: access.externalGroups } : access,
      ...update,
      ...(job.write !== undefined ? { write: job.write } : {}),
      ...(job.validate !== undefined ? { validate: job.validate } : {}),
      ...(job.diff !== undefined ? { diff: job.diff } : {}),
    };
    if (access !== null) slot.nacmGeneration = access.generation;
    const finish = () => {
      clearTimeout(timer);
      slot.worker.off('message', onReply);
      slot.worker.off('error', onError);
    };
    const onReply = (reply: EvaluationReply) => {
      if (reply.id !== id) return;
      if (reply.type === 'loaded') {
        clearTimeout(timer);
        timer = setTimeout(overLimit, limitMs);
        return;
      }
      finish();
      slot.busy = false;
      slot.writing = false;
      if (reply.type === 'validated') {
        slot.loaded.set(datastore, version);
        job.validated!({ version, errors: reply.errors, chunks: reply.chunks, xml: reply.xml });
        this.dispatch();
        return;
      }
      if (reply.type === 'diffed') {
        slot.loaded.set(datastore, version);
        slot.kept = job.diff!.chunks;
        job.diffed!({ version, records: reply.records });
        this.dispatch();
        return;
      }
      if (job.diffed !== undefined && !reply.ok && reply.kind === 'internal') {
        // The datastores make the diff themselves.
        this.log.error({ problem: reply.message, datastore }, 'the diff of a datastore could not be made in a worker');
        slot.loaded.delete(datastore);
        job.diffed(null);
        this.dispatch();
        return;
      }
      if (!reply.ok && reply.kind === 'resync') {
        this.run(slot, job, true);
        return;
      }
      slot.loaded.set(datastore, version);
      if (reply.ok) job.resolve(reply);
      else if (reply.kind === 'invalid-filter') {
        job.reject(new RpcError({ type: 'protocol', tag: 'invalid-value', message: reply.message, info: { badElement: 'filter' } }));
      } else {
        this.log.error({ problem: reply.message }, 'evaluation failed');
        job.reject(new RpcError({ type: 'application', tag: 'operation-failed', message: 'the reply could not be computed' }));
      }
      this.dispatch();
    };
    const onError = (err: unknown) => {
      finish();
      job.reject(new RpcError({ type: 'application', tag: 'operation-failed', message: `the reply could not be computed: ${(err as Error).message}` }));
      this.dispatch();
    };
    const overLimit = () => {
      finish();
      let message: string;
      if (job.write !== undefined) {
        this.log.warn({ limitMs, target: job.write.base, bytes: job.write.xml.length }, 'write over its time limit: refused, its worker is replaced');
        message = `the write's parse and validation exceeded the write time limit of ${limitMs / 1000} s (netconf-write-timeout); nothing was changed`;
      } else if (job.diff !== undefined) {
        this.log.warn({ limitMs, datastore }, 'the diff of a datastore over the write time limit: refused, its worker is replaced');
        message = `the comparison of the change with the ${datastore} datastore exceeded the write time limit of ${limitMs / 1000} s (netconf-write-timeout); nothing was changed`;
      } else if (job.validate !== undefined) {
        this.log.warn({ limitMs, datastore }, 'validation of a datastore over the write time limit: refused, its worker is replaced');
        message = `the validation of the ${datastore} datastore exceeded the write time limit of ${limitMs / 1000} s (netconf-write-timeout); nothing was changed`;
      } else {
        this.log.warn({ limitMs: this.timeoutMs, source: request.source }, 'request over the evaluation time limit: its worker is replaced');
        message = `the request exceeded the evaluation time limit of ${this.timeoutMs / 1000} s (netconf-eval-timeout); narrow the filter`;
      }
      job.reject(new RpcError({ type: 'application', tag: 'operation-failed', message }));
      this.replace(slot);
      this.dispatch();
    };
    const limitMs = isWrite(job) ? this.writeTimeoutMs : this.timeoutMs;
    // Until the worker reports its copy loaded, the copy's limit; then the request's own.
    let timer = setTimeout(overLimit, Math.max(COPY_LOAD_LIMIT_MS, limitMs));
    slot.worker.on('message', onReply);
    slot.worker.once('error', onError);
    slot.worker.postMessage(message);
  }
}
