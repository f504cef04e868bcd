/**
 * Memory flatness: the heap a model machine costs must not depend on the
 * size of its backend or of its lazy DC region. Builds many machines of each
 * kind, keeps them alive, and reports the mean heap growth per machine.
 *
 * The heap is read with `Deno.memoryUsage().heapUsed`; when the process runs
 * with `--v8-flags=--expose-gc`, a full collection precedes every reading so
 * the deltas hold live objects only (otherwise garbage from construction is
 * counted too, the same for every size).
 *
 * @module
 */

import { createMachine } from "../model/mod.ts";
import type { Machine } from "../model/machine_types.ts";
import { QEMU_10_0, SEED } from "../model/profile.ts";
import { dcdMachine } from "./machines.ts";

/** Heap cost of one kind of machine. */
export interface MemoryRow {
  /** What was built, e.g. `RAM backend 1 TiB (qemu-10.0)`. */
  label: string;
  /** Backend or region size as given to QEMU, e.g. `1T`. */
  size: string;
  /** Machines built and kept alive. */
  machines: number;
  /** Mean heap growth per machine, bytes. */
  bytesPerMachine: number;
}

/** Result of {@linkcode measureMemory}. */
export interface MemoryResult {
  /** Whether a full GC ran before every reading. */
  gcExposed: boolean;
  /** One row per machine kind. */
  rows: MemoryRow[];
  /** Largest ratio of the big size's cost to the small size's, over the kinds. */
  worstRatio: number;
}

function collect(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== "function") return false;
  gc();
  gc();
  return true;
}

function heapPerMachine(build: () => Machine, count: number): number {
  const keep: Machine[] = [];
  collect();
  const before = Deno.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) keep.push(build());
  collect();
  const after = Deno.memoryUsage().heapUsed;
  if (keep.length !== count) throw new Error("machines were not kept");
  return (after - before) / count;
}

/**
 * Measures the heap per machine for 1 GiB and 1 TiB RAM backends (profile
 * qemu-10.0) and 1 GiB and 1 TiB lazy regions (`dc-regions-total-size`,
 * seed), `count` machines each, after a warm-up.
 *
 * @example
 * ```ts
 * import { measureMemory } from "./memory.ts";
 * const r = measureMemory(5);
 * if (r.rows.length !== 4) throw new Error("four kinds expected");
 * ```
 */
export function measureMemory(count: number): MemoryResult {
  const kinds = [
    { label: "RAM backend (qemu-10.0)", lazy: false, profile: QEMU_10_0 },
    { label: "lazy DC region (seed)", lazy: true, profile: SEED },
  ];
  const gcExposed = collect();
  const rows: MemoryRow[] = [];
  let worstRatio = 0;
  for (const k of kinds) {
    // Warm-up: first-use caches (schema, JIT) are not charged to either size.
    heapPerMachine(() => createMachine(dcdMachine("1G", k.lazy), { profile: k.profile }), 3);
    const costs: number[] = [];
    // Alternate sizes twice to cancel drift.
    const order = ["1G", "1T", "1T", "1G"];
    const sums = new Map<string, number>();
    for (const size of order) {
      const c = heapPerMachine(
        () => createMachine(dcdMachine(size, k.lazy), { profile: k.profile }),
        count,
      );
      sums.set(size, (sums.get(size) ?? 0) + c / 2);
    }
    for (const size of ["1G", "1T"]) {
      const bytes = sums.get(size)!;
      costs.push(bytes);
      rows.push({
        label: `${k.label} ${size === "1G" ? "1 GiB" : "1 TiB"}`,
        size,
        machines: count * 2,
        bytesPerMachine: bytes,
      });
    }
    const [small, big] = costs as [number, number];
    if (small > 0) worstRatio = Math.max(worstRatio, big / small);
  }
  return { gcExposed, rows, worstRatio };
}
