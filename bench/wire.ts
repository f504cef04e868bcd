/**
 * Served model vs real QEMU over the same client ({@linkcode QmpClient}), the
 * same machine arguments, in one run: start-up time (spawn to QMP ready) and
 * QMP round-trip latency.
 *
 * Latency workloads are steady state (the same reply every time, no state
 * growth), so they repeat identically on both servers:
 * - `query-version`;
 * - `cxl-add-dynamic-capacity` of [0, 2 MiB) while an earlier add of the same
 *   range is pending: refused, "cannot add DPA again while still pending"
 *   (argument validation, path resolution, region and pending-list checks);
 * - `cxl-release-dynamic-capacity` of the same range: refused, "cannot
 *   release extent with pending DPA range".
 * One setup add makes [0, 2 MiB) pending; nobody answers it (no host).
 * Machines start with `-S` so QEMU's vCPU (TCG) does not compete for the CPU.
 * Start-up is measured for `qmp/serve.ts` as users start it (from its bundle
 * cache, `qmp/serve_cache.ts`, which the first, unmeasured round refreshes if
 * it is stale) and, shown but not a goal, with `--from-source` (the module
 * graph, as the first start after a change of the source loads it).
 *
 * @module
 */

import type { QmpObject } from "../model/qmp_value.ts";
import type { QmpClient } from "../qmp/client.ts";
import { BLOCK, DEVICE_PATH } from "./machines.ts";
import { readManifest, staleness } from "../qmp/serve_cache.ts";
import { type ServerKind, type StartOptions, startServer } from "./processes.ts";
import { type SampleStats, summarize } from "./stats.ts";

const SERVE_MAIN = new URL("../qmp/serve_main.ts", import.meta.url);
const SERVE_CACHE = new URL("../.cache/serve/", import.meta.url);

/** One comparison row; times in milliseconds. */
export interface WireRow {
  /** What was measured. */
  name: string;
  /** The served model's samples. */
  model: SampleStats;
  /** QEMU's samples (null when QEMU is absent). */
  qemu: SampleStats | null;
  /** model median / QEMU median (goal <= 1). */
  ratioMedian: number | null;
  /** model p99 / QEMU p99 (goal <= 1). */
  ratioP99: number | null;
  /** Whether the row is a goal (ratios <= 1), not only shown. */
  goal: boolean;
}

/** Options of {@linkcode runWire}. */
export interface WireOptions extends StartOptions {
  /** Machine arguments (both servers). */
  machine: readonly string[];
  /** Whether QEMU is present (else its columns are null). */
  qemuAvailable: boolean;
  /** Start-ups measured per server (after one unmeasured warm-up each). */
  startups: number;
  /** Round trips measured per workload (after warm-up). */
  iterations: number;
  /** Warm-up round trips per workload. */
  warmup: number;
  /** Progress lines. */
  progress?: (line: string) => void;
}

const ADD: QmpObject = {
  path: DEVICE_PATH,
  "host-id": 0,
  "selection-policy": "prescriptive",
  region: 0,
  extents: [{ offset: 0, len: BLOCK }],
};
const RELEASE: QmpObject = {
  path: DEVICE_PATH,
  "host-id": 0,
  "removal-policy": "prescriptive",
  region: 0,
  extents: [{ offset: 0, len: BLOCK }],
};

interface Workload {
  name: string;
  command: string;
  args?: QmpObject;
  /** Expected error description (undefined: success expected). */
  error?: string;
}

const WORKLOADS: Workload[] = [
  { name: "QMP round trip: query-version", command: "query-version" },
  {
    name: "QMP round trip: add refused (still pending)",
    command: "cxl-add-dynamic-capacity",
    args: ADD,
    error: "cannot add DPA again while still pending",
  },
  {
    name: "QMP round trip: release refused (pending range)",
    command: "cxl-release-dynamic-capacity",
    args: RELEASE,
    error: "cannot release extent with pending DPA range",
  },
];

async function roundTrips(
  client: QmpClient,
  w: Workload,
  count: number,
  kind: ServerKind,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const r = await client.executeResult(w.command, w.args);
    out.push(performance.now() - t0);
    const got = "error" in r ? r.error.desc : undefined;
    if (got !== w.error) {
      throw new Error(
        `${kind}: ${w.command} answered ${got === undefined ? "success" : `'${got}'`}: expected ${
          w.error === undefined ? "success" : `'${w.error}'`
        }`,
      );
    }
  }
  return out;
}

/**
 * Spawn-to-ready times of `o.startups` start-ups of each server kind,
 * interleaved (one of each kind in turn, round after round, after one
 * unmeasured warm-up round), milliseconds: one array per kind, in the order
 * given. Interleaving pairs the samples in time, so that a stretch of load
 * from outside (another tenant of the host, a background job) falls on every
 * kind alike instead of on whichever kind happened to be measured then.
 *
 * @example
 * ```ts ignore
 * import { interleavedStartups } from "./wire.ts";
 * import { dcdMachine } from "./machines.ts";
 * const [model, qemu] = await interleavedStartups(["model", "qemu"], {
 *   machine: dcdMachine("2G"), qemuBinary: "qemu-system-x86_64", startups: 5,
 * });
 * console.log(model!.length, qemu!.length); // 5 5
 * ```
 */
export async function interleavedStartups(
  kinds: readonly ServerKind[],
  o: Pick<WireOptions, "machine" | "startups" | "progress"> & StartOptions & {
    /** Runs after the warm-up round (throw to stop before the measured rounds). */
    afterWarmup?: () => void;
  },
): Promise<number[][]> {
  const machine = [...o.machine, "-S"];
  const out: number[][] = kinds.map(() => []);
  for (let round = 0; round <= o.startups; round++) {
    for (let k = 0; k < kinds.length; k++) {
      const s = await startServer(kinds[k]!, machine, o);
      if (round > 0) out[k]!.push(s.readyMs); // the first round warms caches
      await s.stop();
    }
    if (round === 0) o.afterWarmup?.();
  }
  o.progress?.(`wire: ${kinds.join(", ")}: ${o.startups} start-ups each measured, interleaved`);
  return out;
}

/**
 * Round-trip times of every latency workload on one started server (after
 * the setup add and `o.warmup` round trips each), milliseconds: one array per
 * workload, in the order of the wire rows.
 */
export async function latencies(
  kind: ServerKind,
  o: Pick<WireOptions, "machine" | "iterations" | "warmup" | "progress"> & StartOptions,
): Promise<number[][]> {
  const machine = [...o.machine, "-S"];
  const s = await startServer(kind, machine, o);
  try {
    const setup = await s.client.executeResult("cxl-add-dynamic-capacity", ADD);
    if ("error" in setup) throw new Error(`${kind}: setup add failed: ${setup.error.desc}`);
    const latency: number[][] = [];
    for (const w of WORKLOADS) {
      await roundTrips(s.client, w, o.warmup, kind);
      latency.push(await roundTrips(s.client, w, o.iterations, kind));
    }
    o.progress?.(`wire: ${kind}: ${o.iterations} round trips x ${WORKLOADS.length} measured`);
    return latency;
  } finally {
    await s.stop();
  }
}

/** The latency workloads' row names, in the order {@linkcode latencies} returns them. */
export const LATENCY_ROWS: readonly string[] = WORKLOADS.map((w) => w.name);

function row(name: string, model: number[], qemu: number[] | null, goal = true): WireRow {
  const m = summarize(model);
  const q = qemu === null ? null : summarize(qemu);
  return {
    name,
    model: m,
    qemu: q,
    ratioMedian: q === null ? null : m.median / q.median,
    ratioP99: q === null ? null : m.p99 / q.p99,
    goal,
  };
}

/**
 * Measures both servers, never both at once: the start-ups of the served
 * model (from its bundle cache), the served model from source and QEMU
 * interleaved (see
 * {@linkcode interleavedStartups}), then each server's round trips.
 *
 * @example
 * ```ts ignore
 * import { runWire } from "./wire.ts";
 * import { dcdMachine } from "./machines.ts";
 * const rows = await runWire({
 *   machine: dcdMachine("2G"), qemuBinary: "qemu-system-x86_64", qemuAvailable: true,
 *   startups: 3, iterations: 100, warmup: 20,
 * });
 * console.log(rows[0]!.ratioMedian);
 * ```
 */
export async function runWire(o: WireOptions): Promise<WireRow[]> {
  const kinds: ServerKind[] = [
    "model",
    "model-source",
    ...(o.qemuAvailable ? ["qemu" as const] : []),
  ];
  const [model, source, qemu = null] = await interleavedStartups(kinds, {
    ...o,
    // The warm-up round's first start rebuilt the bundle cache if it was stale.
    afterWarmup: () => {
      const stale = staleness(readManifest(SERVE_CACHE), SERVE_MAIN);
      if (stale !== undefined) {
        throw new Error(
          `serve's bundle cache is not fresh after a start (${stale}): the start-up row would measure the module graph`,
        );
      }
    },
  });
  const modelLatency = await latencies("model", o);
  const qemuLatency = o.qemuAvailable ? await latencies("qemu", o) : null;
  const rows = [
    row("start-up: spawn to QMP ready", model!, qemu),
    row(
      "start-up: spawn to QMP ready, serve --from-source (module graph, as the first start after a change)",
      source!,
      qemu,
      false,
    ),
  ];
  WORKLOADS.forEach((w, i) => {
    rows.push(row(w.name, modelLatency[i]!, qemuLatency === null ? null : qemuLatency[i]!));
  });
  return rows;
}
