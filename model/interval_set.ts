/**
 * Ordered structures over bigint keys and `[start, end)` ranges, sized for
 * devices holding 100,000+ extents:
 *
 * - {@linkcode OrderedMap}: a treap (randomised balanced binary search tree)
 *   with subtree sizes. Lookup, insert, delete, floor/ceiling and select by
 *   index are O(log n) expected; in-order iteration from a key or an index is
 *   O(log n) to start plus O(1) amortised per step. A treap was chosen over a
 *   sorted array (O(n) insert/delete) and a chunked array (O(sqrt n)) because it
 *   gives logarithmic bounds for every operation the device needs, including
 *   index access, with little code. Priorities come from a fixed-seed
 *   xorshift generator, so behaviour is deterministic (the model does no I/O
 *   and reads no global randomness).
 * - {@linkcode IntervalSet}: a union of disjoint, coalesced `[start, end)`
 *   ranges on top of an `OrderedMap` (start -> end): `overlaps`, `covers`,
 *   `insert` and `subtract` in O(log n + k) for k ranges touched.
 * - {@linkcode InsertionOrderList}: items in insertion order with O(log n)
 *   append, removal by handle, restoration at the original position, and
 *   access by index (for paging, e.g. Get Dynamic Capacity Extent List).
 *
 * @module
 */

/** A key an {@linkcode OrderedMap} orders: bigints, or numbers (never NaN). */
export type Key = bigint | number;

interface TreapNode<K extends Key, V> {
  key: K;
  value: V;
  prio: number;
  size: number;
  left: TreapNode<K, V> | undefined;
  right: TreapNode<K, V> | undefined;
}

/** One entry of an {@linkcode OrderedMap}. */
export interface OrderedEntry<V, K extends Key = bigint> {
  /** The key. */
  readonly key: K;
  /** The value. */
  readonly value: V;
}

function size<K extends Key, V>(n: TreapNode<K, V> | undefined): number {
  return n === undefined ? 0 : n.size;
}

function update<K extends Key, V>(n: TreapNode<K, V>): void {
  n.size = 1 + size(n.left) + size(n.right);
}

/**
 * Nodes whose sizes a split or merge changed, top-down; recomputed bottom-up
 * after it. One array reused by every tree: the operations are synchronous.
 */
const touched: TreapNode<Key, unknown>[] = [];

/** The nodes a search passed, root first (reused like `touched`). */
const searchPath: TreapNode<Key, unknown>[] = [];

function resize(): void {
  for (let i = touched.length - 1; i >= 0; i--) update(touched[i]!);
  touched.length = 0;
}

/**
 * Splits `n` into keys < key (as `into.left`) and keys >= key (as
 * `into.right`), top-down without recursion or allocation; sizes of the
 * nodes on the split path are recomputed, `into`'s is not.
 */
function splitInto<K extends Key, V>(
  n: TreapNode<K, V> | undefined,
  key: K,
  into: TreapNode<K, V>,
): void {
  // `l` takes the next node of the left tree as its right child, `r` the
  // next node of the right tree as its left child; `into` starts as both.
  let l = into;
  let r = into;
  into.left = undefined;
  into.right = undefined;
  while (n !== undefined) {
    touched.push(n as TreapNode<Key, unknown>);
    if (n.key < key) {
      if (l === into) into.left = n;
      else l.right = n;
      l = n;
      n = n.right;
    } else {
      if (r === into) into.right = n;
      else r.left = n;
      r = n;
      n = n.left;
    }
  }
  if (l !== into) l.right = undefined;
  if (r !== into) r.left = undefined;
  resize();
}

/**
 * Merges two treaps whose keys are all ordered (`a` before `b`), top-down
 * without recursion; returns the root.
 */
function merge<K extends Key, V>(
  a: TreapNode<K, V> | undefined,
  b: TreapNode<K, V> | undefined,
): TreapNode<K, V> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  // The root is the higher-priority of the two; every later winner hangs
  // under the previous one, on the side it came from.
  let root: TreapNode<K, V>;
  let hook: TreapNode<K, V>;
  let hookLeft: boolean;
  if (a.prio > b.prio) {
    root = hook = a;
    hookLeft = false;
    a = a.right;
  } else {
    root = hook = b;
    hookLeft = true;
    b = b.left;
  }
  touched.push(root as TreapNode<Key, unknown>);
  while (a !== undefined && b !== undefined) {
    const n: TreapNode<K, V> = a.prio > b.prio ? a : b;
    if (hookLeft) hook.left = n;
    else hook.right = n;
    touched.push(n as TreapNode<Key, unknown>);
    hook = n;
    hookLeft = n === b;
    if (n === a) a = a.right;
    else b = b.left;
  }
  if (hookLeft) hook.left = a ?? b;
  else hook.right = a ?? b;
  resize();
  return root;
}

/**
 * A map from keys (bigints by default, or numbers) to values, kept in key
 * order (a treap).
 *
 * @example
 * ```ts
 * import { OrderedMap } from "./interval_set.ts";
 * const m = new OrderedMap<string>();
 * m.set(30n, "c"); m.set(10n, "a"); m.set(20n, "b");
 * if (m.floor(25n)?.value !== "b") throw new Error("floor");
 * if (m.at(2)?.key !== 30n) throw new Error("at");
 * if ([...m.keys()].join() !== "10,20,30") throw new Error("order");
 * ```
 */
export class OrderedMap<V, K extends Key = bigint> {
  #root: TreapNode<K, V> | undefined = undefined;
  #seed = 0x2545f491;

  #prio(): number {
    let x = this.#seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#seed = x >>> 0;
    return this.#seed;
  }

  /** Number of entries. */
  get size(): number {
    return size(this.#root);
  }

  #find(key: K): TreapNode<K, V> | undefined {
    let n = this.#root;
    while (n !== undefined) {
      if (key === n.key) return n;
      n = key < n.key ? n.left : n.right;
    }
    return undefined;
  }

  /** Whether the key is present. */
  has(key: K): boolean {
    return this.#find(key) !== undefined;
  }

  /** The value for a key, if present. */
  get(key: K): V | undefined {
    return this.#find(key)?.value;
  }

  /**
   * Inserts or replaces the value for a key, in one search: the path down to
   * where the key is (or would be a leaf) is kept, and the new node goes
   * where its priority puts it on that path.
   */
  set(key: K, value: V): void {
    let n = this.#root;
    while (n !== undefined) {
      if (key === n.key) {
        searchPath.length = 0;
        n.value = value;
        return;
      }
      searchPath.push(n as TreapNode<Key, unknown>);
      n = key < n.key ? n.left : n.right;
    }
    const node: TreapNode<K, V> = {
      key,
      value,
      prio: this.#prio(),
      size: 1,
      left: undefined,
      right: undefined,
    };
    // Every node above the new one's place counts it; the subtree found
    // there is split around the new key.
    const path = searchPath as TreapNode<K, V>[];
    let depth = 0;
    while (depth < path.length && path[depth]!.prio >= node.prio) path[depth++]!.size++;
    const parent = depth === 0 ? undefined : path[depth - 1];
    const below = depth < path.length ? path[depth] : undefined;
    path.length = 0;
    splitInto(below, key, node);
    update(node);
    if (parent === undefined) this.#root = node;
    else if (key < parent.key) parent.left = node;
    else parent.right = node;
  }

  /** Removes a key; returns whether it was present. */
  delete(key: K): boolean {
    let parent: TreapNode<K, V> | undefined;
    let n = this.#root;
    while (n !== undefined && n.key !== key) {
      searchPath.push(n as TreapNode<Key, unknown>);
      parent = n;
      n = key < n.key ? n.left : n.right;
    }
    if (n === undefined) {
      searchPath.length = 0;
      return false;
    }
    for (const p of searchPath) p.size--;
    searchPath.length = 0;
    const joined = merge(n.left, n.right);
    if (parent === undefined) this.#root = joined;
    else if (parent.left === n) parent.left = joined;
    else parent.right = joined;
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    this.#root = undefined;
  }

  /** The entry with the greatest key <= `key`. */
  floor(key: K): OrderedEntry<V, K> | undefined {
    let n = this.#root;
    let best: TreapNode<K, V> | undefined;
    while (n !== undefined) {
      if (n.key === key) return n;
      if (n.key < key) {
        best = n;
        n = n.right;
      } else {
        n = n.left;
      }
    }
    return best;
  }

  /** The entry with the smallest key >= `key`. */
  ceiling(key: K): OrderedEntry<V, K> | undefined {
    let n = this.#root;
    let best: TreapNode<K, V> | undefined;
    while (n !== undefined) {
      if (n.key === key) return n;
      if (n.key > key) {
        best = n;
        n = n.left;
      } else {
        n = n.right;
      }
    }
    return best;
  }

  /** The smallest entry, if any. */
  first(): OrderedEntry<V, K> | undefined {
    let n = this.#root;
    if (n === undefined) return undefined;
    while (n.left !== undefined) n = n.left;
    return n;
  }

  /** The entry at a 0-based position in key order. */
  at(index: number): OrderedEntry<V, K> | undefined {
    if (index < 0 || index >= this.size) return undefined;
    let n = this.#root;
    let i = index;
    while (n !== undefined) {
      const ls = size(n.left);
      if (i < ls) {
        n = n.left;
      } else if (i === ls) {
        return n;
      } else {
        i -= ls + 1;
        n = n.right;
      }
    }
    return undefined;
  }

  /**
   * Appends to `out` the values whose keys are in `[lo, hi)`, in key order:
   * O(log n + k) for k values, with no iterator.
   */
  valuesInRange(lo: K, hi: K, out: V[]): void {
    let n = this.#root;
    while (n !== undefined) {
      if (n.key < lo) n = n.right;
      else if (n.key >= hi) n = n.left;
      else {
        // n is in range: its left subtree holds the rest of the range below it.
        collectFrom(n.left, lo, out);
        out.push(n.value);
        collectBelow(n.right, hi, out);
        return;
      }
    }
  }

  /** Entries with key >= `key`, in key order. */
  *entriesFrom(key: K): Generator<OrderedEntry<V, K>> {
    const stack: TreapNode<K, V>[] = [];
    let n = this.#root;
    while (n !== undefined) {
      if (n.key >= key) {
        stack.push(n);
        n = n.left;
      } else {
        n = n.right;
      }
    }
    yield* drain(stack);
  }

  /** Entries from a 0-based position on, in key order. */
  *entriesFromIndex(index: number): Generator<OrderedEntry<V, K>> {
    const stack: TreapNode<K, V>[] = [];
    let n = this.#root;
    let i = Math.max(0, index);
    while (n !== undefined) {
      const ls = size(n.left);
      if (i <= ls) {
        stack.push(n);
        n = n.left;
      } else {
        i -= ls + 1;
        n = n.right;
      }
    }
    yield* drain(stack);
  }

  /** All entries in key order. */
  entries(): Generator<OrderedEntry<V, K>> {
    return this.entriesFromIndex(0);
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

function* drain<K extends Key, V>(stack: TreapNode<K, V>[]): Generator<OrderedEntry<V, K>> {
  while (stack.length > 0) {
    const n = stack.pop() as TreapNode<K, V>;
    // Snapshot before yielding: the consumer may not mutate during iteration,
    // but reading the right subtree first keeps the walk simple.
    let r = n.right;
    yield n;
    while (r !== undefined) {
      stack.push(r);
      r = r.left;
    }
  }
}

/** Appends the values of `n`'s subtree with keys >= `lo`, in key order. */
function collectFrom<K extends Key, V>(n: TreapNode<K, V> | undefined, lo: K, out: V[]): void {
  while (n !== undefined) {
    if (n.key < lo) {
      n = n.right;
    } else {
      collectFrom(n.left, lo, out);
      out.push(n.value);
      collectAll(n.right, out);
      return;
    }
  }
}

/** Appends the values of `n`'s subtree with keys < `hi`, in key order. */
function collectBelow<K extends Key, V>(n: TreapNode<K, V> | undefined, hi: K, out: V[]): void {
  while (n !== undefined) {
    if (n.key >= hi) {
      n = n.left;
    } else {
      collectAll(n.left, out);
      out.push(n.value);
      n = n.right;
    }
  }
}

/** Appends every value of `n`'s subtree, in key order. */
function collectAll<K extends Key, V>(n: TreapNode<K, V> | undefined, out: V[]): void {
  while (n !== undefined) {
    collectAll(n.left, out);
    out.push(n.value);
    n = n.right;
  }
}

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

/**
 * Items kept in insertion order, with O(log n) append, removal by handle,
 * re-insertion at the original position (for rollback) and index access.
 *
 * @example
 * ```ts
 * import { InsertionOrderList } from "./interval_set.ts";
 * const l = new InsertionOrderList<string>();
 * const a = l.push("a");
 * l.push("b");
 * l.remove(a);
 * l.push("a2");
 * if ([...l.valuesFrom(0)].join() !== "b,a2") throw new Error("order");
 * l.restore(a, "a");
 * if (l.at(0) !== "a") throw new Error("restore keeps the original position");
 * ```
 */
export class InsertionOrderList<T> {
  #map = new OrderedMap<T, number>();
  #next = 0;

  /** Number of items. */
  get size(): number {
    return this.#map.size;
  }

  /** Appends an item; returns its handle. */
  push(item: T): number {
    const h = this.#next++;
    this.#map.set(h, item);
    return h;
  }

  /** Removes the item with this handle; returns whether it was present. */
  remove(handle: number): boolean {
    return this.#map.delete(handle);
  }

  /** Puts an item back under a handle it had before (its original position). */
  restore(handle: number, item: T): void {
    if (handle >= this.#next) {
      throw new RangeError(
        `handle ${handle} was never issued: expected a handle below ${this.#next}`,
      );
    }
    this.#map.set(handle, item);
  }

  /** The item at a 0-based position. */
  at(index: number): T | undefined {
    return this.#map.at(index)?.value;
  }

  /** Items from a 0-based position on. */
  *valuesFrom(index: number): Generator<T> {
    for (const e of this.#map.entriesFromIndex(index)) yield e.value;
  }

  /** Removes everything (handles keep increasing). */
  clear(): void {
    this.#map.clear();
  }
}
