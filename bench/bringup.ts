/**
 * QEMU start-up to device ready, firmware-free bring-up against SeaBIOS:
 * the same machine (dcd-1x2g) launched alternately each way with the QEMU
 * target's launcher, from spawn to the type-3 mailbox located (QMP ready,
 * PCI brought up, device discovered), then closed. The first launch of
 * each way is not counted.
 *
 * @module
 */

import { launchQemu } from "../conformance/qemu/launcher.ts";
import type { Bringup } from "../conformance/qemu/bringup.ts";
import { dcdMachine } from "./machines.ts";
import { type SampleStats, summarize } from "./stats.ts";

/** Start-up to device ready of one bring-up, milliseconds. */
export interface BringupRow {
  /** Who brought PCI up. */
  bringup: Bringup;
  /** Spawn to the mailbox located. */
  ready: SampleStats;
  /** qtest round trips from spawn to the mailbox located (median over the launches). */
  qtestRoundTrips: number;
}

/** The bring-up part of a run. */
export interface BringupResult {
  /** One row per bring-up (empty without QEMU). */
  rows: BringupRow[];
  /** direct / firmware, medians (null without QEMU). */
  ratioMedian: number | null;
  /** direct / firmware, p99 (null without QEMU). */
  ratioP99: number | null;
}

/** Options of {@linkcode runBringupBench}. */
export interface BringupBenchOptions {
  /** QEMU binary. */
  qemuBinary: string;
  /** Whether QEMU is present (else no rows). */
  qemuAvailable: boolean;
  /** Launches counted per bring-up. */
  launches: number;
  /** Progress lines. */
  progress?: (line: string) => void;
}

/**
 * Measures both bring-ups, interleaved launch by launch.
 *
 * @example
 * ```ts ignore
 * import { runBringupBench } from "./bringup.ts";
 * const r = await runBringupBench({ qemuBinary: "qemu-system-x86_64", qemuAvailable: true, launches: 5 });
 * console.log(r.ratioMedian);
 * ```
 */
export async function runBringupBench(o: BringupBenchOptions): Promise<BringupResult> {
  if (!o.qemuAvailable) return { rows: [], ratioMedian: null, ratioP99: null };
  const machine = dcdMachine("2G");
  const modes: Bringup[] = ["direct", "firmware"];
  const samples = new Map<Bringup, number[]>(modes.map((m) => [m, []]));
  const trips = new Map<Bringup, number[]>(modes.map((m) => [m, []]));
  for (let i = 0; i <= o.launches; i++) {
    for (const bringup of modes) {
      const t0 = performance.now();
      const q = await launchQemu(machine, { binary: o.qemuBinary, bringup });
      try {
        await q.devices();
        if (i > 0) {
          samples.get(bringup)!.push(performance.now() - t0);
          trips.get(bringup)!.push(q.qtest.batches);
        }
      } finally {
        await q.close();
      }
    }
  }
  const rows = modes.map((bringup) => ({
    bringup,
    ready: summarize(samples.get(bringup)!),
    qtestRoundTrips: summarize(trips.get(bringup)!).median,
  }));
  const [direct, firmware] = rows as [BringupRow, BringupRow];
  const result = {
    rows,
    ratioMedian: direct.ready.median / firmware.ready.median,
    ratioP99: direct.ready.p99 / firmware.ready.p99,
  };
  o.progress?.(
    `bring-up: start-up to device ready, direct ${direct.ready.median.toFixed(1)} ms, firmware ${
      firmware.ready.median.toFixed(1)
    } ms (medians; ratio ${
      result.ratioMedian.toFixed(2)
    }; qtest round trips ${direct.qtestRoundTrips} and ${firmware.qtestRoundTrips})`,
  );
  return result;
}
