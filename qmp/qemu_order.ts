/**
 * QDict iteration order, which decides the member order of everything QEMU
 * writes. (Which of several unexpected arguments QEMU names follows GLib's
 * GHashTable order: see `firstRemainingKey` in model/qapi/key_order.ts.)
 *
 * @module
 */

const BUCKETS = 512;
const bucketCache = new Map<string, number>();
const encoder = new TextEncoder();

/**
 * The QDict bucket of a key: QEMU's tdb hash of its (modified) UTF-8 bytes,
 * modulo 512.
 *
 * @example
 * ```ts
 * import { qdictBucket } from "@cxl-dcd/conformance/qmp";
 * if (!(qdictBucket("return") < qdictBucket("id"))) throw new Error("return comes first");
 * ```
 */
export function qdictBucket(key: string): number {
  let b = bucketCache.get(key);
  if (b !== undefined) return b;
  const bytes = modifiedUtf8(key);
  let value = Math.imul(0x238f13af, bytes.length) >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    value = (value + ((bytes[i]! << ((i * 5) % 24)) >>> 0)) >>> 0;
  }
  b = ((Math.imul(1103515243, value) + 12345) >>> 0) % BUCKETS;
  if (bucketCache.size < 4096) bucketCache.set(key, b);
  return b;
}

function modifiedUtf8(s: string): Uint8Array {
  if (!s.includes("\0")) return encoder.encode(s);
  const parts = s.split("\0").map((p) => encoder.encode(p));
  const out: number[] = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(0xc0, 0x80);
    out.push(...p);
  });
  return Uint8Array.from(out);
}

/**
 * Orders object keys as a QEMU QDict would iterate them after inserting them
 * in the given order.
 *
 * @example
 * ```ts
 * import { qdictOrder } from "@cxl-dcd/conformance/qmp";
 * const keys = qdictOrder(["running", "status"]);
 * if (keys.join() !== "status,running") throw new Error(keys.join());
 * ```
 */
export function qdictOrder(keys: readonly string[]): string[] {
  // Keys in strictly ascending buckets keep their order (a request's few
  // members usually are): no sorting, which allocates for every key.
  if (ascendingBuckets(keys, true)) return keys.slice();
  const decorated = keys.map((k, i) => ({ k, i, b: qdictBucket(k) }));
  decorated.sort((x, y) => x.b - y.b || y.i - x.i);
  return decorated.map((d) => d.k);
}

/**
 * Sorts keys by QDict bucket, keeping the given order within a bucket: the
 * order of an object whose members are already listed in QEMU's wire order
 * (as the model lists them) is kept, and any other object gets QEMU's
 * bucket order.
 *
 * @example
 * ```ts
 * import { bucketOrder } from "@cxl-dcd/conformance/qmp";
 * // micro and minor share a bucket: their given order is kept.
 * if (bucketOrder(["major", "micro", "minor"]).join() !== "micro,minor,major") throw new Error();
 * ```
 */
export function bucketOrder(keys: readonly string[]): string[] {
  if (ascendingBuckets(keys, false)) return keys.slice();
  const decorated = keys.map((k, i) => ({ k, i, b: qdictBucket(k) }));
  decorated.sort((x, y) => x.b - y.b || x.i - y.i);
  return decorated.map((d) => d.k);
}

/** Whether the keys' buckets ascend (`strict`: no two keys share a bucket). */
function ascendingBuckets(keys: readonly string[], strict: boolean): boolean {
  let last = -1;
  for (const k of keys) {
    const b = qdictBucket(k);
    if (b < last || strict && b === last) return false;
    last = b;
  }
  return true;
}
