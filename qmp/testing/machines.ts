/**
 * Machine arguments used by the wire-layer tests.
 *
 * @module
 */

import { DCD_1X2G } from "../../model/test_machines.ts";

/** The minimal CXL DCD machine of the reference notes (one 2 GiB region), without monitors. */
export const DCD_MACHINE: readonly string[] = DCD_1X2G;

/** `serve` arguments: quiet, profile qemu-10.0, {@linkcode DCD_MACHINE} with one QMP socket at `sock`. */
export function quietServeArgs(sock: string): string[] {
  return [
    "--quiet",
    "--profile",
    "qemu-10.0",
    "--",
    ...DCD_MACHINE,
    "-qmp",
    `unix:${sock},server=on,wait=off`,
  ];
}

/** The `cxl-add-dynamic-capacity` arguments for extents of region 0 of `cxl-vmem0`. */
export function addArgs(
  extents: [number, number][],
): Record<string, import("../../model/qmp_value.ts").QmpValue> {
  return {
    path: "/machine/peripheral/cxl-vmem0",
    "host-id": 0,
    "selection-policy": "prescriptive",
    region: 0,
    extents: extents.map(([offset, len]) => ({ offset, len })),
  };
}

/** The `cxl-release-dynamic-capacity` arguments for extents of region 0 of `cxl-vmem0`. */
export function releaseArgs(
  extents: [number, number][],
): Record<string, import("../../model/qmp_value.ts").QmpValue> {
  return {
    path: "/machine/peripheral/cxl-vmem0",
    "host-id": 0,
    "removal-policy": "prescriptive",
    region: 0,
    extents: extents.map(([offset, len]) => ({ offset, len })),
  };
}
