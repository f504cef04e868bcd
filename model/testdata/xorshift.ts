/**
 * A seeded xorshift32 generator for the model's randomized tests: the same
 * seed gives the same sequence, so a failing case can be replayed.
 *
 * @module
 */

/**
 * A generator of numbers in [0, 1) from `seed` (a non-zero integer).
 *
 * @example
 * ```ts
 * import { xorshift } from "./xorshift.ts";
 * const a = xorshift(7), b = xorshift(7);
 * if (a() !== b() || a() >= 1) throw new Error("same seed, same sequence, below 1");
 * ```
 */
export function xorshift(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}
