/**
 * Capability detection for any QMP endpoint: pure functions over the results
 * of `query-version`, `query-qmp-schema` and `device-list-properties`
 * (typename `cxl-type3`), plus a thin fetcher and a per-binary cache.
 *
 * Features detected:
 * - `dcd`: commands `cxl-add-dynamic-capacity` and `cxl-release-dynamic-capacity`;
 * - `memory-backend-tagged`: a value of the enum reached through
 *   `object-add`'s `qom-type` member (or a variant case of its union);
 * - `dc-regions-total-size`: a `cxl-type3` property;
 * - `release-status`: command `cxl-release-dynamic-capacity-status`;
 * - `tag-based-release`, `tags-in-events`: not visible in the schema; derived
 *   from a build recognised as seed-enabled (`memory-backend-tagged` and
 *   `release-status`);
 * - `compat-policy`: QEMU 6.0 or later (`-compat`);
 * - `fm-api-dcd`: not visible in QMP; derived from the version (10.2 or
 *   later, where the FM-API DCD opcodes 0x5600-0x5605 exist);
 * - `host`: when the caller says the target can run mailbox steps.
 *
 * Profile: the release profile of the reported version (the nearest older
 * one, with a note, for a version without its own profile or a development
 * tree), with the seed's features on top when the endpoint offers
 * `memory-backend-tagged` and `cxl-release-dynamic-capacity-status`
 * (model/profile.ts, `profileForVersion`).
 *
 * @module
 */

import { profileForVersion } from "../../model/profile.ts";
import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import type { TargetCapabilities } from "../target_types.ts";
import { compareRelease } from "../transcript/selector.ts";

/** The raw QMP answers detection works from. */
export interface CapabilityProbe {
  /** `query-version` return value. */
  version: QmpValue;
  /** `query-qmp-schema` return value. */
  schema: QmpValue;
  /** `device-list-properties` for `cxl-type3` (undefined when the device type does not exist). */
  type3Properties: QmpValue | undefined;
}

/** What the schema says. */
export interface SchemaFacts {
  /** Command names. */
  commands: Set<string>;
  /** Values of the `qom-type` enum of `object-add` (the ObjectType enum). */
  objectTypes: Set<string>;
}

function isObject(v: QmpValue | undefined): v is QmpObject {
  return v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v);
}

function str(v: QmpValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/**
 * Reads command names and `object-add`'s `qom-type` values from a
 * `query-qmp-schema` result (type names are masked numbers; the walk goes
 * through the command's `arg-type`, its members, and its variants).
 *
 * @example
 * ```ts
 * import { schemaFacts } from "@cxl-dcd/conformance/conformance";
 * const facts = schemaFacts([
 *   { name: "object-add", "meta-type": "command", "arg-type": "1", "ret-type": "0" },
 *   { name: "1", "meta-type": "object", members: [{ name: "qom-type", type: "2" }] },
 *   { name: "2", "meta-type": "enum", values: ["memory-backend-ram"] },
 * ]);
 * if (!facts.objectTypes.has("memory-backend-ram")) throw new Error();
 * ```
 */
export function schemaFacts(schema: QmpValue): SchemaFacts {
  const commands = new Set<string>();
  const objectTypes = new Set<string>();
  if (!Array.isArray(schema)) {
    throw new TypeError("query-qmp-schema returned no list; expected a list of schema entries");
  }
  const byName = new Map<string, QmpObject>();
  for (const entry of schema) {
    if (!isObject(entry)) continue;
    const name = str(entry["name"]);
    if (name === undefined) continue;
    byName.set(name, entry);
    if (entry["meta-type"] === "command") commands.add(name);
  }
  const enumValues = (typeName: string | undefined, into: Set<string>): void => {
    const t = typeName === undefined ? undefined : byName.get(typeName);
    if (t === undefined) return;
    if (t["meta-type"] === "enum") {
      const values = t["values"];
      if (Array.isArray(values)) { for (const v of values) if (typeof v === "string") into.add(v); }
    } else if (t["meta-type"] === "alternate" && Array.isArray(t["members"])) {
      for (const m of t["members"]) if (isObject(m)) enumValues(str(m["type"]), into);
    }
  };
  const objectAdd = byName.get("object-add");
  const argType = objectAdd === undefined
    ? undefined
    : byName.get(str(objectAdd["arg-type"]) ?? "");
  if (argType !== undefined) {
    const members = Array.isArray(argType["members"]) ? argType["members"] : [];
    for (const m of members) {
      if (isObject(m) && m["name"] === "qom-type") enumValues(str(m["type"]), objectTypes);
    }
    if (argType["tag"] === "qom-type" && Array.isArray(argType["variants"])) {
      for (const v of argType["variants"]) {
        if (isObject(v) && typeof v["case"] === "string") objectTypes.add(v["case"]);
      }
    }
  }
  return { commands, objectTypes };
}

/** Property names from a `device-list-properties` result. */
export function propertyNames(result: QmpValue | undefined): Set<string> {
  const out = new Set<string>();
  if (Array.isArray(result)) {
    for (const p of result) if (isObject(p) && typeof p["name"] === "string") out.add(p["name"]);
  }
  return out;
}

/** The version triple and package string from a `query-version` result. */
export function versionOf(
  result: QmpValue,
): { major: number; minor: number; micro: number; package: string } {
  const qemu = isObject(result) ? result["qemu"] : undefined;
  if (!isObject(qemu)) {
    throw new TypeError("query-version returned no 'qemu' member; expected {qemu: {major, ...}}");
  }
  const n = (k: string) => (typeof qemu[k] === "number" ? qemu[k] as number : 0);
  const pkg = isObject(result) && typeof result["package"] === "string" ? result["package"] : "";
  return { major: n("major"), minor: n("minor"), micro: n("micro"), package: pkg };
}

/**
 * Derives a target's capabilities from the probe results.
 *
 * @example
 * ```ts
 * import { detectCapabilities } from "@cxl-dcd/conformance/conformance";
 * const caps = detectCapabilities({
 *   version: { qemu: { major: 10, minor: 0, micro: 2 }, package: "" },
 *   schema: [{ name: "cxl-add-dynamic-capacity", "meta-type": "command" },
 *            { name: "cxl-release-dynamic-capacity", "meta-type": "command" }],
 *   type3Properties: [],
 * }, { hostSide: true });
 * if (caps.profile !== "qemu-10.0" || !caps.features.has("dcd")) throw new Error();
 * ```
 */
export function detectCapabilities(
  probe: CapabilityProbe,
  options: { hostSide: boolean },
): TargetCapabilities {
  const facts = schemaFacts(probe.schema);
  const props = propertyNames(probe.type3Properties);
  const version = versionOf(probe.version);
  const features = new Set<string>();
  if (
    facts.commands.has("cxl-add-dynamic-capacity") &&
    facts.commands.has("cxl-release-dynamic-capacity")
  ) features.add("dcd");
  if (facts.objectTypes.has("memory-backend-tagged")) features.add("memory-backend-tagged");
  if (props.has("dc-regions-total-size")) features.add("dc-regions-total-size");
  if (facts.commands.has("cxl-release-dynamic-capacity-status")) features.add("release-status");
  const seed = features.has("memory-backend-tagged") && features.has("release-status");
  if (seed) {
    features.add("tag-based-release");
    features.add("tags-in-events");
  }
  if (version.major >= 6) features.add("compat-policy");
  if (compareRelease(version, { major: 10, minor: 1 }) >= 0) features.add("fm-api-dcd");
  if (options.hostSide) features.add("host");
  const choice = profileForVersion(version, { seed });
  return {
    commands: facts.commands,
    features,
    profile: choice.profile.name,
    release: choice.profile.release,
    version,
    ...(choice.note === undefined ? {} : { profileNote: choice.note }),
    hostSide: options.hostSide,
  };
}

/** Runs one QMP command on a negotiated connection and returns its `return` value. */
export type QmpExecute = (command: string, args?: QmpObject) => Promise<QmpValue>;

/**
 * Fetches the probe results over a negotiated QMP connection. A missing
 * `cxl-type3` device type yields `type3Properties: undefined`.
 */
export async function fetchProbe(execute: QmpExecute): Promise<CapabilityProbe> {
  const version = await execute("query-version");
  const schema = await execute("query-qmp-schema");
  let type3Properties: QmpValue | undefined;
  try {
    type3Properties = await execute("device-list-properties", { typename: "cxl-type3" });
  } catch {
    type3Properties = undefined;
  }
  return { version, schema, type3Properties };
}

/** Serialisable form of capabilities (for the cache). */
interface CachedCapabilities {
  format: number;
  key: string;
  commands: string[];
  features: string[];
  profile: string;
  release: { major: number; minor: number };
  version: { major: number; minor: number; micro: number; package: string };
  profileNote?: string;
  hostSide: boolean;
}

/** Bumped whenever detection changes, so older cache entries are probed again. */
const CACHE_FORMAT = 2;

/**
 * Where capability results are cached: `$XDG_CACHE_HOME/cxl-dcd-conformance`
 * when set, else the project's `.cache/` (or `.cache/` in the working
 * directory when the project is not a local checkout).
 */
export function cacheDir(): string {
  let xdg: string | undefined;
  try {
    xdg = Deno.env.get("XDG_CACHE_HOME");
  } catch {
    xdg = undefined;
  }
  if (xdg !== undefined && xdg !== "") return `${xdg}/cxl-dcd-conformance`;
  const project = new URL("../../.cache", import.meta.url);
  return project.protocol === "file:" ? decodeURIComponent(project.pathname) : ".cache";
}

/** Resolves a binary name through PATH (as spawning would). */
export function resolveBinary(binary: string): string | undefined {
  if (binary.includes("/")) return binary;
  let path = "";
  try {
    path = Deno.env.get("PATH") ?? "";
  } catch {
    return undefined;
  }
  for (const dir of path.split(":")) {
    if (dir === "") continue;
    const candidate = `${dir}/${binary}`;
    try {
      if (Deno.statSync(candidate).isFile) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Cache key of a binary: resolved path, size and modification time. */
export async function binaryKey(binary: string): Promise<string | undefined> {
  const path = resolveBinary(binary);
  if (path === undefined) return undefined;
  try {
    const real = await Deno.realPath(path);
    const st = await Deno.stat(real);
    return `${real}|${st.size}|${st.mtime?.getTime() ?? 0}`;
  } catch {
    return undefined;
  }
}

function cacheFile(key: string, dir: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${dir}/qemu-capabilities-${h.toString(16).padStart(8, "0")}.json`;
}

/**
 * Reads cached capabilities for a binary key (undefined when absent or stale).
 *
 * @param key the binary's cache key
 * @param dir the cache directory (default {@linkcode cacheDir})
 */
export async function readCachedCapabilities(
  key: string,
  dir?: string,
): Promise<TargetCapabilities | undefined> {
  dir ??= cacheDir();
  try {
    const data = JSON.parse(await Deno.readTextFile(cacheFile(key, dir))) as CachedCapabilities;
    if (data.key !== key || data.format !== CACHE_FORMAT) return undefined;
    return {
      commands: new Set(data.commands),
      features: new Set(data.features),
      profile: data.profile,
      release: data.release,
      version: data.version,
      ...(data.profileNote === undefined ? {} : { profileNote: data.profileNote }),
      hostSide: data.hostSide,
    };
  } catch {
    return undefined;
  }
}

/**
 * Writes capabilities to the cache (best effort: a read-only tree is not an error).
 *
 * @param key the binary's cache key
 * @param caps the capabilities
 * @param dir the cache directory (default {@linkcode cacheDir})
 */
export async function writeCachedCapabilities(
  key: string,
  caps: TargetCapabilities,
  dir?: string,
): Promise<void> {
  dir ??= cacheDir();
  const data: CachedCapabilities = {
    format: CACHE_FORMAT,
    key,
    commands: [...caps.commands].sort(),
    features: [...caps.features].sort(),
    profile: caps.profile,
    release: caps.release,
    version: caps.version,
    ...(caps.profileNote === undefined ? {} : { profileNote: caps.profileNote }),
    hostSide: caps.hostSide,
  };
  try {
    await Deno.mkdir(dir, { recursive: true });
    const file = cacheFile(key, dir);
    const tmp = `${file}.${Deno.pid}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify(data));
    await Deno.rename(tmp, file);
  } catch {
    // caching is an optimisation
  }
}
