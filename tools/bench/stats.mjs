// Summaries the benchmark drivers print: every figure is min / median / max of its runs.

/** The median of sorted samples: the middle one, or the mean of the two middles for an even count. */
function middle(sorted) {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The median of the samples (one definition for every driver: spread() reports the same). */
export const median = (xs) => middle(Float64Array.from(xs).sort());

/** min / median / max and the count of the finite samples, or null when none. */
export function spread(xs) {
  const sorted = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!sorted.length) return null;
  return { min: sorted[0], median: middle(sorted), max: sorted.at(-1), n: sorted.length };
}

/** "median (min–max)", each through `format` (default: `digits` decimals); '—' for no samples. */
export function spreadText(sp, digits = 2, format = (x) => x.toFixed(digits)) {
  return sp ? `${format(sp.median)} (${format(sp.min)}–${format(sp.max)})` : '—';
}
