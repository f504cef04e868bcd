/**
 * Contract between the machine (QAPI, QOM, command line) and a CXL type-3
 * device's dynamic-capacity state. The machine validates QMP arguments, runs
 * the checks QEMU makes before resolving the device path, resolves the path,
 * then hands the typed request to the device.
 *
 * @module
 */

import type { Profile } from "../profile.ts";

/** Geometry of a device's DC regions, computed at realize time. */
export interface DcGeometry {
  /** Number of DC regions (`num-dc-regions`), 1..8. */
  regionCount: number;
  /** Length of each region in bytes (backend or total size / count). */
  regionLength: bigint;
  /** DPA of region 0: static volatile + persistent capacity. */
  firstRegionBase: bigint;
  /** Block size in bytes (2 MiB). */
  blockSize: bigint;
}

/** A region-relative extent as QMP gives it. */
export interface QmpExtent {
  /** Offset from the start of the region, in bytes. */
  offset: bigint;
  /** Length in bytes. */
  len: bigint;
}

/** `cxl-add-dynamic-capacity`, after QAPI validation. */
export interface DcAddRequest {
  /** QMP `host-id`. */
  hostId: number;
  /** QMP `region`. */
  region: number;
  /** QMP `tag`, as given (undefined when absent). */
  tag: string | undefined;
  /** QMP `extents`, in request order. */
  extents: QmpExtent[];
}

/** `cxl-release-dynamic-capacity`, after QAPI validation. */
export interface DcReleaseRequest {
  /** QMP `host-id`. */
  hostId: number;
  /** QMP `removal-policy`. */
  removalPolicy: "prescriptive" | "tag-based";
  /** QMP `forced-removal` (false when absent). */
  forcedRemoval: boolean;
  /** QMP `sanitize-on-release` (false when absent; ignored, as in QEMU). */
  sanitizeOnRelease: boolean;
  /** QMP `region`. */
  region: number;
  /** QMP `tag`, as given (undefined when absent). */
  tag: string | undefined;
  /** QMP `extents`, in request order. */
  extents: QmpExtent[];
}

/** `cxl-release-dynamic-capacity-status` (seed), after QAPI validation. */
export interface DcReleaseStatusRequest {
  /** QMP `host-id`. */
  hostId: number;
  /** QMP `region`. */
  region: number;
  /** QMP `tag`, as given. */
  tag: string;
}

/** Where a tagged backend is bound. */
export interface BackendBinding {
  /** Device id. */
  device: string;
  /** Absolute DPA of the extent. */
  dpa: bigint;
  /** Extent length. */
  len: bigint;
  /** Whether the host has accepted the extent yet. */
  state: "pending" | "accepted";
}

/** The alias a mapped tagged backend gets inside the fixed memory window. */
export interface BackendAlias {
  /** Host physical address where the alias starts. */
  hpa: bigint;
  /** Offset into the backend where the alias starts. */
  offset: bigint;
  /** Alias size. */
  size: bigint;
}

/** A `memory-backend-tagged` object as the device sees it. */
export interface TaggedBackend {
  /** Object id (under `/objects`). */
  readonly id: string;
  /** Backend size in bytes (never allocated). */
  readonly size: bigint;
  /** The tag, as given to object-add. */
  readonly tagText: string;
  /** The tag's 16 UUID bytes (RFC 4122 textual byte order). */
  readonly tag: Uint8Array;
  /** The extent it backs, if any. */
  binding: BackendBinding | undefined;
  /** Its alias once mapped after host acceptance. */
  alias: BackendAlias | undefined;
}

/** Tagged-backend lookup the machine gives a device. */
export interface BackendRegistry {
  /** The backend whose tag equals these UUID bytes. */
  findByTag(tag: Uint8Array): TaggedBackend | undefined;
}

/** Everything a device needs at construction. */
export interface DcDeviceConfig {
  /** Device id (`-device ...,id=`). */
  id: string;
  /** Region geometry. */
  geometry: DcGeometry;
  /** Behaviour profile. */
  profile: Profile;
  /** Wall clock in nanoseconds. */
  clock: () => bigint;
  /** True for a `dc-regions-total-size` device with no backing memdev (seed). */
  lazy: boolean;
  /** HPA where this device's DPA 0 is mapped (fixed window base), for aliases. */
  hpaBase: bigint;
  /** Tagged-backend lookup. */
  backends: BackendRegistry;
  /** Static volatile capacity in bytes (`volatile-memdev` size), for Identify; default 0. */
  staticVolatileBytes?: bigint;
  /** Static persistent capacity in bytes (`persistent-memdev` size), for Identify; default 0. */
  staticPersistentBytes?: bigint;
  /** Label storage area size in bytes (`lsa` size), for Identify; default 0. */
  lsaBytes?: bigint;
}

/** One extent of an FM-API Initiate DC Add/Release (0x5604/0x5605) request, as carried. */
export interface FmExtent {
  /** Absolute DPA. */
  dpa: bigint;
  /** Length in bytes. */
  len: bigint;
  /** The 16 tag bytes, as given. */
  tag: Uint8Array;
  /** Shared extent sequence, as given. */
  sharedSeq: number;
}
