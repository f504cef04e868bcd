/**
 * Which unexpected member QEMU names first when a struct has several.
 *
 * QEMU keeps JSON object members in a QDict (512 buckets, newest first within
 * a bucket); the input visitor copies the keys, in QDict order, into a GLib
 * hash table, deletes each key as its member is visited, and reports the
 * first key left in the table's slot order. This module reproduces both
 * orders (QDict's hash, GLib's `g_str_hash`, probing, tombstones and
 * in-place resizing), so the reported name matches QEMU's.
 *
 * @module
 */

const QDICT_BUCKETS = 512;
const UNUSED = 0;
const TOMBSTONE = 1;
const MIN_SHIFT = 3;
const PRIME_MOD = [
  1,
  2,
  3,
  7,
  13,
  31,
  61,
  127,
  251,
  509,
  1021,
  2039,
  4093,
  8191,
  16381,
  32749,
  65521,
];

const encoder = new TextEncoder();

/** QDict's bucket hash (a tdb-style hash). */
function qdictHash(key: string): number {
  const bytes = encoder.encode(key);
  let value = Math.imul(0x238f13af, bytes.length) >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    value = (value + (((bytes[i] ?? 0) << ((i * 5) % 24)) >>> 0)) >>> 0;
  }
  return (Math.imul(1103515243, value) + 12345) >>> 0;
}

/**
 * Keys in QDict iteration order, given insertion order.
 *
 * @example
 * ```ts
 * import { qdictOrder } from "./key_order.ts";
 * if (qdictOrder(["a", "b"]).length !== 2) throw new Error();
 * ```
 */
export function qdictOrder(keys: readonly string[]): string[] {
  const buckets = new Map<number, string[]>();
  for (const k of keys) {
    const b = qdictHash(k) % QDICT_BUCKETS;
    const list = buckets.get(b);
    if (list === undefined) buckets.set(b, [k]);
    else list.unshift(k);
  }
  return [...buckets.keys()].sort((a, b) => a - b).flatMap((b) => buckets.get(b) ?? []);
}

/** GLib's g_str_hash (djb2 over signed chars), made a "real" hash (>= 2). */
function strHash(key: string): number {
  let h = 5381;
  for (const byte of encoder.encode(key)) {
    const signed = byte >= 128 ? byte - 256 : byte;
    h = (Math.imul(h, 33) + signed) >>> 0;
  }
  return h < 2 ? 2 : h;
}

/**
 * A GLib `GHashTable` of string keys (`g_str_hash`), reduced to what decides
 * its iteration order: slots, probing, tombstones and in-place resizing.
 *
 * @example
 * ```ts
 * import { GlibTable } from "./key_order.ts";
 * const t = new GlibTable();
 * t.insert("a");
 * t.insert("b");
 * t.remove("a");
 * if (t.keys().join() !== "b") throw new Error();
 * ```
 */
export class GlibTable {
  #size = 1 << MIN_SHIFT;
  #mod = PRIME_MOD[MIN_SHIFT] ?? 7;
  #mask = this.#size - 1;
  #hashes: number[] = new Array<number>(this.#size).fill(UNUSED);
  #keys: (string | undefined)[] = new Array<string | undefined>(this.#size).fill(undefined);
  #nnodes = 0;
  #noccupied = 0;

  #toIndex(hash: number): number {
    return (Math.imul(hash, 11) >>> 0) % this.#mod;
  }

  #lookup(key: string, hash: number): { index: number; found: boolean } {
    let index = this.#toIndex(hash);
    let step = 0;
    let tombstone = -1;
    let h = this.#hashes[index] ?? UNUSED;
    while (h !== UNUSED) {
      if (h === hash && this.#keys[index] === key) return { index, found: true };
      if (h === TOMBSTONE && tombstone < 0) tombstone = index;
      step++;
      index = (index + step) & this.#mask;
      h = this.#hashes[index] ?? UNUSED;
    }
    return { index: tombstone >= 0 ? tombstone : index, found: false };
  }

  /** Inserts a key (no-op when present). */
  insert(key: string): void {
    const hash = strHash(key);
    const { index, found } = this.#lookup(key, hash);
    if (found) return;
    const wasTombstone = this.#hashes[index] === TOMBSTONE;
    this.#hashes[index] = hash;
    this.#keys[index] = key;
    this.#nnodes++;
    if (!wasTombstone) {
      this.#noccupied++;
      this.#maybeResize();
    }
  }

  /** Removes a key (no-op when absent). */
  remove(key: string): void {
    const { index, found } = this.#lookup(key, strHash(key));
    if (!found) return;
    this.#hashes[index] = TOMBSTONE;
    this.#keys[index] = undefined;
    this.#nnodes--;
    this.#maybeResize();
  }

  /** Keys in iteration (slot) order. */
  keys(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.#size; i++) {
      const k = this.#keys[i];
      if ((this.#hashes[i] ?? UNUSED) >= 2 && k !== undefined) out.push(k);
    }
    return out;
  }

  /** The first key in iteration order. */
  first(): string | undefined {
    for (let i = 0; i < this.#size; i++) {
      if ((this.#hashes[i] ?? UNUSED) >= 2) return this.#keys[i];
    }
    return undefined;
  }

  #maybeResize(): void {
    const occ = this.#noccupied;
    const size = this.#size;
    if ((size > this.#nnodes * 4 && size > 1 << MIN_SHIFT) || size <= occ + Math.floor(occ / 16)) {
      this.#resize();
    }
  }

  #resize(): void {
    const oldSize = this.#size;
    let n = Math.trunc(this.#nnodes * 1.333);
    let shift = 0;
    while (n) {
      n >>= 1;
      shift++;
    }
    shift = Math.max(shift, MIN_SHIFT);
    this.#size = 1 << shift;
    this.#mod = PRIME_MOD[shift] ?? this.#size - 1;
    this.#mask = this.#size - 1;
    const span = Math.max(oldSize, this.#size);
    while (this.#hashes.length < span) {
      this.#hashes.push(UNUSED);
      this.#keys.push(undefined);
    }
    const moved = new Array<boolean>(span).fill(false);
    for (let i = 0; i < oldSize; i++) {
      let hash = this.#hashes[i] ?? UNUSED;
      if (hash < 2) {
        this.#hashes[i] = UNUSED;
        continue;
      }
      if (moved[i]) continue;
      this.#hashes[i] = UNUSED;
      let key = this.#keys[i];
      this.#keys[i] = undefined;
      for (;;) {
        let index = this.#toIndex(hash);
        let step = 0;
        while (moved[index]) {
          step++;
          index = (index + step) & this.#mask;
        }
        moved[index] = true;
        const replaced = this.#hashes[index] ?? UNUSED;
        const replacedKey = this.#keys[index];
        this.#hashes[index] = hash;
        this.#keys[index] = key;
        if (replaced < 2) break;
        hash = replaced;
        key = replacedKey;
      }
    }
    this.#hashes.length = this.#size;
    this.#keys.length = this.#size;
    this.#noccupied = this.#nnodes;
  }
}

/**
 * The member QEMU reports as unexpected, or undefined when every key was
 * consumed.
 *
 * @param keys the JSON object's keys in text order.
 * @param consumed the keys the visitor consumed, in visiting order.
 *
 * @example
 * ```ts
 * import { firstRemainingKey } from "./key_order.ts";
 * if (firstRemainingKey(["a", "b"], new Set(["a", "b"])) !== undefined) throw new Error();
 * ```
 */
export function firstRemainingKey(
  keys: readonly string[],
  consumed: ReadonlySet<string>,
): string | undefined {
  let extra = 0;
  for (const k of keys) if (!consumed.has(k)) extra++;
  if (extra === 0) return undefined;
  if (extra === 1) return keys.find((k) => !consumed.has(k));
  const table = new GlibTable();
  for (const k of qdictOrder(keys)) table.insert(k);
  for (const k of consumed) table.remove(k);
  return table.first();
}
