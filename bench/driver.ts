/**
 * The benchmark driver: runs every part (model scale, memory, served model
 * vs QEMU, QEMU bring-up with and without firmware, suite throughput), judges the goals, and returns one result
 * object that {@linkcode renderMarkdown} and the JSON file are made from.
 *
 * @module
 */

import { resolveBinary } from "../conformance/qemu/capabilities.ts";
import { qemuBinary as defaultQemuBinary } from "../conformance/qemu/args.ts";
import { type BringupResult, runBringupBench } from "./bringup.ts";
import { denoStartup, type InProcessCosts, inProcessCosts, serveLoadStartup } from "./baseline.ts";
import { dcdMachine } from "./machines.ts";
import { measureMemory, type MemoryResult } from "./memory.ts";
import { overallGrowth, runModelScale, type ScaleRow } from "./model_scale.ts";
import type { SampleStats } from "./stats.ts";
import { runSuiteBench, type SuiteRow } from "./suite.ts";
import { loadAverage, type SystemInfo, systemInfo } from "./system_info.ts";
import { runWire, type WireRow } from "./wire.ts";

/** Options of {@linkcode runBench}. */
export interface BenchOptions {
  /** Smoke mode: small sizes, few iterations, a few fixtures (CI). */
  quick?: boolean;
  /** QEMU binary (default `$QEMU_BINARY`, else `qemu-system-x86_64` on PATH). */
  qemuBinary?: string;
  /** Extent counts for the scale part (default 10, 100, 512, 10000, 100000; quick 10, 100, 512). */
  sizes?: readonly number[];
  /** Progress lines (stderr in the CLI). */
  progress?: (line: string) => void;
}

/** A goal and whether this run met it. */
export interface GoalResult {
  /** The goal, in words. */
  goal: string;
  /** The measured value, in words. */
  measured: string;
  /** Met, missed, or null when not measured (quick mode, QEMU absent). */
  met: boolean | null;
  /** What limits it when missed (or why not measured). */
  note: string;
}

/** Everything one run measured. */
export interface BenchResult {
  /** Result format version. */
  format: 1;
  /** Whether this was a --quick smoke run (numbers are not representative). */
  quick: boolean;
  /** The machine. */
  system: SystemInfo;
  /** Whether QEMU rows were measured. */
  qemuAvailable: boolean;
  /** Model scale rows and overall growth per tenfold. */
  modelScale: { rows: ScaleRow[]; overallGrowthPerTenfold: number | null };
  /** Heap per machine by backend size. */
  memory: MemoryResult;
  /** Served model vs QEMU rows, with the baselines that explain them. */
  wire: {
    rows: WireRow[];
    denoStartup: SampleStats;
    serveLoadStartup: SampleStats;
    inProcess: InProcessCosts;
  };
  /** QEMU start-up to device ready, firmware-free against SeaBIOS bring-up. */
  bringup: BringupResult;
  /** Suite throughput rows. */
  suite: SuiteRow[];
  /** Goals judged. */
  goals: GoalResult[];
  /** Wall time of the whole run, milliseconds. */
  totalMs: number;
}

const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;

function judge(r: Omit<BenchResult, "goals" | "totalMs">): GoalResult[] {
  const goals: GoalResult[] = [];
  const big = r.modelScale.rows.find((x) => x.extents === 100_000);
  goals.push({
    goal: "100,000 extents added, accepted and released in <= 1.0 s (model, in process)",
    measured: big === undefined ? "not measured" : ms(big.totalMs),
    met: big === undefined ? null : big.totalMs <= 1000,
    note: big === undefined
      ? "quick mode stops at 512 extents"
      : big.totalMs <= 1000
      ? ""
      : "every operation is O(log n) on sorted chunks of at most 64 extents; the rest is QMP " +
        "argument validation (about a fifth of the time) and garbage collection of the state " +
        "that must survive (about 130 bytes per pending extent)",
  });
  const g = r.modelScale.overallGrowthPerTenfold;
  goals.push({
    goal: "near-linear scaling: cost per cycle grows at most 1.5x per tenfold extents",
    measured: g === null ? "not measured" : `${g.toFixed(2)}x per tenfold (first to last size)`,
    met: g === null ? null : g <= 1.5,
    note: "",
  });
  goals.push({
    goal: "memory flat in backend size: a 1 TiB backend/region costs what a 1 GiB one does (±10%)",
    measured: `worst 1 TiB / 1 GiB heap ratio ${r.memory.worstRatio.toFixed(3)}` +
      (r.memory.gcExposed ? "" : " (no --expose-gc: garbage included)"),
    met: r.memory.worstRatio <= 1.1,
    note: "",
  });
  for (const w of r.wire.rows.filter((w) => w.goal)) {
    const met = w.ratioMedian === null ? null : w.ratioMedian <= 1 && (w.ratioP99 ?? 0) <= 1;
    let note = "";
    if (w.ratioMedian === null) note = "QEMU not found";
    else if (!met && w.name.startsWith("start-up")) {
      note = `Deno start-up: an empty module takes ${
        ms(r.wire.denoStartup.median)
      } spawn to exit, loading serve's module graph (--from-source --help) ${
        ms(r.wire.serveLoadStartup.median)
      }; the rest is building the machine, binding the socket and the QMP handshake`;
    } else if (!met) {
      note =
        `the model answers in process in ${
          r.wire.inProcess.queryVersionUs.toFixed(1)
        } µs (query-version); ` +
        "the rest is the socket, the event loop and JSON on both ends";
    }
    goals.push({
      goal: `served model / QEMU <= 1: ${w.name} (median and p99)`,
      measured: w.ratioMedian === null
        ? "QEMU not found"
        : `median ${w.ratioMedian.toFixed(2)}, p99 ${(w.ratioP99 ?? 0).toFixed(2)}`,
      met,
      note,
    });
  }
  const b = r.bringup;
  const [direct, firmware] = b.rows;
  goals.push({
    goal:
      "QEMU start-up to device ready: firmware-free bring-up <= 0.6 x SeaBIOS (medians, same run)",
    measured: b.ratioMedian === null || direct === undefined || firmware === undefined
      ? "QEMU not found"
      : `${b.ratioMedian.toFixed(2)} (${ms(direct.ready.median)} vs ${
        ms(firmware.ready.median)
      }; p99 ratio ${(b.ratioP99 ?? 0).toFixed(2)})`,
    met: b.ratioMedian === null ? null : b.ratioMedian <= 0.6,
    note: b.ratioMedian === null
      ? "QEMU not found"
      : b.ratioMedian <= 0.6
      ? ""
      : "both include QEMU's own start to its main loop (about 55 ms for this machine here), " +
        "which no bring-up shortens",
  });
  const twoWorkers = r.suite.find((s) =>
    s.bringup === "direct" && s.jobs === 2 && s.machines === "shared"
  );
  const isolated = r.suite.find((s) =>
    s.bringup === "direct" && s.jobs === 2 && s.machines === "isolated"
  );
  goals.push({
    goal: "whole catalogue on QEMU with 2 workers in <= 5 s (firmware-free bring-up)",
    measured: twoWorkers === undefined
      ? "QEMU not found"
      : `${ms(twoWorkers.wallMs)} (${twoWorkers.ran} fixtures on ${
        twoWorkers.started?.machines ?? twoWorkers.ran
      } machines; one per fixture: ${isolated === undefined ? "not run" : ms(isolated.wallMs)})`,
    met: twoWorkers === undefined || r.quick ? null : twoWorkers.wallMs <= 5000,
    note: twoWorkers === undefined
      ? "QEMU not found"
      : r.quick
      ? "quick mode runs a sample of the catalogue"
      : twoWorkers.wallMs <= 5000
      ? ""
      : `QEMU alone takes ${
        ms(r.wire.rows[0]?.qemu?.median ?? 0)
      } from spawn to QMP ready (the start-up row above), mostly its own CPU, ${
        twoWorkers.started?.machines ?? twoWorkers.ran
      } times over 2 cores`,
  });
  const inProc = r.suite.find((s) => s.target === "model[seed]");
  goals.push({
    goal: "whole fixture catalogue against the model in process in < 1 s",
    measured: inProc === undefined
      ? "not measured"
      : `${ms(inProc.wallMs)} (${inProc.ran} fixtures)`,
    met: inProc === undefined ? null : r.quick ? null : inProc.wallMs < 1000,
    note: r.quick ? "quick mode runs a sample of the catalogue" : "",
  });
  const timed = r.suite.find((s) => s.breakdown !== undefined);
  goals.push({
    goal: "runner overhead on the QEMU target < 10% beyond QEMU's start-up and command time",
    measured: timed?.breakdown === undefined
      ? "QEMU not found"
      : `${(timed.breakdown.runnerBeyondTarget * 100).toFixed(2)}% (${
        ms(timed.breakdown.runnerMs)
      } of ${ms(timed.wallMs)})`,
    met: timed?.breakdown === undefined ? null : timed.breakdown.runnerBeyondTarget < 0.1,
    note: timed?.breakdown === undefined ? "QEMU not found" : "",
  });
  return goals;
}

/**
 * Runs the whole benchmark.
 *
 * @example
 * ```ts ignore
 * import { runBench } from "./driver.ts";
 * const r = await runBench({ quick: true, progress: (l) => console.error(l) });
 * console.log(r.goals.filter((g) => g.met === false));
 * ```
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchResult> {
  const t0 = performance.now();
  const quick = options.quick ?? false;
  const progress = options.progress ?? (() => {});
  const binary = defaultQemuBinary(options.qemuBinary);
  const system = await systemInfo(binary);
  const qemuAvailable = resolveBinary(binary) !== undefined && system.qemu !== "QEMU not found";
  if (!qemuAvailable) {
    progress(`QEMU not found (${binary}): QEMU rows are skipped (set QEMU_BINARY or --qemu)`);
  }
  const qemuPath = resolveBinary(binary) ?? binary;
  progress(`machine: ${system.nproc} CPUs, ${system.cpuModel}; ${system.qemu}; ${system.deno}`);

  const sizes = options.sizes ?? (quick ? [10, 100, 512] : [10, 100, 512, 10_000, 100_000]);
  const scaleRows = runModelScale({
    sizes,
    minOpsPerSize: quick ? 1000 : 30_000,
    maxRuns: quick ? 3 : 25,
    minRuns: quick ? 1 : 3,
    progress,
  });
  const modelScale = { rows: scaleRows, overallGrowthPerTenfold: overallGrowth(scaleRows) };

  const memory = measureMemory(quick ? 10 : 200);
  progress(`memory: worst 1 TiB / 1 GiB ratio ${memory.worstRatio.toFixed(3)}`);

  const inProcess = inProcessCosts(quick ? 200 : 20_000);
  const deno = await denoStartup(quick ? 1 : 10);
  const serveLoad = await serveLoadStartup(quick ? 1 : 10);
  progress(
    `baseline: deno run: empty module ${deno.median.toFixed(1)} ms, serve.ts --help ${
      serveLoad.median.toFixed(1)
    } ms (medians)`,
  );
  const wireRows = await runWire({
    machine: dcdMachine("2G"),
    qemuBinary: qemuPath,
    qemuAvailable,
    startups: quick ? 1 : 20,
    iterations: quick ? 30 : 2000,
    warmup: quick ? 5 : 200,
    progress,
  });

  const bringup = await runBringupBench({
    qemuBinary: qemuPath,
    qemuAvailable,
    launches: quick ? 2 : 20,
    progress,
  });

  const suite = await runSuiteBench({
    qemuBinary: qemuPath,
    qemuAvailable,
    ...(quick ? { limit: 6 } : {}),
    progress,
  });

  const partial = {
    format: 1 as const,
    quick,
    system,
    qemuAvailable,
    modelScale,
    memory,
    wire: { rows: wireRows, denoStartup: deno, serveLoadStartup: serveLoad, inProcess },
    bringup,
    suite,
  };
  system.loadEnd = await loadAverage();
  return { ...partial, goals: judge(partial), totalMs: performance.now() - t0 };
}
