/**
 * Time-bounded evaluation of read requests (SPEC §4 "Bounded work").
 *
 * A <get>/<get-config> reply — the filter (xpath, or subtree turned into
 * xpath) and the printing — is computed by libyang, whose calls never yield:
 * on the main thread an O(n²) filter over 10,000 neighbors ran 244 s and every
 * other session and SSH login waited. Here each request is evaluated in one
 * of a small pool of worker threads (evaluation-thread.ts), on a copy of the
 * datastore the main thread sends it (only when the datastore changed since
 * that worker last got one). A request still running at its time limit gets
 * its worker terminated — V8 stops a wasm call mid-way — and ends with
 * operation-failed naming the limit; a fresh worker takes the old one's place.
 *
 * Requests wait for a free worker in arrival order. A session has at most one
 * request in flight (sessions handle their rpcs in order), so with the default
 * two workers one hostile session can hold at most one of them, for at most
 * the time limit, while the other serves everyone else.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { DatastoreName } from '../datastore/datastores.js';
import { workerScript } from '../worker-script.js';
import type { ReadAccess } from './nacm.js';
import { annotateRunningOrigins } from './nmda-shape.js';
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
  /** The datastore as XML (Datastores.print), when the worker's copy is stale. */
  readonly snapshot?: string;
  readonly state: readonly string[];
  readonly filter: { readonly xpath: string | null; readonly namespaces?: Readonly<Record<string, string>> } | null;
  readonly mode: WithDefaultsMode;
  /** Without `config` when the worker already holds that generation's /nacm configuration. */
  readonly access: ReadAccess | null;
  readonly nmda: NmdaShaping | null;
}

/** worker → main */
export type EvaluationReply =
  | { readonly type: 'reply'; readonly id: number; readonly ok: true; readonly xml: string }
  | { readonly type: 'reply'; readonly id: number; readonly ok: false; readonly kind: 'invalid-filter' | 'internal'; readonly message: string };

/** The datastore contents the pool copies into its workers. */
export interface SnapshotSource {
  /** Changes whenever any datastore may have changed. */
  readonly changeEpoch: number;
  /** The datastore printed for a worker, its implicit defaults tagged. */
  print(name: DatastoreName): string;
}

export interface EvaluationPoolOptions {
  readonly datastores: SnapshotSource;
  readonly logger: Logger;
  /** Worker threads; default DEFAULT_EVALUATION_WORKERS. */
  readonly workers?: number;
  /** Time limit of one request's evaluation; default DEFAULT_EVALUATION_TIMEOUT_MS. */
  readonly timeoutMs?: number;
}

export const DEFAULT_EVALUATION_WORKERS = 2;
export const DEFAULT_EVALUATION_TIMEOUT_MS = 10_000;

interface Job {
  readonly request: EvaluationRequest;
  readonly resolve: (xml: string) => void;
  readonly reject: (err: unknown) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  busy: boolean;
  /** changeEpoch of each datastore copy the worker holds. */
  readonly loaded: Map<EvaluationSource, number>;
  /** Generation of the /nacm configuration the worker holds (ReadAccess), -1 for none. */
  nacmGeneration: number;
}

export class EvaluationPool {
  readonly timeoutMs: number;
  private readonly slots: Slot[] = [];
  private readonly waiting: Job[] = [];
  private readonly log: Logger;
  private snapshotCache = new Map<EvaluationSource, { epoch: number; xml: string }>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: EvaluationPoolOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_EVALUATION_TIMEOUT_MS;
    this.log = options.logger;
  }

  /** Starts the workers; resolves once each has loaded the schema. */
  async start(): Promise<void> {
    const count = Math.max(1, this.options.workers ?? DEFAULT_EVALUATION_WORKERS);
    await Promise.all(Array.from({ length: count }, () => this.spawn()));
  }

  /** The reply content (inside <data>) of a read request; rejects with an RpcError. */
  evaluate(request: EvaluationRequest): Promise<string> {
    if (this.closed) return Promise.reject(new RpcError({ type: 'application', tag: 'operation-failed', message: 'the server is shutting down' }));
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      this.dispatch(true);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(new RpcError({ type: 'application', tag: 'operation-failed', message: 'the server is shutting down' }));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private spawn(): Promise<void> {
    const worker = new Worker(workerScript(import.meta.url, './evaluation-thread.js'));
    const slot: Slot = { worker, ready: false, busy: false, loaded: new Map(), nacmGeneration: -1 };
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
   * and when a worker starts) idle workers also load the current running now,
   * so that the next request (while another worker is held by a long one) does
   * not wait for that; only then, so a burst of writes does not make the
   * workers reload running after each.
   */
  private dispatch(warmIdle = false): void {
    for (;;) {
      const slot = this.slots.find((s) => s.ready && !s.busy);
      const job = slot && this.waiting.shift();
      if (slot === undefined || job === undefined) break;
      this.run(slot, job);
    }
    if (!warmIdle) return;
    const epoch = this.options.datastores.changeEpoch;
    for (const slot of this.slots) {
      if (slot.ready && !slot.busy && slot.loaded.get('running') !== epoch) this.warm(slot);
    }
  }

  /** Has `slot` load running (an empty evaluation that carries the snapshot). */
  private warm(slot: Slot): void {
    const done = () => undefined;
    this.run(slot, { request: { source: 'running', state: [], filter: { xpath: null }, mode: 'explicit', access: null }, resolve: done, reject: done });
  }

  private snapshot(name: EvaluationSource): { epoch: number; xml: string } {
    const epoch = this.options.datastores.changeEpoch;
    const cached = this.snapshotCache.get(name);
    if (cached !== undefined && cached.epoch === epoch) return cached;
    const fresh = { epoch, xml: name === 'operational' ? annotateRunningOrigins(this.snapshot('running').xml) : this.options.datastores.print(name) };
    this.snapshotCache.set(name, fresh);
    return fresh;
  }

  private run(slot: Slot, job: Job): void {
    slot.busy = true;
    const { request } = job;
    const id = this.nextId++;
    const snapshot = this.snapshot(request.source);
    const stale = slot.loaded.get(request.source) !== snapshot.epoch;
    // The /nacm configuration crosses only when the worker lacks its generation; the worker keeps the
    // compiled rules per user and groups (nacm.ts UserRulesCache).
    const { access } = request;
    const knownRules = access !== null && slot.nacmGeneration === access.generation;
    const message: EvaluationThreadMessage = {
      type: 'evaluate', id, source: request.source, state: request.state, mode: request.mode,
      filter: request.filter ?? null, nmda: request.nmda === undefined ? null : { ...request.nmda, notApplied: request.nmda.notApplied() },
      access: access === null ? null : knownRules ? { generation: access.generation, user: access.user, externalGroups: access.externalGroups } : access,
      ...(stale ? { snapshot: snapshot.xml } : {}),
    };
    if (access !== null) slot.nacmGeneration = access.generation;
    const finish = () => {
      clearTimeout(timer);
      slot.worker.off('message', onReply);
      slot.worker.off('error', onError);
    };
    const onReply = (reply: EvaluationReply) => {
      if (reply.type !== 'reply' || reply.id !== id) return;
      finish();
      slot.busy = false;
      if (stale) slot.loaded.set(request.source, snapshot.epoch);
      if (reply.ok) job.resolve(reply.xml);
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
    const timer = setTimeout(() => {
      finish();
      this.log.warn({ limitMs: this.timeoutMs, source: request.source }, 'request over the evaluation time limit: its worker is replaced');
      job.reject(new RpcError({
        type: 'application', tag: 'operation-failed',
        message: `the request exceeded the evaluation time limit of ${this.timeoutMs / 1000} s (netconf-eval-timeout); narrow the filter`,
      }));
      this.replace(slot);
      this.dispatch();
    }, this.timeoutMs);
    slot.worker.on('message', onReply);
    slot.worker.once('error', onError);
    slot.worker.postMessage(message);
  }
}
