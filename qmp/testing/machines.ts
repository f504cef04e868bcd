/**
 * Machine arguments used by the wire-layer tests.
 *
 * @module
 */

/** The minimal CXL DCD machine of the reference notes (one 2 GiB region), without monitors. */
export const DCD_MACHINE: readonly string[] = [
  "-machine",
  "q35,cxl=on,accel=tcg",
  "-m",
  "2G,maxmem=8G,slots=4",
  "-object",
  "memory-backend-ram,id=vmem0,share=on,size=2G",
  "-device",
  "pxb-cxl,bus_nr=23,bus=pcie.0,id=cxl.1,hdm_for_passthrough=true",
  "-device",
  "cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2",
  "-M",
  "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G",
  "-device",
  "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0",
];

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
