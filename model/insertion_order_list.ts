/**
 * {@linkcode InsertionOrderList}: items in insertion order with append,
 * removal by handle and restoration at the original position in
 * O(log n + chunk size), and access by index (for paging, e.g. Get Dynamic
 * Capacity Extent List) in O(n / chunk size), on an `OrderedMap` keyed by
 * handle (see `ordered_map.ts`).
 *
 * @module
 */

import { OrderedMap } from "./ordered_map.ts";

/**
 * Items kept in insertion order, with append, removal by handle,
 * re-insertion at the original position (for rollback) and index access.
 *
 * @example
 * ```ts
 * import { InsertionOrderList } from "./insertion_order_list.ts";
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
  #map = new OrderedMap<T>();
  #next = 0n;

  /** Number of items. */
  get size(): number {
    return this.#map.size;
  }

  /** Appends an item; returns its handle. */
  push(item: T): bigint {
    const h = this.#next++;
    this.#map.set(h, item);
    return h;
  }

  /** Removes the item with this handle; returns whether it was present. */
  remove(handle: bigint): boolean {
    return this.#map.delete(handle);
  }

  /** Puts an item back under a handle it had before (its original position). */
  restore(handle: bigint, item: T): void {
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
