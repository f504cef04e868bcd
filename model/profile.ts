/**
 * Behaviour profiles: what distinguishes one QEMU build's CXL DCD behaviour
 * from another's, as data. The code reads switches, limits and strings from a
 * {@linkcode Profile}; there is no per-profile fork of the code. Adding a
 * profile (e.g. `qemu-10.2`, or the RFC's later revision) means adding a record.
 *
 * @module
 */

import {
  type DevicePropertyTable,
  QEMU_10_0_DEVICE_PROPERTIES,
  QEMU_10_1_DEVICE_PROPERTIES,
  QEMU_11_1_DEVICE_PROPERTIES,
  SEED_LAZY_PROPERTY,
} from "./device_property_tables.ts";
import {
  QEMU_10_0_DEVICE_TYPES,
  QEMU_10_1_DEVICE_TYPES,
  QEMU_11_1_DEVICE_TYPES,
} from "./device_type_names.ts";
import {
  QEMU_10_1_SWITCH_CCI,
  QEMU_11_1_SWITCH_CCI,
  type SwitchCciRelease,
} from "./switch_release_tables.ts";

/** QEMU version triple as `query-version` reports it. */
export interface QemuVersion {
  /** Major version, e.g. 10. */
  major: number;
  /** Minor version, e.g. 0. */
  minor: number;
  /** Micro (patch) version, e.g. 2. */
  micro: number;
}

/** Switches for the seed's tagged-memory features (seed-profile.md). */
export interface TaggedMemoryFeatures {
  /** `object-add` accepts `qom-type: memory-backend-tagged`. */
  taggedBackends: boolean;
  /** `cxl-type3` accepts `dc-regions-total-size` (no backing memdev). */
  lazyDevices: boolean;
  /** `removal-policy: tag-based` is implemented. */
  tagBasedRelease: boolean;
  /** `cxl-release-dynamic-capacity-status` exists. */
  releaseStatus: boolean;
  /** A `tag` given to add/release must be a UUID and is carried in event records. */
  tagsInEvents: boolean;
  /** Partial release of a tagged (backend-mapped) extent is refused. */
  noHolePunching: boolean;
}

/** Dynamic-capacity limits and encodings. */
export interface DcdParameters {
  /** Extents a device supports (QEMU: 512). Raised for scale tests. */
  maxExtents: number;
  /** Records the DC event log holds (QEMU: 8). */
  eventLogCapacity: number;
  /** DC regions a device can have (QEMU: 8 slots). */
  maxRegions: number;
  /** The only block size QEMU supports: 2 MiB. */
  blockSize: number;
  /** Event record validity-flags byte (10.0.2: 0; 10.2.2: 1). */
  eventValidityFlags: number;
  /** Event record host id: the QMP `host-id` (10.0.2) or always 0 (10.2.2). */
  eventHostIdFromQmp: boolean;
  /** Event record "extents available": 0 (10.0.2) or 512 - total (10.2.2). */
  eventReportsExtentsAvailable: boolean;
  /** `total_extent_count` counts pending extents too (10.2.2). */
  totalCountIncludesPending: boolean;
  /** The FM-API DCD opcodes 0x5600-0x5605 on the FM-owned LD CCI (10.1 and later). */
  fmApi: boolean;
}

/**
 * The dialect of QEMU's JSON parser errors on the QMP input stream.
 * - `qemu-10.0`: `JSON parse error, stray '-s'`, `... key is not a string in
 *   object`, with no position (10.0.x, and every release up to at least the
 *   10.2.50 tree of February 2026);
 * - `qemu-11.1`: every message is prefixed with the 1-based `LINE:COLUMN` of
 *   the offending input on that connection (`2:13: JSON parse error, ...`),
 *   and the parser's own messages are reworded (`expecting key`,
 *   `expected ',' or '}'`, ...). First seen on 11.1.3.
 */
export type JsonErrorDialect = "qemu-10.0" | "qemu-11.1";

/** QOM-level differences between releases (what `qom-list`, `object-del`, `device-list-properties` show). */
export interface QomParameters {
  /** The version in the machine types' QOM names (`pc-q35-VERSION-machine`). */
  machineTypeVersion: string;
  /** Containers under `/` beyond `chardevs`, `objects`, `machine`, `backend` (11.1: `audiodevs`). */
  extraRootContainers: readonly string[];
  /** QMP monitors are QOM objects: `/objects/compat_monitorN` of type `monitor-qmp` (11.1). */
  monitorsInObjects: boolean;
  /**
   * The `object-del` error for a memory backend mapped by a device or the
   * machine (`%s` is the id); undefined: QEMU's generic in-use error.
   */
  mappedBackendDeleteError: string | undefined;
  /** `device-list-properties` answers by device type (model/device_property_tables.ts). */
  deviceProperties: DevicePropertyTable;
  /**
   * Every `-device` type name the release accepts (model/device_type_names.ts):
   * others fail at start-up with `'NAME' is not a valid device model name`.
   */
  deviceTypes: ReadonlySet<string>;
}

/** QMP-level differences between releases. */
export interface QmpParameters {
  /** How JSON parse errors are worded. */
  jsonErrors: JsonErrorDialect;
}

/** A QEMU release line, `major.minor` (e.g. 10.0 covers 10.0.0 to 10.0.x). */
export interface ReleaseLine {
  /** Major version. */
  major: number;
  /** Minor version. */
  minor: number;
}

/** A behaviour profile. */
export interface Profile {
  /** Profile name, e.g. `qemu-10.0`, `qemu-11.1`, `seed` or `qemu-11.1+seed`. */
  name: string;
  /** One line saying what the profile models. */
  description: string;
  /** The upstream release profile this one is (or is built on), e.g. `qemu-10.1`. */
  base: string;
  /** The release line of the base: what per-release fixture alternatives select on. */
  release: ReleaseLine;
  /** Version reported by `query-version` and the QMP greeting. */
  version: QemuVersion;
  /** Package string reported with the version. */
  package: string;
  /** Memory-backend QOM types in the `ObjectType` enum, in schema order. */
  memoryBackendTypes: readonly string[];
  /** The seed's features. */
  tagged: TaggedMemoryFeatures;
  /** DCD limits and encodings. */
  dcd: DcdParameters;
  /** QMP-level differences. */
  qmp: QmpParameters;
  /** QOM-level differences. */
  qom: QomParameters;
  /**
   * What the switch mailbox CCI answers differently (`model/switch_release_tables.ts`):
   * its Command Effects Log (0x5102 from 11.1) and Get Physical Port State's
   * fields. 10.0's are taken as 10.1's (not recorded: the suite has no FM
   * path on 10.0.x).
   */
  switchCci: SwitchCciRelease;
}

const QEMU_10_0_DCD: DcdParameters = {
  maxExtents: 512,
  eventLogCapacity: 8,
  maxRegions: 8,
  blockSize: 2 * 1024 * 1024,
  eventValidityFlags: 0,
  eventHostIdFromQmp: true,
  eventReportsExtentsAvailable: false,
  totalCountIncludesPending: false,
  fmApi: false,
};

/**
 * The DC encodings of 10.1 and later (hw/cxl: "fix DC extent capacity
 * tracking" and the FM-API DCD series, merged 2025-07-15 for 10.1): event
 * records carry validity 1, host id 0 and the extents available, and the
 * extent count includes pending extents.
 */
const QEMU_10_1_DCD: DcdParameters = {
  ...QEMU_10_0_DCD,
  eventValidityFlags: 1,
  eventHostIdFromQmp: false,
  eventReportsExtentsAvailable: true,
  totalCountIncludesPending: true,
  fmApi: true,
};

const NO_TAGGED_MEMORY: TaggedMemoryFeatures = {
  taggedBackends: false,
  lazyDevices: false,
  tagBasedRelease: false,
  releaseStatus: false,
  tagsInEvents: false,
  noHolePunching: false,
};

const STOCK_BACKENDS: readonly string[] = [
  "memory-backend-epc",
  "memory-backend-file",
  "memory-backend-memfd",
  "memory-backend-ram",
  "memory-backend-shm",
];

/** Stock QEMU 10.0.x as Debian ships it (bookworm-backports 10.0.2, trixie 10.0.13). */
export const QEMU_10_0: Profile = {
  name: "qemu-10.0",
  description: "stock upstream QEMU 10.0.x (Debian 10.0.2 and 10.0.13)",
  base: "qemu-10.0",
  release: { major: 10, minor: 0 },
  version: { major: 10, minor: 0, micro: 2 },
  package: "Debian 1:10.0.2+ds-2+deb13u1~bpo12+1",
  memoryBackendTypes: STOCK_BACKENDS,
  tagged: NO_TAGGED_MEMORY,
  dcd: QEMU_10_0_DCD,
  qmp: { jsonErrors: "qemu-10.0" },
  qom: {
    machineTypeVersion: "10.0",
    extraRootContainers: [],
    monitorsInObjects: false,
    mappedBackendDeleteError: undefined,
    deviceProperties: QEMU_10_0_DEVICE_PROPERTIES,
    deviceTypes: QEMU_10_0_DEVICE_TYPES,
  },
  switchCci: QEMU_10_1_SWITCH_CCI,
};

/** Stock QEMU 10.1.x (and a 10.1.50 development tree, the seed's base). */
export const QEMU_10_1: Profile = {
  ...QEMU_10_0,
  name: "qemu-10.1",
  description: "stock upstream QEMU 10.1.x: DC event records and extent counts as fixed for 10.1",
  base: "qemu-10.1",
  release: { major: 10, minor: 1 },
  version: { major: 10, minor: 1, micro: 0 },
  package: "",
  dcd: QEMU_10_1_DCD,
  qom: {
    ...QEMU_10_0.qom,
    machineTypeVersion: "10.1",
    deviceProperties: QEMU_10_1_DEVICE_PROPERTIES,
    deviceTypes: QEMU_10_1_DEVICE_TYPES,
  },
};

/** Stock QEMU 10.2.x. */
export const QEMU_10_2: Profile = {
  ...QEMU_10_1,
  name: "qemu-10.2",
  description: "stock upstream QEMU 10.2.x",
  base: "qemu-10.2",
  release: { major: 10, minor: 2 },
  version: { major: 10, minor: 2, micro: 0 },
  package: "",
  qom: { ...QEMU_10_1.qom, machineTypeVersion: "10.2" },
};

/** Stock QEMU 11.1.x as Debian ships it (trixie-backports 11.1.3). */
export const QEMU_11_1: Profile = {
  ...QEMU_10_2,
  name: "qemu-11.1",
  description: "stock upstream QEMU 11.1.x (Debian 11.1.3)",
  base: "qemu-11.1",
  release: { major: 11, minor: 1 },
  version: { major: 11, minor: 1, micro: 3 },
  package: "Debian 1:11.1.3+ds-2~bpo13+1",
  qmp: { ...QEMU_10_2.qmp, jsonErrors: "qemu-11.1" },
  qom: {
    machineTypeVersion: "11.1",
    extraRootContainers: ["audiodevs"],
    monitorsInObjects: true,
    mappedBackendDeleteError: "Cannot delete host memory backend '%s' which is mapped",
    deviceProperties: QEMU_11_1_DEVICE_PROPERTIES,
    deviceTypes: QEMU_11_1_DEVICE_TYPES,
  },
  switchCci: QEMU_11_1_SWITCH_CCI,
};

/** The seed's features (seed-profile.md), as a feature set on top of a release. */
export const SEED_FEATURES: TaggedMemoryFeatures = {
  taggedBackends: true,
  lazyDevices: true,
  tagBasedRelease: true,
  releaseStatus: true,
  tagsInEvents: true,
  noHolePunching: true,
};

/**
 * The seed's features on top of a release profile. On the seed's own base
 * (10.1, its tree is 10.1.50) the result is named `seed`; on any other base
 * `BASE+seed` (e.g. `qemu-11.1+seed`).
 *
 * @example
 * ```ts
 * import { QEMU_11_1, withSeed } from "@cxl-dcd/conformance/model";
 * const p = withSeed(QEMU_11_1);
 * if (p.name !== "qemu-11.1+seed" || !p.tagged.taggedBackends) throw new Error(p.name);
 * ```
 */
export function withSeed(base: Profile): Profile {
  const types = [...base.memoryBackendTypes];
  const ram = types.indexOf("memory-backend-ram");
  if (!types.includes("memory-backend-tagged")) types.splice(ram + 1, 0, "memory-backend-tagged");
  const own = base.name === SEED_BASE_NAME;
  // The seed adds dc-regions-total-size to cxl-type3: where its own build lists it, on its own
  // base; at the end on any other (no build of that combination exists to say otherwise).
  const type3 = [...(base.qom.deviceProperties["cxl-type3"] ?? [])];
  type3.splice(own ? SEED_LAZY_PROPERTY.index : type3.length, 0, SEED_LAZY_PROPERTY.info);
  const qom: QomParameters = {
    ...base.qom,
    deviceProperties: { ...base.qom.deviceProperties, "cxl-type3": type3 },
    // The seed's tree is a 10.1.50 development tree: its machine types are already 10.2's.
    ...(own ? { machineTypeVersion: "10.2" } : {}),
  };
  return {
    ...base,
    name: own ? "seed" : `${base.name}+seed`,
    description: own
      ? "the seed's base (a 10.1.50 development tree) plus the tagged-memory RFC (memory-backend-tagged, lazy DC, tag-based release), with the project's normative decisions"
      : `${base.description}, plus the tagged-memory RFC with the project's normative decisions`,
    version: own ? { major: 10, minor: 1, micro: 50 } : base.version,
    qom,
    package: own ? "cxl-dcd-conformance model (seed profile)" : base.package,
    memoryBackendTypes: types,
    tagged: SEED_FEATURES,
  };
}

const SEED_BASE_NAME = "qemu-10.1";

/** The seed's features on its real base: a 10.1.50 tree (profile `qemu-10.1`). */
export const SEED: Profile = withSeed(QEMU_10_1);

/** The upstream release profiles, oldest first. */
export const RELEASES: readonly Profile[] = [QEMU_10_0, QEMU_10_1, QEMU_10_2, QEMU_11_1];

/** Every built-in profile, by name. The first listed is not the default: see {@linkcode DEFAULT_PROFILE}. */
export const PROFILES: Readonly<Record<string, Profile>> = {
  "qemu-10.0": QEMU_10_0,
  "qemu-10.1": QEMU_10_1,
  "qemu-10.2": QEMU_10_2,
  "qemu-11.1": QEMU_11_1,
  "seed": SEED,
};

/** The default profile: `seed` (the seed's features on its 10.1 base). */
export const DEFAULT_PROFILE: Profile = SEED;

/**
 * Looks a profile up by name.
 *
 * @example
 * ```ts
 * import { profileByName } from "@cxl-dcd/conformance/model";
 * const p = profileByName("qemu-10.0");
 * if (p.tagged.taggedBackends) throw new Error("stock QEMU has no tagged backends");
 * ```
 *
 * @throws {RangeError} when the name is not a known profile, listing the known ones.
 */
export function profileByName(name: string): Profile {
  const p = PROFILES[name];
  if (p !== undefined) return p;
  const composed = /^(qemu-[0-9]+\.[0-9]+)\+seed$/.exec(name);
  const base = composed === null ? undefined : PROFILES[composed[1]!];
  if (base !== undefined && base.name === base.base) return withSeed(base);
  throw new RangeError(
    `unknown profile '${name}': expected one of ${
      Object.keys(PROFILES).join(", ")
    }, or RELEASE+seed (e.g. qemu-11.1+seed)`,
  );
}

/** The profile chosen for a reported version, and why. */
export interface ProfileChoice {
  /** The profile. */
  profile: Profile;
  /**
   * Set when the version is not a release line the project has a profile
   * for (a development tree, a release in between, or one newer than any
   * profile): says which profile judges it, loudly enough for a report.
   */
  note?: string;
}

/**
 * Picks the release profile for a version QEMU reports: the profile of its
 * release line, else the nearest older one (with a note); with `seed`, the
 * seed's features on top of it.
 *
 * A development tree `X.Y.50` (or later micro) is the work after X.Y toward
 * the next release: it is judged as `qemu-X.Y` plus whatever landed since,
 * so the note says so.
 *
 * @example
 * ```ts
 * import { profileForVersion } from "@cxl-dcd/conformance/model";
 * const c = profileForVersion({ major: 10, minor: 1, micro: 50 }, { seed: true });
 * if (c.profile.name !== "seed") throw new Error(c.profile.name);
 * const d = profileForVersion({ major: 12, minor: 0, micro: 0 }, { seed: false });
 * if (d.profile.name !== "qemu-11.1" || d.note === undefined) throw new Error();
 * ```
 *
 * @throws {RangeError} for a version older than every profile.
 */
export function profileForVersion(
  version: QemuVersion,
  options: { seed: boolean },
): ProfileChoice {
  const v = `${version.major}.${version.minor}.${version.micro}`;
  let base: Profile | undefined;
  for (const r of RELEASES) {
    if (
      r.release.major < version.major ||
      (r.release.major === version.major && r.release.minor <= version.minor)
    ) base = r;
  }
  if (base === undefined) {
    throw new RangeError(
      `QEMU ${v} is older than every profile: expected ${QEMU_10_0.release.major}.${QEMU_10_0.release.minor} or later (profiles: ${
        RELEASES.map((r) => r.name).join(", ")
      })`,
    );
  }
  const exact = base.release.major === version.major && base.release.minor === version.minor;
  const profile = options.seed ? withSeed(base) : base;
  const judged = options.seed
    ? `${profile.name} (the seed's features on ${base.name})`
    : profile.name;
  let note: string | undefined;
  if (!exact) {
    const newest = RELEASES[RELEASES.length - 1]!;
    note = base === newest
      ? `QEMU ${v} is newer than every profile: judged as ${judged}, the nearest older release; differences since are not modelled yet`
      : `QEMU ${v} has no profile of its own: judged as ${judged}, the nearest older release`;
  } else if (version.micro >= 50) {
    note =
      `QEMU ${v} is a development tree after ${version.major}.${version.minor}: judged as ${judged}`;
  }
  return note === undefined ? { profile } : { profile, note };
}

/**
 * The profile {@linkcode profileForVersion} picks for a QEMU build, reporting
 * that build's own version and package string, as its `query-version` does
 * (what the model is compared with that build under).
 *
 * @example
 * ```ts
 * import { profileOfBuild } from "@cxl-dcd/conformance/model";
 * const p = profileOfBuild({ major: 11, minor: 1, micro: 3, package: "Debian 1:11.1.3" }, { seed: false });
 * if (p.name !== "qemu-11.1" || p.version.micro !== 3 || p.package !== "Debian 1:11.1.3") throw new Error();
 * ```
 *
 * @throws {RangeError} for a version older than every profile.
 */
export function profileOfBuild(
  build: QemuVersion & { package: string },
  options: { seed: boolean },
): Profile {
  return {
    ...profileForVersion(build, options).profile,
    version: { major: build.major, minor: build.minor, micro: build.micro },
    package: build.package,
  };
}

/**
 * Derives a profile with some DCD parameters replaced (e.g. a raised extent
 * limit for scale tests).
 *
 * @example
 * ```ts
 * import { SEED, withDcd } from "@cxl-dcd/conformance/model";
 * const big = withDcd(SEED, { maxExtents: 200_000 });
 * if (big.dcd.maxExtents !== 200_000) throw new Error("not raised");
 * ```
 */
export function withDcd(base: Profile, dcd: Partial<DcdParameters>): Profile {
  return { ...base, dcd: { ...base.dcd, ...dcd } };
}
