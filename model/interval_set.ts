/**
 * {@linkcode IntervalSet}: a union of disjoint, coalesced `[start, end)`
 * byte ranges, sized for devices holding 100,000+ extents, on an
 * `OrderedMap` (start -> end; sorted chunks, see `ordered_map.ts`):
 * `overlaps`, `covers`, `insert` and `subtract` in O(log n + k) for k ranges
 * touched.
 *
 * @module
 */

import { type OrderedEntry, OrderedMap } from "./ordered_map.ts";

/** A half-open byte range `[start, end)`. */
export interface Range {
  /** First byte. */
  start: bigint;
  /** One past the last byte. */
  end: bigint;
}

/**
 * A set of bytes stored as disjoint, coalesced `[start, end)` ranges.
 *
 * @example
 * ```ts
 * import { IntervalSet } from "./interval_set.ts";
 * const s = new IntervalSet();
 * s.insert(0n, 64n);
 * s.subtract(16n, 32n);
 * if (s.covers(0n, 16n) !== true || s.covers(0n, 32n) !== false) throw new Error("covers");
 * if (s.overlaps(20n, 40n) !== true || s.overlaps(16n, 32n) !== false) throw new Error("overlaps");
 * if ([...s].length !== 2) throw new Error("split");
 * ```
 */
export class IntervalSet {
  #map = new OrderedMap<bigint>();

  /** Number of disjoint ranges. */
  get rangeCount(): number {
    return this.#map.size;
  }

  /** Whether any byte of `[start, end)` is in the set (false for an empty range). */
  overlaps(start: bigint, end: bigint): boolean {
    if (end <= start) return false;
    const f = this.#map.floor(end - 1n);
    return f !== undefined && f.value > start;
  }

  /** Whether every byte of `[start, end)` is in the set (true for an empty range). */
  covers(start: bigint, end: bigint): boolean {
    if (end <= start) return true;
    const f = this.#map.floor(start);
    return f !== undefined && f.value >= end;
  }

  /** Adds `[start, end)`, merging with ranges it overlaps or touches. */
  insert(start: bigint, end: bigint): void {
    if (end <= start) return;
    let s = start;
    let e = end;
    const f = this.#map.floor(start);
    if (f !== undefined && f.value >= start) {
      s = f.key;
      if (f.value > e) e = f.value;
    }
    // Every range starting in [s, e] merges into the new one.
    for (let n = this.#map.ceiling(s); n !== undefined && n.key <= e; n = this.#map.ceiling(s)) {
      if (n.value > e) e = n.value;
      this.#map.delete(n.key);
    }
    this.#map.set(s, e);
  }

  /** Removes `[start, end)`, splitting ranges it cuts. */
  subtract(start: bigint, end: bigint): void {
    if (end <= start) return;
    const f = this.#map.floor(start);
    const from = f !== undefined && f.value > start ? f.key : start;
    const touched: OrderedEntry<bigint>[] = [];
    for (const n of this.#map.entriesFrom(from)) {
      if (n.key >= end) break;
      touched.push(n);
    }
    for (const n of touched) {
      const s = n.key;
      const e = n.value;
      this.#map.delete(s);
      if (s < start) this.#map.set(s, start);
      if (e > end) this.#map.set(end, e);
    }
  }

  /** Removes everything. */
  clear(): void {
    this.#map.clear();
  }

  /** The ranges in address order. */
  *[Symbol.iterator](): Generator<Range> {
    for (const n of this.#map.entries()) yield { start: n.key, end: n.value };
  }
}
