/**
 * Small statistics over timing samples: median, percentiles, mean, and the
 * growth factor of a per-operation cost between sizes.
 *
 * @module
 */

/** A summary of samples in milliseconds. */
export interface SampleStats {
  /** Number of samples. */
  n: number;
  /** Arithmetic mean. */
  mean: number;
  /** Median (50th percentile). */
  median: number;
  /** 99th percentile (nearest rank). */
  p99: number;
  /** Smallest sample. */
  min: number;
  /** Largest sample. */
  max: number;
}

/**
 * The nearest-rank percentile `p` (0..100) of ascending-sorted samples.
 *
 * @example
 * ```ts
 * import { percentile } from "./stats.ts";
 * if (percentile([1, 2, 3, 4], 50) !== 2) throw new Error("nearest rank expected");
 * ```
 *
 * @throws {RangeError} when there are no samples or `p` is outside 0..100.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError("percentile of no samples: expected at least one");
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p}: expected 0..100`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/**
 * Summarises samples (any order).
 *
 * @example
 * ```ts
 * import { summarize } from "./stats.ts";
 * const s = summarize([3, 1, 2]);
 * if (s.median !== 2 || s.min !== 1 || s.max !== 3) throw new Error("wrong summary");
 * ```
 *
 * @throws {RangeError} when there are no samples.
 */
export function summarize(samples: readonly number[]): SampleStats {
  if (samples.length === 0) throw new RangeError("summary of no samples: expected at least one");
  const sorted = Float64Array.from(samples).sort();
  const arr = Array.from(sorted);
  let sum = 0;
  for (const x of arr) sum += x;
  const mid = arr.length >> 1;
  const median = arr.length % 2 === 1 ? arr[mid]! : (arr[mid - 1]! + arr[mid]!) / 2;
  return {
    n: arr.length,
    mean: sum / arr.length,
    median,
    p99: percentile(arr, 99),
    min: arr[0]!,
    max: arr[arr.length - 1]!,
  };
}

/**
 * Growth factor per tenfold of a per-operation cost measured at `n1` and
 * `n2` operations: 1.0 means constant cost per operation (linear total), and
 * a tenfold-per-tenfold factor (10) would be quadratic. The cost ratio is
 * normalised to one decade: `(c2 / c1) ^ (1 / log10(n2 / n1))`.
 *
 * @example
 * ```ts
 * import { growthPerTenfold } from "./stats.ts";
 * if (growthPerTenfold(10, 1, 100, 2) !== 2) throw new Error("2x per decade expected");
 * ```
 *
 * @throws {RangeError} unless `0 < n1 < n2` and both costs are positive.
 */
export function growthPerTenfold(n1: number, c1: number, n2: number, c2: number): number {
  if (!(n1 > 0 && n2 > n1)) throw new RangeError(`sizes ${n1}, ${n2}: expected 0 < n1 < n2`);
  if (!(c1 > 0 && c2 > 0)) throw new RangeError(`costs ${c1}, ${c2}: expected both > 0`);
  return Math.pow(c2 / c1, 1 / Math.log10(n2 / n1));
}
