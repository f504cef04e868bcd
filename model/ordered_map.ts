/**
 * {@linkcode OrderedMap}: a map from keys (bigints by default, or numbers) to
 * values, kept in key order, sized for devices holding 100,000+ extents.
 *
 * The entries live in sorted chunks of at most {@linkcode CHUNK_MAX} keys
 * (parallel key and value arrays), with the first key of every chunk in one
 * more array: a lookup is two binary searches over contiguous arrays, an
 * insert or delete moves at most a chunk's entries, and an entry costs no
 * object of its own. A chunk that grows past the maximum splits in two; one
 * that shrinks below a quarter of it merges with a neighbour when they fit
 * in one. So, with c = n / chunk size:
 *
 * - lookup, floor/ceiling: O(log n);
 * - insert, delete: O(log n + chunk size), plus O(c) (a move in the array
 *   of chunks) once per split or merge, i.e. O(c / chunk size) amortised;
 *   dropping the front chunk (a map emptied in key order) moves no chunk;
 * - access by index: O(c) (chunk sizes are summed);
 * - in-order walks: O(1) per step after the start.
 *
 * This replaced a treap (one node per entry and O(log n) pointer chasing per
 * operation): for the sizes the model handles (up to millions of entries)
 * the chunk terms stay small, and the arrays are cheaper to search and to
 * collect than a node per entry. It is deterministic and does no I/O.
 *
 * @module
 */

/** A key an {@linkcode OrderedMap} orders: bigints, or numbers (never NaN). */
export type Key = bigint | number;

/** One entry of an {@linkcode OrderedMap}. */
export interface OrderedEntry<V, K extends Key = bigint> {
  /** The key. */
  readonly key: K;
  /** The value. */
  readonly value: V;
}

/** Most keys one chunk holds; a chunk past it splits in two. */
export const CHUNK_MAX = 64;
/** A chunk below this many keys merges with a neighbour when both fit in one. */
const CHUNK_MIN = CHUNK_MAX / 4;

/**
 * Index of the first key in `keys` that is >= `key` (`keys.length` if none).
 * The ends are tried first: appends and removals at the front need one comparison.
 */
function lowerBound<K extends Key>(keys: readonly K[], key: K): number {
  const n = keys.length;
  if (n === 0 || !(keys[0]! < key)) return 0;
  if (keys[n - 1]! < key) return n;
  let lo = 1;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts `x` at position `i` of a chunk array (no array for the result, as `splice` makes). */
function insertAt<T>(a: T[], i: number, x: T): void {
  for (let j = a.length; j > i; j--) a[j] = a[j - 1]!;
  a[i] = x;
}

/** Removes position `i` of a chunk array (the front by `shift`, which V8 does in place). */
function removeAt<T>(a: T[], i: number): void {
  if (i === 0) {
    a.shift();
    return;
  }
  const last = a.length - 1;
  for (let j = i; j < last; j++) a[j] = a[j + 1]!;
  a.pop();
}

/**
 * A map from keys to values, kept in key order (sorted chunks).
 *
 * @example
 * ```ts
 * import { OrderedMap } from "./ordered_map.ts";
 * const m = new OrderedMap<string>();
 * m.set(30n, "c"); m.set(10n, "a"); m.set(20n, "b");
 * if (m.floor(25n)?.value !== "b") throw new Error("floor");
 * if (m.at(2)?.key !== 30n) throw new Error("at");
 * if ([...m.keys()].join() !== "10,20,30") throw new Error("order");
 * ```
 */
export class OrderedMap<V, K extends Key = bigint> {
  /**
   * Sorted, non-empty chunks of keys from index `#head` on (the slots before
   * it are dropped chunks, reclaimed by compaction); all keys of a chunk
   * precede the next chunk's.
   */
  #keys: K[][] = [];
  /** The values, chunk for chunk and position for position with `#keys`. */
  #values: V[][] = [];
  /** The first key of each chunk. */
  #firsts: K[] = [];
  /** Index of the first live chunk: dropping the front chunk moves it, not the others. */
  #head = 0;
  #size = 0;

  /** Number of entries. */
  get size(): number {
    return this.#size;
  }

  /**
   * Index of the last chunk whose first key is <= `key` (the first chunk
   * when none is; only called on a non-empty map). The first and the last
   * chunk are tried before the search: keys that grow (handles, addresses
   * given in order) and maps emptied from the front land there.
   */
  #chunkFor(key: K): number {
    const f = this.#firsts;
    const head = this.#head;
    const last = f.length - 1;
    if (last === head || key < f[head + 1]!) return head;
    if (f[last]! <= key) return last;
    let lo = head + 1;
    let hi = last - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (f[mid]! <= key) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Whether the key is present. */
  has(key: K): boolean {
    if (this.#size === 0) return false;
    const keys = this.#keys[this.#chunkFor(key)]!;
    return keys[lowerBound(keys, key)] === key;
  }

  /** The value for a key, if present. */
  get(key: K): V | undefined {
    if (this.#size === 0) return undefined;
    const c = this.#chunkFor(key);
    const keys = this.#keys[c]!;
    const i = lowerBound(keys, key);
    return keys[i] === key ? this.#values[c]![i] : undefined;
  }

  /** Inserts or replaces the value for a key. */
  set(key: K, value: V): void {
    if (this.#size === 0) {
      this.clear();
      this.#keys.push([key]);
      this.#values.push([value]);
      this.#firsts.push(key);
      this.#size = 1;
      return;
    }
    const c = this.#chunkFor(key);
    const keys = this.#keys[c]!;
    const values = this.#values[c]!;
    const i = lowerBound(keys, key);
    if (i < keys.length && keys[i] === key) {
      values[i] = value;
      return;
    }
    insertAt(keys, i, key);
    insertAt(values, i, value);
    if (i === 0) this.#firsts[c] = key;
    this.#size++;
    if (keys.length > CHUNK_MAX) this.#split(c);
  }

  /** Splits chunk `c` into two halves. */
  #split(c: number): void {
    const half = this.#keys[c]!.length >>> 1;
    const rightKeys = this.#keys[c]!.splice(half);
    const rightValues = this.#values[c]!.splice(half);
    this.#keys.splice(c + 1, 0, rightKeys);
    this.#values.splice(c + 1, 0, rightValues);
    this.#firsts.splice(c + 1, 0, rightKeys[0]!);
  }

  /** Removes a key; returns whether it was present. */
  delete(key: K): boolean {
    if (this.#size === 0) return false;
    const c = this.#chunkFor(key);
    const keys = this.#keys[c]!;
    const i = lowerBound(keys, key);
    if (i >= keys.length || keys[i] !== key) return false;
    removeAt(keys, i);
    removeAt(this.#values[c]!, i);
    this.#size--;
    if (keys.length === 0) {
      this.#removeChunk(c);
      return true;
    }
    if (i === 0) this.#firsts[c] = keys[0]!;
    if (keys.length < CHUNK_MIN) this.#mergeSmall(c);
    return true;
  }

  /**
   * Merges small chunk `c` into its smaller neighbour when the two fit in
   * one chunk, and drops chunk `c`.
   */
  #mergeSmall(c: number): void {
    const before = c > this.#head ? this.#keys[c - 1]!.length : Infinity;
    const after = this.#keys[c + 1]?.length ?? Infinity;
    if (Math.min(before, after) + this.#keys[c]!.length > CHUNK_MAX) return;
    if (before <= after) {
      for (const k of this.#keys[c]!) this.#keys[c - 1]!.push(k);
      for (const v of this.#values[c]!) this.#values[c - 1]!.push(v);
    } else {
      this.#keys[c + 1] = this.#keys[c]!.concat(this.#keys[c + 1]!);
      this.#values[c + 1] = this.#values[c]!.concat(this.#values[c + 1]!);
      this.#firsts[c + 1] = this.#firsts[c]!;
    }
    this.#removeChunk(c);
  }

  /**
   * Drops chunk `c` from the chunk lists. The front chunk (a map emptied
   * from the front) only moves `#head`; the dropped slots are reclaimed
   * once they are half the lists, so either way no chunk behind it moves
   * per removal.
   */
  #removeChunk(c: number): void {
    if (c !== this.#head) {
      this.#keys.splice(c, 1);
      this.#values.splice(c, 1);
      this.#firsts.splice(c, 1);
      return;
    }
    this.#keys[c] = [];
    this.#values[c] = [];
    this.#head++;
    if (this.#head >= 64 && this.#head * 2 >= this.#keys.length) {
      this.#keys = this.#keys.slice(this.#head);
      this.#values = this.#values.slice(this.#head);
      this.#firsts = this.#firsts.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Removes every entry. */
  clear(): void {
    this.#keys = [];
    this.#values = [];
    this.#firsts = [];
    this.#head = 0;
    this.#size = 0;
  }

  #entry(c: number, i: number): OrderedEntry<V, K> {
    return { key: this.#keys[c]![i]!, value: this.#values[c]![i]! };
  }

  /** The entry with the greatest key <= `key`. */
  floor(key: K): OrderedEntry<V, K> | undefined {
    if (this.#size === 0) return undefined;
    const c = this.#chunkFor(key);
    const keys = this.#keys[c]!;
    const i = lowerBound(keys, key);
    if (i < keys.length && keys[i] === key) return this.#entry(c, i);
    return i === 0 ? undefined : this.#entry(c, i - 1);
  }

  /**
   * The value of the entry with the greatest key <= `key` ({@linkcode floor}'s
   * value, without building the entry).
   */
  floorValue(key: K): V | undefined {
    if (this.#size === 0) return undefined;
    const c = this.#chunkFor(key);
    const keys = this.#keys[c]!;
    const i = lowerBound(keys, key);
    if (i < keys.length && keys[i] === key) return this.#values[c]![i];
    return i === 0 ? undefined : this.#values[c]![i - 1];
  }

  /** The value of the entry with the greatest key < `key` (strictly below it). */
  belowValue(key: K): V | undefined {
    if (this.#size === 0) return undefined;
    const c = this.#chunkFor(key);
    const i = lowerBound(this.#keys[c]!, key);
    if (i > 0) return this.#values[c]![i - 1];
    // `key` is at most the chunk's first key: the entry below is the previous chunk's last.
    if (c === this.#head) return undefined;
    const prev = this.#values[c - 1]!;
    return prev[prev.length - 1];
  }

  /** The entry with the smallest key >= `key`. */
  ceiling(key: K): OrderedEntry<V, K> | undefined {
    if (this.#size === 0) return undefined;
    const c = this.#chunkFor(key);
    const i = lowerBound(this.#keys[c]!, key);
    if (i < this.#keys[c]!.length) return this.#entry(c, i);
    return c + 1 < this.#keys.length ? this.#entry(c + 1, 0) : undefined;
  }

  /** The smallest entry, if any. */
  first(): OrderedEntry<V, K> | undefined {
    return this.#size === 0 ? undefined : this.#entry(this.#head, 0);
  }

  /** The entry at a 0-based position in key order. */
  at(index: number): OrderedEntry<V, K> | undefined {
    if (!(Number.isInteger(index) && index >= 0 && index < this.#size)) return undefined;
    let i = index;
    for (let c = this.#head; c < this.#keys.length; c++) {
      const n = this.#keys[c]!.length;
      if (i < n) return this.#entry(c, i);
      i -= n;
    }
    return undefined;
  }

  /**
   * Appends to `out` the values whose keys are in `[lo, hi)`, in key order:
   * O(log n + k) for k values, with no iterator.
   */
  valuesInRange(lo: K, hi: K, out: V[]): void {
    if (this.#size === 0 || !(lo < hi)) return;
    let c = this.#chunkFor(lo);
    let i = lowerBound(this.#keys[c]!, lo);
    for (; c < this.#keys.length; c++, i = 0) {
      const keys = this.#keys[c]!;
      const values = this.#values[c]!;
      for (; i < keys.length; i++) {
        if (!(keys[i]! < hi)) return;
        out.push(values[i]!);
      }
    }
  }

  /**
   * Appends to `out` the value of the entry with the greatest key <= `lo`
   * (if any), then the values whose keys are in `(lo, hi)`, in key order:
   * {@linkcode floorValue} and {@linkcode valuesInRange} in one search.
   */
  valuesFromFloor(lo: K, hi: K, out: V[]): void {
    if (this.#size === 0) return;
    let c = this.#chunkFor(lo);
    let i = lowerBound(this.#keys[c]!, lo);
    // Step back to the floor entry unless `lo` itself is a key.
    if (this.#keys[c]![i] !== lo && i > 0) i--;
    for (; c < this.#keys.length; c++, i = 0) {
      const keys = this.#keys[c]!;
      const values = this.#values[c]!;
      for (; i < keys.length; i++) {
        if (!(keys[i]! < hi) && !(keys[i]! <= lo)) return;
        out.push(values[i]!);
      }
    }
  }

  /** Entries from chunk `c`, position `i` on, in key order. */
  *#walk(c: number, i: number): Generator<OrderedEntry<V, K>> {
    for (; c < this.#keys.length; c++, i = 0) {
      for (; i < this.#keys[c]!.length; i++) yield this.#entry(c, i);
    }
  }

  /** Entries with key >= `key`, in key order. */
  entriesFrom(key: K): Generator<OrderedEntry<V, K>> {
    if (this.#size === 0) return this.#walk(this.#keys.length, 0);
    const c = this.#chunkFor(key);
    return this.#walk(c, lowerBound(this.#keys[c]!, key));
  }

  /** Entries from a 0-based position on, in key order. */
  entriesFromIndex(index: number): Generator<OrderedEntry<V, K>> {
    if (Number.isNaN(index)) return this.#walk(this.#keys.length, 0);
    let i = Math.max(0, Math.ceil(index));
    let c = this.#head;
    while (c < this.#keys.length && i >= this.#keys[c]!.length) i -= this.#keys[c++]!.length;
    return this.#walk(c, i);
  }

  /** All entries in key order. */
  entries(): Generator<OrderedEntry<V, K>> {
    return this.#walk(this.#head, 0);
  }

  /** All keys in key order. */
  *keys(): Generator<K> {
    for (const e of this.entries()) yield e.key;
  }

  /** All values in key order. */
  *values(): Generator<V> {
    for (const e of this.entries()) yield e.value;
  }

  /** All entries in key order. */
  [Symbol.iterator](): Generator<OrderedEntry<V, K>> {
    return this.entries();
  }
}
