/**
 * The extent bookkeeping of one DC device: the FIFO of pending extent groups
 * (offered by QMP, not yet answered by the host), the accepted extents (in
 * DPA order for range queries, and in QEMU's list order for 0x4801), and an
 * index by tag for the seed's tag-based release and release status.
 *
 * Invariant (kept by the callers' checks): pending and accepted extents are
 * pairwise disjoint, so range queries walk at most the extents they touch.
 *
 * @module
 */

import { InsertionOrderList } from "../insertion_order_list.ts";
import { OrderedMap } from "../ordered_map.ts";
import { isNilUuid } from "../uuid.ts";
import type { TaggedBackend } from "./types.ts";

/** One extent, pending or accepted. */
export interface DcExtent {
  /** Absolute DPA. */
  readonly dpa: bigint;
  /** Length in bytes. */
  readonly len: bigint;
  /** Region index. */
  readonly region: number;
  /** Tag bytes (nil when untagged). */
  readonly tag: Uint8Array;
  /** Shared extent sequence (always 0 in QEMU). */
  readonly sharedSeq: number;
  /** Pending (offered) or accepted by the host. */
  state: "pending" | "accepted";
  /** Tagged backend bound to this extent (lazy devices, seed). */
  backend: TaggedBackend | undefined;
  /** A release was requested over QMP and the host has not released yet (seed). */
  releaseRequested: boolean;
  /** Position handle in the accepted list order. */
  orderHandle: bigint;
}

/** One QMP add request's extents, in request order. */
export interface PendingGroup {
  /** The extents in request order. */
  readonly extents: readonly DcExtent[];
  /** The extents by DPA, built on first lookup. */
  sorted: readonly DcExtent[] | undefined;
}

function tagKey(tag: Uint8Array): string {
  let s = "";
  for (const b of tag) s += b.toString(16).padStart(2, "0");
  return s;
}

function overlapsIn(map: OrderedMap<DcExtent>, start: bigint, end: bigint): boolean {
  if (end <= start) return false;
  const f = map.belowValue(end);
  return f !== undefined && f.dpa + f.len > start;
}

/** Pending groups, accepted extents and the tag index of one device. */
export class ExtentStore {
  #groups: (PendingGroup | undefined)[] = [];
  #groupHead = 0;
  #pendingCount = 0;
  readonly #pendingByDpa = new OrderedMap<DcExtent>();
  readonly #acceptedByDpa = new OrderedMap<DcExtent>();
  readonly #acceptedOrder = new InsertionOrderList<DcExtent>();
  readonly #byTag = new Map<string, Set<DcExtent>>();

  /** Accepted extents. */
  get acceptedCount(): number {
    return this.#acceptedByDpa.size;
  }

  /** Pending extents over all groups. */
  get pendingCount(): number {
    return this.#pendingCount;
  }

  /** Pending groups. */
  get groupCount(): number {
    return this.#groups.length - this.#groupHead;
  }

  /** The pending groups, front first. */
  *groups(): Generator<PendingGroup> {
    for (let i = this.#groupHead; i < this.#groups.length; i++) {
      const g = this.#groups[i];
      if (g !== undefined) yield g;
    }
  }

  /** The front pending group, if any. */
  frontGroup(): PendingGroup | undefined {
    return this.#groups[this.#groupHead];
  }

  /** Whether `[start, end)` overlaps a pending extent. */
  overlapsPending(start: bigint, end: bigint): boolean {
    return overlapsIn(this.#pendingByDpa, start, end);
  }

  /** Whether `[start, end)` overlaps an accepted extent. */
  overlapsAccepted(start: bigint, end: bigint): boolean {
    return overlapsIn(this.#acceptedByDpa, start, end);
  }

  /** Whether every byte of `[start, end)` is in accepted extents (backed). */
  coversAccepted(start: bigint, end: bigint): boolean {
    if (end <= start) return true;
    const f = this.#acceptedByDpa.floorValue(start);
    if (f === undefined) return false;
    let cur = f.dpa + f.len;
    if (cur <= start) return false;
    while (cur < end) {
      const next = this.#acceptedByDpa.get(cur);
      if (next === undefined) return false;
      cur = next.dpa + next.len;
    }
    return true;
  }

  /** Accepted extents overlapping `[start, end)`, in DPA order. */
  acceptedOverlapping(start: bigint, end: bigint): DcExtent[] {
    const out: DcExtent[] = [];
    if (end <= start) return out;
    this.#acceptedByDpa.valuesFromFloor(start, end, out);
    // The extent starting before `start` counts only when it reaches past it.
    const f = out[0];
    if (f !== undefined && f.dpa < start && f.dpa + f.len <= start) out.shift();
    return out;
  }

  /**
   * The accepted extents overlapping `[start, end)` in DPA order when they
   * back every byte of it (as {@linkcode coversAccepted}), else undefined;
   * empty for an empty range.
   */
  acceptedCovering(start: bigint, end: bigint): DcExtent[] | undefined {
    const out = this.acceptedOverlapping(start, end);
    if (end <= start) return out;
    const first = out[0];
    if (first === undefined || first.dpa > start) return undefined;
    let cur = first.dpa + first.len;
    for (let i = 1; i < out.length; i++) {
      const e = out[i]!;
      if (e.dpa !== cur) return undefined;
      cur = e.dpa + e.len;
    }
    return cur >= end ? out : undefined;
  }

  /** Appends a pending group. */
  queueGroup(extents: DcExtent[]): PendingGroup {
    const g: PendingGroup = { extents, sorted: undefined };
    this.#groups.push(g);
    for (const e of extents) {
      this.#pendingByDpa.set(e.dpa, e);
      this.#indexTag(e);
    }
    this.#pendingCount += extents.length;
    return g;
  }

  /** Removes the front group from the pending state and returns it. */
  dropFrontGroup(): PendingGroup | undefined {
    const g = this.#groups[this.#groupHead];
    if (g === undefined) return undefined;
    this.#groups[this.#groupHead] = undefined;
    this.#groupHead++;
    if (this.#groupHead > 64 && this.#groupHead * 2 > this.#groups.length) {
      this.#groups = this.#groups.slice(this.#groupHead);
      this.#groupHead = 0;
    }
    for (const e of g.extents) {
      this.#pendingByDpa.delete(e.dpa);
      this.#unindexTag(e);
    }
    this.#pendingCount -= g.extents.length;
    return g;
  }

  /** The extent of a group that contains all of `[dpa, dpa+len)` (len > 0). */
  static containing(group: PendingGroup, dpa: bigint, len: bigint): DcExtent | undefined {
    if (len <= 0n) return undefined;
    if (group.sorted === undefined) {
      group.sorted = group.extents.length === 1
        ? group.extents
        : [...group.extents].sort((a, b) => (a.dpa < b.dpa ? -1 : a.dpa > b.dpa ? 1 : 0));
    }
    const s = group.sorted;
    let lo = 0;
    let hi = s.length - 1;
    let best: DcExtent | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = s[mid]!;
      if (e.dpa <= dpa) {
        best = e;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (best === undefined || dpa + len > best.dpa + best.len) return undefined;
    return best;
  }

  /** Adds an accepted extent at the tail of the list order. */
  addAccepted(e: DcExtent): void {
    e.state = "accepted";
    e.orderHandle = this.#acceptedOrder.push(e);
    this.#acceptedByDpa.set(e.dpa, e);
    this.#indexTag(e);
  }

  /** Removes an accepted extent (its order handle stays valid for {@linkcode restoreAccepted}). */
  removeAccepted(e: DcExtent): void {
    this.#acceptedOrder.remove(e.orderHandle);
    this.#acceptedByDpa.delete(e.dpa);
    this.#unindexTag(e);
  }

  /** Puts a removed accepted extent back at its original list position. */
  restoreAccepted(e: DcExtent): void {
    this.#acceptedOrder.restore(e.orderHandle, e);
    this.#acceptedByDpa.set(e.dpa, e);
    this.#indexTag(e);
  }

  /** Accepted extents in list order from a 0-based index. */
  acceptedFromIndex(index: number): Generator<DcExtent> {
    return this.#acceptedOrder.valuesFrom(index);
  }

  /** Pending and accepted extents carrying this (non-nil) tag. */
  withTag(tag: Uint8Array): DcExtent[] {
    const set = this.#byTag.get(tagKey(tag));
    return set === undefined ? [] : [...set];
  }

  #indexTag(e: DcExtent): void {
    if (isNilUuid(e.tag)) return;
    const k = tagKey(e.tag);
    let set = this.#byTag.get(k);
    if (set === undefined) {
      set = new Set();
      this.#byTag.set(k, set);
    }
    set.add(e);
  }

  #unindexTag(e: DcExtent): void {
    if (isNilUuid(e.tag)) return;
    const k = tagKey(e.tag);
    const set = this.#byTag.get(k);
    if (set === undefined) return;
    set.delete(e);
    if (set.size === 0) this.#byTag.delete(k);
  }
}
