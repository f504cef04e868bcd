/**
 * A small seeded pseudo-random generator (SplitMix32 steps over a 32-bit
 * state): the same seed gives the same sequence on every machine, so a
 * differential program is named by its seed.
 *
 * @module
 */

/**
 * Deterministic random numbers from a 32-bit seed.
 *
 * @example
 * ```ts
 * import { Prng } from "./prng.ts";
 * const a = new Prng(7), b = new Prng(7);
 * if (a.int(1000) !== b.int(1000)) throw new Error("not deterministic");
 * ```
 */
export class Prng {
  #state: number;

  /**
   * Creates the generator.
   *
   * @param seed any integer; only its low 32 bits matter
   */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** The next 32-bit unsigned value. */
  next(): number {
    this.#state = (this.#state + 0x9e3779b9) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** An integer in `[0, n)`; `n` must be a positive integer. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) {
      throw new RangeError(`Prng.int: n is ${n}; expected a positive integer`);
    }
    return n <= 0x1_0000_0000 ? Math.floor((this.next() / 0x1_0000_0000) * n) : Math.floor(
      ((this.next() * 0x1_0000_0000 + this.next()) / 2 ** 64) * n,
    );
  }

  /** An integer in `[lo, hi]`. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Prng.pick: the list is empty");
    return items[this.int(items.length)]!;
  }

  /** One key of a table of weights, chosen in proportion to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let r = (this.next() / 0x1_0000_0000) * total;
    for (const [k, w] of entries) {
      if (r < w) return k;
      r -= w;
    }
    return entries[entries.length - 1]![0];
  }

  /** A 64-bit unsigned value. */
  bigint64(): bigint {
    return (BigInt(this.next()) << 32n) | BigInt(this.next());
  }
}

/**
 * The seed of program `index` of a run with seed `seed` (a mix of both, so
 * neighbouring programs are unrelated and each can be re-run alone).
 *
 * @example
 * ```ts
 * import { programSeed } from "./prng.ts";
 * if (programSeed(1, 0) === programSeed(1, 1)) throw new Error();
 * ```
 */
export function programSeed(seed: number, index: number): number {
  return new Prng((seed >>> 0) ^ Math.imul(index + 1, 0x27d4eb2d)).next();
}
