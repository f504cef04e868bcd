/**
 * Memory-backend objects under `/objects`: their QOM-visible properties, who
 * uses them, and (seed) tag lookup for devices without a backing memdev.
 * Sizes are numbers only: nothing is ever allocated for a backend.
 *
 * @module
 */

import type { BackendAlias, BackendBinding, BackendRegistry, TaggedBackend } from "./dcd/types.ts";
import type { QmpObject } from "./qmp_value.ts";
import { formatUuid, NIL_UUID, tryParseUuid, uuidEquals } from "./uuid.ts";

/**
 * Backends of this size or more are refused with QEMU's allocation error.
 * QEMU 10.0.2 aborts (an assertion in find_ram_offset) for sizes within a
 * page of 2^64, and a host refuses anything near 2^63 anyway; smaller sizes
 * are accepted without allocating anything (real QEMU may fail earlier,
 * depending on the host's memory and overcommit policy).
 */
export const BACKEND_SIZE_LIMIT = 1n << 63n;

/** QEMU's error for a backend it cannot allocate. */
export function allocationError(id: string): string {
  return `cannot set up guest memory '${id}': Cannot allocate memory`;
}

/** The QOM type of the seed's tagged backend. */
export const TAGGED_BACKEND_TYPE = "memory-backend-tagged";

/** One memory backend. Satisfies {@linkcode TaggedBackend} so a device can bind it. */
export class Backend implements TaggedBackend {
  /** Object id under `/objects`. */
  readonly id: string;
  /** QOM type, e.g. `memory-backend-ram`. */
  readonly qomType: string;
  /** Size in bytes. */
  readonly size: bigint;
  /** The tag as given (tagged backends), else "". */
  readonly tagText: string;
  /** The tag's UUID bytes (nil for untagged backends). */
  readonly tag: Uint8Array;
  /** Boolean and string properties as given (`share`, `mem-path`, ...). */
  readonly props: ReadonlyMap<string, boolean | string | bigint>;
  /** The extent this backend backs, set by the device. */
  binding: BackendBinding | undefined = undefined;
  /** The backend's alias in the fixed memory window, set by the device. */
  alias: BackendAlias | undefined = undefined;
  /** Device id and property that hold this backend (`volatile-dc-memdev`...), if any. */
  usedBy: { device: string; property: string } | undefined = undefined;

  /**
   * Creates a backend record (nothing is allocated).
   *
   * @param init the backend's identity, size, tag and properties.
   */
  constructor(init: {
    id: string;
    qomType: string;
    size: bigint;
    tagText?: string;
    tag?: Uint8Array;
    props?: ReadonlyMap<string, boolean | string | bigint>;
  }) {
    this.id = init.id;
    this.qomType = init.qomType;
    this.size = init.size;
    this.tagText = init.tagText ?? "";
    this.tag = init.tag ?? NIL_UUID;
    this.props = init.props ?? new Map();
  }

  /** Whether QEMU would refuse `object-del` ("is in use"). */
  get inUse(): boolean {
    return this.usedBy !== undefined || this.binding !== undefined;
  }

  /** A boolean property with its QEMU default. */
  flag(name: string, fallback: boolean): boolean {
    const v = this.props.get(name);
    return typeof v === "boolean" ? v : fallback;
  }

  /** Plain-data view for the machine state. */
  snapshot(): QmpObject {
    const o: QmpObject = {
      id: this.id,
      "qom-type": this.qomType,
      size: this.size <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(this.size) : this.size,
    };
    if (this.qomType === TAGGED_BACKEND_TYPE) o["tag"] = this.tagText;
    if (this.usedBy !== undefined) {
      o["used-by"] = { device: this.usedBy.device, property: this.usedBy.property };
    }
    if (this.binding !== undefined) {
      o["binding"] = {
        device: this.binding.device,
        dpa: this.binding.dpa,
        len: this.binding.len,
        state: this.binding.state,
      };
    }
    if (this.alias !== undefined) {
      o["alias"] = { hpa: this.alias.hpa, offset: this.alias.offset, size: this.alias.size };
    }
    return o;
  }
}

/** The `/objects` memory backends, in creation order. */
export class BackendStore implements BackendRegistry {
  readonly #byId = new Map<string, Backend>();
  readonly #byTag = new Map<string, Backend>();

  /** Backends in creation order. */
  list(): Backend[] {
    return [...this.#byId.values()];
  }

  /** The backend with this id. */
  get(id: string): Backend | undefined {
    return this.#byId.get(id);
  }

  /** Whether an object with this id exists. */
  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /**
   * The error text for a tagged backend's tag (seed: a UUID, unique by
   * value), or undefined when it is acceptable.
   */
  checkTag(id: string, tagText: string): string | undefined {
    const bytes = tryParseUuid(tagText);
    if (bytes === undefined) {
      return `memory-backend-tagged '${id}': tag '${tagText}' is not a UUID ` +
        "(expected the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)";
    }
    const other = this.findByTag(bytes);
    if (other !== undefined) {
      return `memory-backend-tagged '${id}': tag ${formatUuid(bytes)} is already the tag of ` +
        `memory backend '${other.id}'`;
    }
    return undefined;
  }

  /** Adds a backend (the caller checked the id is free). */
  add(backend: Backend): void {
    this.#byId.set(backend.id, backend);
    if (backend.qomType === TAGGED_BACKEND_TYPE) this.#byTag.set(formatUuid(backend.tag), backend);
  }

  /** Removes a backend. */
  delete(id: string): void {
    const b = this.#byId.get(id);
    if (b === undefined) return;
    this.#byId.delete(id);
    if (b.qomType === TAGGED_BACKEND_TYPE && this.#byTag.get(formatUuid(b.tag)) === b) {
      this.#byTag.delete(formatUuid(b.tag));
    }
  }

  /**
   * The tagged backend whose tag equals these UUID bytes.
   *
   * @example
   * ```ts
   * import { Backend, BackendStore } from "@cxl-dcd/conformance/model";
   * import { parseUuid } from "@cxl-dcd/conformance/model";
   * const s = new BackendStore();
   * const tag = parseUuid("5be13bce-ae34-4a77-b6c3-16df975fcf1a");
   * s.add(new Backend({ id: "tm0", qomType: "memory-backend-tagged", size: 1n << 30n, tagText: "x", tag }));
   * if (s.findByTag(tag)?.id !== "tm0") throw new Error();
   * ```
   */
  findByTag(tag: Uint8Array): Backend | undefined {
    const b = this.#byTag.get(formatUuid(tag));
    return b !== undefined && uuidEquals(b.tag, tag) ? b : undefined;
  }
}
