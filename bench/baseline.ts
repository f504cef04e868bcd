/**
 * Baselines that explain the served model's numbers: Deno's own start-up
 * (spawn `deno run` of an empty module until it exits) and the model's
 * in-process cost of the latency workloads (`machine.execute`, no wire).
 *
 * @module
 */

import { createMachine } from "../model/mod.ts";
import { QEMU_10_0 } from "../model/profile.ts";
import type { QmpObject } from "../model/qmp_value.ts";
import { BLOCK, dcdMachine, DEVICE_PATH } from "./machines.ts";
import { type SampleStats, summarize } from "./stats.ts";

/**
 * Spawn-to-exit times of `deno ARGS`, `count` times after one warm-up, in
 * milliseconds.
 *
 * @throws {Error} when the command fails.
 */
async function spawnToExit(args: string[], count: number): Promise<SampleStats> {
  const samples: number[] = [];
  for (let i = 0; i <= count; i++) {
    const t0 = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    const ms = performance.now() - t0;
    if (!out.success) throw new Error(`deno ${args.join(" ")} exited ${out.code}: expected 0`);
    if (i > 0) samples.push(ms);
  }
  return summarize(samples);
}

/**
 * Spawn-to-exit times of `deno run` on an empty module, `count` times after
 * one warm-up, in milliseconds: the runtime's own start-up.
 *
 * @example
 * ```ts ignore
 * import { denoStartup } from "./baseline.ts";
 * console.log((await denoStartup(3)).median);
 * ```
 */
export async function denoStartup(count: number): Promise<SampleStats> {
  const dir = await Deno.makeTempDir({ prefix: "cxl-bench-deno-" });
  const file = `${dir}/empty.ts`;
  await Deno.writeTextFile(file, "export {};\n");
  try {
    return await spawnToExit(["run", "--allow-all", file], count);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Spawn-to-exit times of `deno run --allow-all qmp/serve.ts --from-source
 * --help`: the runtime plus loading the served model's module graph, with no
 * machine and no socket.
 *
 * @example
 * ```ts ignore
 * import { serveLoadStartup } from "./baseline.ts";
 * console.log((await serveLoadStartup(3)).median);
 * ```
 */
export function serveLoadStartup(count: number): Promise<SampleStats> {
  const serve = new URL("../qmp/serve.ts", import.meta.url).pathname;
  return spawnToExit(["run", "--allow-all", serve, "--from-source", "--help"], count);
}

/** In-process cost of each latency workload, microseconds per call. */
export interface InProcessCosts {
  /** `query-version`. */
  queryVersionUs: number;
  /** The refused add. */
  addRefusedUs: number;
  /** The refused release. */
  releaseRefusedUs: number;
}

/**
 * Times the latency workloads through `machine.execute` directly (no wire).
 *
 * @example
 * ```ts
 * import { inProcessCosts } from "./baseline.ts";
 * const c = inProcessCosts(100);
 * if (!(c.queryVersionUs > 0)) throw new Error("positive time expected");
 * ```
 */
export function inProcessCosts(iterations: number): InProcessCosts {
  const m = createMachine(dcdMachine("2G"), { profile: QEMU_10_0 });
  const extents = [{ offset: 0, len: BLOCK }];
  const add: QmpObject = {
    path: DEVICE_PATH,
    "host-id": 0,
    "selection-policy": "prescriptive",
    region: 0,
    extents,
  };
  const rel: QmpObject = {
    path: DEVICE_PATH,
    "host-id": 0,
    "removal-policy": "prescriptive",
    region: 0,
    extents,
  };
  if ("error" in m.execute("cxl-add-dynamic-capacity", add)) {
    throw new Error("setup add failed: expected success on a fresh machine");
  }
  const time = (command: string, args: QmpObject | undefined): number => {
    for (let i = 0; i < Math.min(iterations, 200); i++) m.execute(command, args);
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) m.execute(command, args);
    return ((performance.now() - t0) * 1000) / iterations;
  };
  return {
    queryVersionUs: time("query-version", undefined),
    addRefusedUs: time("cxl-add-dynamic-capacity", add),
    releaseRefusedUs: time("cxl-release-dynamic-capacity", rel),
  };
}
