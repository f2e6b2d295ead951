// RFC 6241 §8.4 confirmed commit, :confirmed-commit:1.1 flavour.
//
// A confirmed commit applies the candidate at once and keeps the running
// configuration from before it as the rollback point. Unless a confirming
// commit arrives within confirm-timeout, running — and through the datastore's
// apply hook, the engine — goes back to that point. Without <persist> the
// confirmed commit belongs to its session: only that session may extend,
// confirm or cancel it, and its end rolls it back. With <persist> any session
// presenting the matching <persist-id> may, and session ends do not matter.
import type { DataTree } from 'libyang-wasm';
import { SYSTEM_SESSION, type Datastores } from '../datastore/datastores.js';
import { DatastoreError, detail } from '../datastore/errors.js';
import { realClock, type Clock } from '../clock.js';

export type ConfirmEvent = 'start' | 'cancel' | 'timeout' | 'extend' | 'complete';

/** Who did it, for the RFC 6470 netconf-confirmed-commit notification. */
export interface CommitActor {
  readonly id: number;
  readonly username: string;
  readonly sourceHost: string;
}

export interface ConfirmedCommitEvent {
  readonly event: ConfirmEvent;
  /** Absent for 'timeout' (RFC 6470: no session caused it). */
  readonly actor: CommitActor | null;
  /** Seconds left, for 'start' and 'extend'. */
  readonly timeoutSeconds: number | null;
}

export interface CommitRequest {
  readonly confirmed: boolean;
  readonly timeoutSeconds: number;
  readonly persist: string | null;
  readonly persistId: string | null;
}

interface Pending {
  /** Running as it was before the first confirmed commit. */
  readonly rollbackTo: DataTree;
  owner: number;
  persist: string | null;
  timer: LongTimer;
}

/** Node's setTimeout holds at most 2^31-1 ms (24.8 days); longer delays overflow to 1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * A timer for any confirm-timeout of the uint32 range (up to 136 years),
 * run as a chain of timeouts of at most MAX_TIMEOUT_MS. A single setTimeout
 * of more than 2,147,483 s fired at once: the confirmed commit answered <ok/>
 * and was rolled back within milliseconds.
 */
class LongTimer {
  private handle: unknown;

  constructor(private readonly clock: Clock, delayMs: number, private readonly onFire: () => void) {
    this.arm(clock.now() + delayMs);
  }

  private arm(dueAt: number): void {
    const left = dueAt - this.clock.now();
    if (left <= 0) {
      this.handle = undefined;
      this.onFire();
      return;
    }
    this.handle = this.clock.setTimeout(() => this.arm(dueAt), Math.min(left, MAX_TIMEOUT_MS));
  }

  clear(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }
}

export interface ConfirmedCommitOptions {
  readonly datastores: Datastores;
  readonly onEvent?: (event: ConfirmedCommitEvent) => void;
  /** Reports a rollback that failed (the engine refused the old configuration). */
  readonly onRollbackError?: (err: unknown) => void;
  /** Times the confirm-timeout; default realClock. */
  readonly clock?: Clock;
}

function error(tag: 'invalid-value' | 'operation-failed', message: string, element?: string): DatastoreError {
  return new DatastoreError(detail(tag, message, { type: 'protocol', info: element ? { badElement: element } : {} }));
}

export class ConfirmedCommit {
  private pending: Pending | null = null;

  constructor(private readonly options: ConfirmedCommitOptions) {}

  /** True while a confirmed commit waits for its confirmation. */
  get inProgress(): boolean {
    return this.pending !== null;
  }

  async commit(actor: CommitActor, req: CommitRequest): Promise<void> {
    const pending = this.pending;
    if (pending !== null) this.assertMayAct(pending, actor, req.persistId, 'persist-id');
    else if (req.persistId !== null) throw error('invalid-value', 'no confirmed commit is pending for this persist-id', 'persist-id');

    if (!req.confirmed) {
      await this.options.datastores.commit(actor.id);
      if (pending !== null) {
        this.finish(pending);
        this.emit('complete', actor, null);
      }
      return;
    }

    const rollbackTo = pending?.rollbackTo ?? this.options.datastores.snapshotRunning();
    try {
      await this.options.datastores.commit(actor.id);
    } catch (err) {
      if (pending === null) rollbackTo.free();
      throw err;
    }
    if (pending !== null) pending.timer.clear();
    const timer = new LongTimer(this.options.clock ?? realClock, req.timeoutSeconds * 1000, () => void this.rollback('timeout', null));
    this.pending = { rollbackTo, owner: actor.id, persist: req.persist ?? pending?.persist ?? null, timer };
    this.emit(pending === null ? 'start' : 'extend', actor, req.timeoutSeconds);
  }

  async cancel(actor: CommitActor, persistId: string | null): Promise<void> {
    const pending = this.pending;
    if (pending === null) throw error('operation-failed', 'no confirmed commit is in progress');
    this.assertMayAct(pending, actor, persistId, 'persist-id');
    await this.rollback('cancel', actor);
  }

  /** A session ended: its non-persistent confirmed commit is rolled back (RFC 6241 §8.4.1). */
  async sessionEnded(sessionId: number): Promise<void> {
    const pending = this.pending;
    if (pending !== null && pending.persist === null && pending.owner === sessionId) {
      await this.rollback('cancel', null);
    }
  }

  /** Agent shutdown: timers stop; running stays as it is (it was never confirmed, nor saved). */
  close(): void {
    if (this.pending !== null) this.finish(this.pending);
  }

  private assertMayAct(pending: Pending, actor: CommitActor, persistId: string | null, element: string): void {
    if (pending.persist !== null) {
      if (persistId !== pending.persist) throw error('invalid-value', 'persist-id does not match the pending confirmed commit', element);
    } else if (pending.owner !== actor.id) {
      throw error('operation-failed', `a confirmed commit of session ${pending.owner} is pending; only that session may commit or cancel it`);
    }
  }

  private async rollback(event: 'timeout' | 'cancel', actor: CommitActor | null): Promise<void> {
    const pending = this.pending;
    if (pending === null) return;
    this.pending = null;
    pending.timer.clear();
    try {
      // An unmodified candidate follows running back by itself.
      await this.options.datastores.replaceRunning(pending.rollbackTo, 'rollback', actor?.id ?? SYSTEM_SESSION);
    } catch (err) {
      this.options.onRollbackError?.(err);
    }
    this.emit(event, actor, null);
  }

  private finish(pending: Pending): void {
    pending.timer.clear();
    pending.rollbackTo.free();
    this.pending = null;
  }

  private emit(event: ConfirmEvent, actor: CommitActor | null, timeoutSeconds: number | null): void {
    this.options.onEvent?.({ event, actor, timeoutSeconds });
  }
}
