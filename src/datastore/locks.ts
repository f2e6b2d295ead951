// Global configuration locks (RFC 6241 §7.5): one owner session per datastore.
import { DatastoreError, detail } from './errors.js';

export type DatastoreName = 'running' | 'candidate' | 'startup';

export class LockTable {
  private readonly owners = new Map<DatastoreName, number>();
  private readonly since = new Map<DatastoreName, Date>();

  owner(name: DatastoreName): number | null {
    return this.owners.get(name) ?? null;
  }

  /** When the current lock on `name` was taken (ietf-netconf-monitoring locked-time). */
  lockedAt(name: DatastoreName): Date | null {
    return this.owners.has(name) ? (this.since.get(name) ?? null) : null;
  }

  lock(name: DatastoreName, sessionId: number): void {
    const holder = this.owners.get(name);
    if (holder !== undefined) {
      // error-info carries the holder's session-id; 0 would mean a non-NETCONF entity.
      throw new DatastoreError(detail('lock-denied', `the ${name} datastore is already locked by session ${holder}`,
        { type: 'protocol', info: { sessionId: holder } }));
    }
    this.owners.set(name, sessionId);
    this.since.set(name, new Date());
  }

  unlock(name: DatastoreName, sessionId: number): void {
    const holder = this.owners.get(name);
    if (holder === undefined) {
      throw new DatastoreError(detail('operation-failed', `the ${name} datastore is not locked`, { type: 'protocol' }));
    }
    if (holder !== sessionId) {
      throw new DatastoreError(detail('operation-failed', `the ${name} datastore is locked by session ${holder}, not by this session`,
        { type: 'protocol', info: { sessionId: holder } }));
    }
    this.owners.delete(name);
  }

  /** Fails with in-use when another session holds the lock on `name`. */
  assertWritable(name: DatastoreName, sessionId: number): void {
    const holder = this.owners.get(name);
    if (holder !== undefined && holder !== sessionId) {
      throw new DatastoreError(detail('in-use', `the ${name} datastore is locked by session ${holder}`,
        { type: 'protocol', info: { sessionId: holder } }));
    }
  }

  /** Locks die with their session (RFC 6241 §7.5). Returns the datastores released. */
  releaseSession(sessionId: number): DatastoreName[] {
    const released: DatastoreName[] = [];
    for (const [name, owner] of this.owners) {
      if (owner === sessionId) { this.owners.delete(name); released.push(name); }
    }
    return released;
  }
}
