// Edit candidate and commit it, as a client's transaction; a refusal (validation, a conflict, the
// apply hook) is discarded so the next transaction starts from running. Shared by the tests that drive
// Datastores through many transactions, some of them meant to be refused.
import type { Datastores } from '../../src/datastore/datastores.js';

/** Whether the change was applied. */
export async function commitOrDiscard(ds: Datastores, config: string, sessionId: number): Promise<boolean> {
  try {
    await ds.editConfig('candidate', config, {}, sessionId);
    await ds.commit(sessionId);
    return true;
  } catch {
    await ds.discardChanges(sessionId);
    return false;
  }
}
