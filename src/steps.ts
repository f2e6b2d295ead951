/**
 * Long work cut into slices so that other work runs between them: every neighbor entry of running,
 * a large message's bytes, a diff's million changes. The slices are a generator's steps (Steps): run
 * at once where a caller needs the result now (small changes, views), or a slice per event-loop turn
 * where it may be long (the full reconcile of 100,000 neighbors: about 0.7 s of reading and indexing,
 * which other sessions' requests would otherwise wait out). nextTurn is the wait between two slices.
 */
export type Steps<T> = Generator<void, T, void>;

/** Entries a slice handles before it yields: a few ms at about 3 us an entry. */
export const ENTRIES_PER_STEP = 4096;

/** The result of `steps`, run to the end at once. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * Resolves on the next event-loop turn, after the I/O callbacks already due (setImmediate): a socket's
 * data, a worker's reply and timers are served before the work goes on.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The result of `steps`, a slice per event-loop turn. */
export async function runStepsInTurns<T>(steps: Steps<T>): Promise<T> {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    await nextTurn();
  }
}
