/**
 * Behaviour profiles: what distinguishes one QEMU build's CXL DCD behaviour
 * from another's, as data. The code reads switches, limits and strings from a
 * {@linkcode Profile}; there is no per-profile fork of the code. Adding a
 * profile (e.g. `qemu-10.2`, or the RFC's later revision) means adding a record.
 *
 * @module
 */

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
}

/** A behaviour profile. */
export interface Profile {
  /** Profile name, e.g. `qemu-10.0` or `seed`. */
  name: string;
  /** One line saying what the profile models. */
  description: string;
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
};

const NO_TAGGED_MEMORY: TaggedMemoryFeatures = {
  taggedBackends: false,
  lazyDevices: false,
  tagBasedRelease: false,
  releaseStatus: false,
  tagsInEvents: false,
  noHolePunching: false,
};

/** Stock QEMU 10.0.2 as Debian ships it (bookworm-backports). */
export const QEMU_10_0: Profile = {
  name: "qemu-10.0",
  description: "stock upstream QEMU 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)",
  version: { major: 10, minor: 0, micro: 2 },
  package: "Debian 1:10.0.2+ds-2+deb13u1~bpo12+1",
  memoryBackendTypes: [
    "memory-backend-epc",
    "memory-backend-file",
    "memory-backend-memfd",
    "memory-backend-ram",
    "memory-backend-shm",
  ],
  tagged: NO_TAGGED_MEMORY,
  dcd: QEMU_10_0_DCD,
};

/** QEMU 10.0.2 plus the seed's tagged memory, as decided in seed-profile.md. */
export const SEED: Profile = {
  name: "seed",
  description:
    "QEMU 10.0.2 plus the tagged-memory RFC (memory-backend-tagged, lazy DC, tag-based release)",
  version: { major: 10, minor: 0, micro: 2 },
  package: "cxl-dcd-conformance model (seed profile)",
  memoryBackendTypes: [
    "memory-backend-epc",
    "memory-backend-file",
    "memory-backend-memfd",
    "memory-backend-ram",
    "memory-backend-tagged",
    "memory-backend-shm",
  ],
  tagged: {
    taggedBackends: true,
    lazyDevices: true,
    tagBasedRelease: true,
    releaseStatus: true,
    tagsInEvents: true,
    noHolePunching: true,
  },
  dcd: QEMU_10_0_DCD,
};

/** Every built-in profile, by name. The first listed is not the default: see {@linkcode DEFAULT_PROFILE}. */
export const PROFILES: Readonly<Record<string, Profile>> = {
  "qemu-10.0": QEMU_10_0,
  "seed": SEED,
};

/** The default profile: `seed`. */
export const DEFAULT_PROFILE: Profile = SEED;

/**
 * Looks a profile up by name.
 *
 * @example
 * ```ts
 * import { profileByName } from "./profile.ts";
 * const p = profileByName("qemu-10.0");
 * if (p.tagged.taggedBackends) throw new Error("stock QEMU has no tagged backends");
 * ```
 *
 * @throws {RangeError} when the name is not a known profile, listing the known ones.
 */
export function profileByName(name: string): Profile {
  const p = PROFILES[name];
  if (p === undefined) {
    throw new RangeError(
      `unknown profile '${name}': expected one of ${Object.keys(PROFILES).join(", ")}`,
    );
  }
  return p;
}

/**
 * Derives a profile with some DCD parameters replaced (e.g. a raised extent
 * limit for scale tests).
 *
 * @example
 * ```ts
 * import { SEED, withDcd } from "./profile.ts";
 * const big = withDcd(SEED, { maxExtents: 200_000 });
 * if (big.dcd.maxExtents !== 200_000) throw new Error("not raised");
 * ```
 */
export function withDcd(base: Profile, dcd: Partial<DcdParameters>): Profile {
  return { ...base, dcd: { ...base.dcd, ...dcd } };
}
