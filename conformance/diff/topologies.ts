/**
 * The machines differential programs run on, each a preset of
 * `fixtures/machines/` described as the generator needs it: which devices
 * have dynamic capacity, their regions, and which have only static memory.
 *
 * @module
 */

/** A DC region as the generator aims at it. */
export interface RegionShape {
  /** DPA of the region's start. */
  base: bigint;
  /** Length in bytes. */
  length: bigint;
}

/** A type-3 device of a topology. */
export interface DeviceShape {
  /** `-device` id. */
  id: string;
  /** Its DC regions (empty for a device with only static memory). */
  regions: readonly RegionShape[];
}

/** A machine programs run on. */
export interface Topology {
  /** Name on the command line. */
  name: string;
  /** Preset in `fixtures/machines/`. */
  preset: string;
  /** One line saying what it is. */
  description: string;
  /** Its type-3 devices. */
  devices: readonly DeviceShape[];
}

const GIB = 1024n * 1024n * 1024n;

/** The topologies by name. */
export const TOPOLOGIES: Readonly<Record<string, Topology>> = {
  "one-region": {
    name: "one-region",
    preset: "dcd-1x2g",
    description: "one DC device, one 2 GiB region",
    devices: [{ id: "cxl-vmem0", regions: [{ base: 0n, length: 2n * GIB }] }],
  },
  "two-regions": {
    name: "two-regions",
    preset: "dcd-2x1g",
    description: "one DC device, two 1 GiB regions",
    devices: [{
      id: "cxl-vmem0",
      regions: [{ base: 0n, length: GIB }, { base: GIB, length: GIB }],
    }],
  },
  "static-beside-dc": {
    name: "static-beside-dc",
    preset: "mixed",
    description: "a DC device (one 1 GiB region) beside a device with 256 MiB static memory",
    devices: [
      { id: "cxl-vmem0", regions: [{ base: 0n, length: GIB }] },
      { id: "cxl-static0", regions: [] },
    ],
  },
};

/** Every topology name, in the order programs cycle through them. */
export const TOPOLOGY_NAMES: readonly string[] = Object.keys(TOPOLOGIES);

/**
 * The topologies a comma-separated list names (`all` for every one).
 *
 * @example
 * ```ts
 * import { parseTopologies } from "./topologies.ts";
 * if (parseTopologies("one-region,two-regions").length !== 2) throw new Error();
 * ```
 *
 * @throws {RangeError} for an unknown name, listing the known ones.
 */
export function parseTopologies(list: string): Topology[] {
  if (list === "all") return TOPOLOGY_NAMES.map((n) => TOPOLOGIES[n]!);
  return list.split(",").filter((n) => n !== "").map((n) => {
    const t = TOPOLOGIES[n];
    if (t === undefined) {
      throw new RangeError(
        `unknown topology '${n}': expected all or a comma-separated list of ${
          TOPOLOGY_NAMES.join(", ")
        }`,
      );
    }
    return t;
  });
}
