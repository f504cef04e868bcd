/**
 * Machine descriptions the benchmarks use: the seed-like one-device topology
 * with a backend (or, for the seed profile, a lazy region) of a chosen size.
 *
 * @module
 */

import { BASE_ARGS, BRIDGE_ARGS } from "../model/test_machines.ts";

/** 2 MiB, QEMU's only DC block size. */
export const BLOCK: number = 2 * 1024 * 1024;

/** Id of the type-3 device in {@linkcode dcdMachine}. */
export const DEVICE_ID = "cxl-vmem0";

/** QOM path of the type-3 device in {@linkcode dcdMachine}. */
export const DEVICE_PATH = "/machine/peripheral/cxl-vmem0";

/**
 * The `dcd-1x2g` topology (fixtures/machines) with the DC memdev sized
 * `size` (a QEMU size string such as `2G` or `1T`), or with
 * `dc-regions-total-size` of that size and no memdev when `lazy` (seed only).
 *
 * @example
 * ```ts
 * import { dcdMachine } from "./machines.ts";
 * const args = dcdMachine("1T");
 * if (!args.includes("memory-backend-ram,id=vmem0,share=on,size=1T")) throw new Error();
 * ```
 */
export function dcdMachine(size: string, lazy = false): string[] {
  const device = lazy
    ? `cxl-type3,bus=root_port13,id=${DEVICE_ID},num-dc-regions=1,dc-regions-total-size=${size}`
    : `cxl-type3,bus=root_port13,id=${DEVICE_ID},num-dc-regions=1,volatile-dc-memdev=vmem0`;
  return [
    ...BASE_ARGS,
    ...(lazy ? [] : ["-object", `memory-backend-ram,id=vmem0,share=on,size=${size}`]),
    ...BRIDGE_ARGS,
    "-device",
    device,
  ];
}
