/**
 * Model scale: add/accept/release cycles at growing extent counts, in
 * process, through the model's QMP command path (`machine.execute`) and its
 * synchronous mailbox (`machine.mailboxSync`).
 *
 * One run at size N on a fresh machine (seed profile, extent limit raised to
 * N, a RAM backend big enough for N 2 MiB extents) has four timed phases:
 * N QMP adds of one extent each (all pending), N host accepts (0x4802, one
 * extent each, always the front pending group), N QMP release requests and
 * N host releases (0x4803). Every reply is checked; a failure throws.
 *
 * @module
 */

import { createMachine } from "../model/mod.ts";
import type { Machine } from "../model/machine_types.ts";
import { SEED, withDcd } from "../model/profile.ts";
import { BLOCK, dcdMachine, DEVICE_ID, DEVICE_PATH } from "./machines.ts";
import { growthPerTenfold } from "./stats.ts";

/** Per-operation times (microseconds) of one size. */
export interface ScaleRow {
  /** Extents added, accepted and released. */
  extents: number;
  /** Runs measured (fresh machine each); per-op figures are their medians. */
  runs: number;
  /** QMP `cxl-add-dynamic-capacity` of one extent. */
  qmpAddUs: number;
  /** Mailbox 0x4802 accepting one extent. */
  acceptUs: number;
  /** QMP `cxl-release-dynamic-capacity` of one extent. */
  qmpReleaseUs: number;
  /** Mailbox 0x4803 releasing one extent. */
  hostReleaseUs: number;
  /** Sum of the four: one full cycle per extent. */
  cycleUs: number;
  /** Wall time of one whole run at this size (median), milliseconds. */
  totalMs: number;
  /** Growth of `cycleUs` per tenfold size since the previous row (1.0 = linear total). */
  growthPerTenfold: number | null;
}

/** Options of {@linkcode runModelScale}. */
export interface ModelScaleOptions {
  /** Extent counts (ascending). */
  sizes: readonly number[];
  /** Least operations per size: small sizes are repeated until reached (default 20000). */
  minOpsPerSize?: number;
  /** Most runs per size (default 25). */
  maxRuns?: number;
  /** Fewest runs per size, also for the largest (default 1). */
  minRuns?: number;
  /** Progress lines. */
  progress?: (line: string) => void;
}

function updatePayload(dpa: bigint, len: bigint): Uint8Array {
  const p = new Uint8Array(8 + 24);
  const v = new DataView(p.buffer);
  v.setUint32(0, 1, true);
  v.setBigUint64(8, dpa, true);
  v.setBigUint64(16, len, true);
  return p;
}

/** Region 0's base DPA, from 0x4800 (Get Dynamic Capacity Configuration). */
function regionBase(m: Machine): bigint {
  const r = m.mailboxSync(DEVICE_ID, 0x4800, new Uint8Array([1, 0]));
  if (r.rc !== 0 || r.payload.byteLength < 16) {
    throw new Error(`0x4800 returned rc ${r.rc} with ${r.payload.byteLength} bytes: expected 0`);
  }
  return new DataView(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength)
    .getBigUint64(8, true);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Times of one run, milliseconds per phase. */
interface RunTimes {
  add: number;
  accept: number;
  release: number;
  hostRelease: number;
}

/** One measured run at size `n` on a fresh machine. */
function oneRun(n: number): RunTimes {
  const gib = Math.ceil((n * BLOCK) / 2 ** 30) + 1;
  const m = createMachine(dcdMachine(`${gib}G`), {
    // From 10.1 on, pending extents count against the limit when the host accepts.
    profile: withDcd(SEED, { maxExtents: Math.max(2 * n + 1, 512) }),
  });
  const base = regionBase(m);
  const block = BigInt(BLOCK);
  const add = (i: number) => ({
    path: DEVICE_PATH,
    "host-id": 0,
    "selection-policy": "prescriptive",
    region: 0,
    extents: [{ offset: i * BLOCK, len: BLOCK }],
  });
  const rel = (i: number) => ({
    path: DEVICE_PATH,
    "host-id": 0,
    "removal-policy": "prescriptive",
    region: 0,
    extents: [{ offset: i * BLOCK, len: BLOCK }],
  });
  // Mailbox payloads are the host's work: built before the clock starts.
  const payloads: Uint8Array[] = [];
  for (let i = 0; i < n; i++) payloads.push(updatePayload(base + BigInt(i) * block, block));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = m.execute("cxl-add-dynamic-capacity", add(i));
    if ("error" in r) throw new Error(`QMP add ${i} of ${n} failed: ${r.error.desc}`);
  }
  const t1 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = m.mailboxSync(DEVICE_ID, 0x4802, payloads[i]!);
    if (r.rc !== 0) throw new Error(`accept ${i} of ${n}: rc ${r.rc}, expected 0`);
  }
  const t2 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = m.execute("cxl-release-dynamic-capacity", rel(i));
    if ("error" in r) throw new Error(`QMP release ${i} of ${n} failed: ${r.error.desc}`);
  }
  const t3 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = m.mailboxSync(DEVICE_ID, 0x4803, payloads[i]!);
    if (r.rc !== 0) throw new Error(`host release ${i} of ${n}: rc ${r.rc}, expected 0`);
  }
  const t4 = performance.now();
  return { add: t1 - t0, accept: t2 - t1, release: t3 - t2, hostRelease: t4 - t3 };
}

/**
 * Runs the scale benchmark at each size and returns one row per size.
 *
 * @example
 * ```ts
 * import { runModelScale } from "./model_scale.ts";
 * const rows = runModelScale({ sizes: [10, 100], minOpsPerSize: 100 });
 * if (rows.length !== 2 || !(rows[1]!.cycleUs > 0)) throw new Error("two rows expected");
 * ```
 */
export function runModelScale(options: ModelScaleOptions): ScaleRow[] {
  const minOps = options.minOpsPerSize ?? 20000;
  const maxRuns = options.maxRuns ?? 25;
  const minRuns = options.minRuns ?? 1;
  oneRun(Math.min(512, options.sizes[0] ?? 512)); // warm-up (JIT), not reported
  const rows: ScaleRow[] = [];
  for (const n of options.sizes) {
    const runs = Math.max(minRuns, 1, Math.min(maxRuns, Math.ceil(minOps / n)));
    const times: RunTimes[] = [];
    for (let k = 0; k < runs; k++) times.push(oneRun(n));
    const us = (f: (t: RunTimes) => number) => (median(times.map(f)) * 1000) / n;
    const row: ScaleRow = {
      extents: n,
      runs,
      qmpAddUs: us((t) => t.add),
      acceptUs: us((t) => t.accept),
      qmpReleaseUs: us((t) => t.release),
      hostReleaseUs: us((t) => t.hostRelease),
      cycleUs: us((t) => t.add + t.accept + t.release + t.hostRelease),
      totalMs: median(times.map((t) => t.add + t.accept + t.release + t.hostRelease)),
      growthPerTenfold: null,
    };
    const prev = rows[rows.length - 1];
    if (prev !== undefined) {
      row.growthPerTenfold = growthPerTenfold(prev.extents, prev.cycleUs, n, row.cycleUs);
    }
    rows.push(row);
    options.progress?.(
      `model scale: ${n} extents: ${row.cycleUs.toFixed(2)} µs/cycle, ${
        row.totalMs.toFixed(1)
      } ms total (${runs} run(s))`,
    );
  }
  return rows;
}

/** Overall growth per tenfold between the first and last rows (null for fewer than two). */
export function overallGrowth(rows: readonly ScaleRow[]): number | null {
  const a = rows[0];
  const b = rows[rows.length - 1];
  if (a === undefined || b === undefined || a === b) return null;
  return growthPerTenfold(a.extents, a.cycleUs, b.extents, b.cycleUs);
}
