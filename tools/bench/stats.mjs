// Summaries the benchmark drivers print: every figure is min / median / max of its runs.

/** The upper median: the middle element of the sorted samples. */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** min / median (the lower middle) / max and the count of the finite samples, or null when none. */
export function spread(xs) {
  const sorted = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!sorted.length) return null;
  return { min: sorted[0], median: sorted[(sorted.length - 1) >> 1], max: sorted.at(-1), n: sorted.length };
}

/** "median (min–max)", each through `format` (default: `digits` decimals); '—' for no samples. */
export function spreadText(sp, digits = 2, format = (x) => x.toFixed(digits)) {
  return sp ? `${format(sp.median)} (${format(sp.min)}–${format(sp.max)})` : '—';
}
