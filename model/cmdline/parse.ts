/**
 * QEMU command-line parsing for the CXL subset: `-machine`/`-M` (merged as
 * QEMU merges them), `-m`, `-object` memory backends, `-device`, `-S`,
 * `-compat unstable-input=...`. Every other option is accepted, ignored and
 * reported once in `notices`. Syntax errors throw {@linkcode StartupError}
 * with QEMU's exact stderr text; semantic checks happen when the machine is
 * built.
 *
 * @module
 */

import { StartupError } from "../machine_types.ts";
import type { Profile } from "../profile.ts";
import { type OptionMap, parseBool, parseKeyval } from "./keyval.ts";
import { parseSize } from "./size.ts";

/** QEMU's program-name prefix on every start-up error. */
export const PROG = "qemu-system-x86_64";

/** A `-object` of a memory-backend type. */
export interface ObjectSpec {
  /** The option argument as given (for error locations). */
  readonly arg: string;
  /** QOM type, e.g. `memory-backend-ram`. */
  readonly qomType: string;
  /** Object id. */
  readonly id: string;
  /** Backend size in bytes. */
  readonly size: bigint;
  /** Properties other than qom-type, id and size. */
  readonly props: OptionMap;
}

/** A `-device`. */
export interface DeviceSpec {
  /** The option argument as given (for error locations). */
  readonly arg: string;
  /** Driver name, e.g. `cxl-type3`. */
  readonly driver: string;
  /** Device id, when given. */
  readonly id: string | undefined;
  /** Properties other than driver and id. */
  readonly props: OptionMap;
}

/** A CXL fixed memory window (`-M cxl-fmw.N.*`). */
export interface FixedWindowSpec {
  /** Window index N of `cxl-fmw.N`. */
  readonly index: number;
  /** Host bridge ids, in target order. */
  readonly targets: readonly string[];
  /** Window size in bytes. */
  readonly size: bigint;
}

/** Everything the model takes from a command line. */
export interface CommandLine {
  /** Machine type (`q35`, `pc`, ...). */
  readonly machineType: string;
  /** `cxl=on`. */
  readonly cxl: boolean;
  /** Initial RAM size in bytes (`-m`, default 128 MiB). */
  readonly ramSize: bigint;
  /** Maximum RAM (`maxmem`, default equal to ramSize). */
  readonly maxMem: bigint;
  /** Memory hotplug slots. */
  readonly slots: number;
  /** Memory-backend objects, in order. */
  readonly objects: readonly ObjectSpec[];
  /** Devices, in order. */
  readonly devices: readonly DeviceSpec[];
  /** Fixed memory windows, by index order. */
  readonly windows: readonly FixedWindowSpec[];
  /** `-S`: start in `prelaunch`. */
  readonly startPaused: boolean;
  /** `-compat unstable-input=reject`. */
  readonly rejectUnstable: boolean;
  /** One line per ignored option name. */
  readonly notices: readonly string[];
  /** QMP monitors (`-qmp` and `-qmp-pretty` options), in order. */
  readonly monitors: number;
}

const NO_ARGUMENT = new Set([
  "S",
  "nographic",
  "nodefaults",
  "no-reboot",
  "no-shutdown",
  "enable-kvm",
  "snapshot",
  "daemonize",
  "s",
  "no-user-config",
  "only-migratable",
  "preconfig",
  "full-screen",
  "version",
  "help",
  "h",
  "no-hpet",
  "no-acpi",
  "old-param",
  "semihosting",
  "win2k-hack",
  "enable-sync-profile",
  "alt-grab",
  "ctrl-grab",
  "no-quit",
  "no-frame",
]);

const MEMORY_BACKEND_PREFIX = "memory-backend-";
const ID_PATTERN = /^[A-Za-z][A-Za-z0-9\-._]*$/;

function fail(message: string, location?: string): never {
  throw new StartupError(
    location === undefined ? `${PROG}: ${message}` : `${PROG}: ${location}: ${message}`,
  );
}

/**
 * Parses QEMU arguments.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "@cxl-dcd/conformance/model";
 * import { SEED } from "@cxl-dcd/conformance/model";
 * const c = parseCommandLine(["-machine", "q35,cxl=on", "-m", "2G,maxmem=8G,slots=4", "-S"], SEED);
 * if (!c.cxl || !c.startPaused || c.ramSize !== 2n << 30n) throw new Error();
 * ```
 *
 * @throws {StartupError} with QEMU's stderr for a syntax error.
 */
export function parseCommandLine(args: readonly string[], profile: Profile): CommandLine {
  const machine: OptionMap = new Map();
  const objects: ObjectSpec[] = [];
  const devices: DeviceSpec[] = [];
  const ignored = new Map<string, number>();
  const objectIds = new Set<string>();
  let memory: OptionMap | undefined;
  let memoryArg = "";
  let startPaused = false;
  let rejectUnstable = false;
  let windowsSeen = false;
  let monitors = 0;

  for (let i = 0; i < args.length; i++) {
    const raw = args[i] ?? "";
    if (!raw.startsWith("-")) {
      ignored.set("(disk image)", (ignored.get("(disk image)") ?? 0) + 1);
      continue;
    }
    const name = raw.replace(/^--?/, "");
    if (NO_ARGUMENT.has(name)) {
      if (name === "S") startPaused = true;
      else ignored.set(`-${name}`, (ignored.get(`-${name}`) ?? 0) + 1);
      continue;
    }
    const value = args[i + 1];
    if (value === undefined) fail(`-${name}: requires an argument`);
    i++;
    const location = `-${name} ${value}`;
    switch (name) {
      case "machine":
      case "M": {
        const opts = parseKeyval(value, "type");
        const hasWindows = [...opts.keys()].some((k) => k.startsWith("cxl-fmw."));
        if (hasWindows && windowsSeen) {
          // QEMU turns cxl-fmw into a list after each option; a later option cannot extend it.
          fail("Parameters 'cxl-fmw.*' used inconsistently", location);
        }
        windowsSeen ||= hasWindows;
        for (const [k, v] of opts) {
          machine.delete(k);
          machine.set(k, v);
        }
        break;
      }
      case "m":
        memory = parseKeyval(value, "size");
        memoryArg = location;
        for (const k of memory.keys()) {
          if (!["size", "maxmem", "slots"].includes(k)) fail(`Invalid parameter '${k}'`, location);
        }
        break;
      case "object": {
        const spec = parseObject(value, location, profile, objectIds);
        if (spec === undefined) ignored.set("-object", (ignored.get("-object") ?? 0) + 1);
        else objects.push(spec);
        break;
      }
      case "device": {
        const opts = parseKeyval(value, "driver");
        const driver = opts.get("driver") ?? "";
        const id = opts.get("id");
        opts.delete("driver");
        opts.delete("id");
        devices.push({ arg: location, driver, id, props: opts });
        break;
      }
      case "compat": {
        const opts = parseKeyval(value, undefined);
        const policy = opts.get("unstable-input");
        if (policy !== undefined) {
          if (policy !== "accept" && policy !== "reject") {
            fail(`Parameter 'unstable-input' does not accept value '${policy}'`, location);
          }
          rejectUnstable = policy === "reject";
        }
        break;
      }
      case "qmp":
      case "qmp-pretty":
        monitors++;
        break;
      case "chardev":
      case "mon":
        // Monitor plumbing (libvirt's -chardev socket,... -mon chardev=X,mode=control):
        // the QMP server reads these, the model has nothing to do.
        break;
      default:
        ignored.set(`-${name}`, (ignored.get(`-${name}`) ?? 0) + 1);
    }
  }

  const mem = parseMemory(memory, memoryArg);
  const windows = parseWindows(machine);
  const cxlText = machine.get("cxl");
  const cxl = cxlText === undefined ? false : parseBool(cxlText) ?? false;
  const notices = [...ignored].map(([opt, n]) =>
    `model: ignoring ${opt} (${n} occurrence${n === 1 ? "" : "s"}): not part of the CXL model`
  );
  return {
    machineType: machine.get("type") ?? "pc",
    cxl,
    ramSize: mem.ramSize,
    maxMem: mem.maxMem,
    slots: mem.slots,
    objects,
    devices: devices.filter((d) => {
      if (KNOWN_DEVICES.has(d.driver)) return true;
      // A type the release does not have stays in the list: the topology fails on it at its
      // position, as QEMU does ("'X' is not a valid device model name").
      if (!profile.qom.deviceTypes.has(d.driver)) return true;
      const key = `-device ${d.driver}`;
      notices.push(`model: ignoring ${key}: not part of the CXL model`);
      return false;
    }),
    windows,
    startPaused,
    rejectUnstable,
    notices,
    monitors,
  };
}

/** Device drivers the model instantiates; others are ignored with a notice. */
export const KNOWN_DEVICES: ReadonlySet<string> = new Set([
  "pxb-cxl",
  "cxl-rp",
  "cxl-upstream",
  "cxl-downstream",
  "cxl-switch-mailbox-cci",
  "cxl-type3",
]);

function parseObject(
  value: string,
  location: string,
  profile: Profile,
  ids: Set<string>,
): ObjectSpec | undefined {
  const opts = parseKeyval(value, "qom-type");
  const qomType = opts.get("qom-type");
  if (qomType === undefined) fail("Parameter 'qom-type' is missing", location);
  if (!qomType.startsWith(MEMORY_BACKEND_PREFIX)) return undefined;
  if (!profile.memoryBackendTypes.includes(qomType)) {
    fail(`Parameter 'qom-type' does not accept value '${qomType}'`, location);
  }
  const id = opts.get("id");
  if (id === undefined) fail("Parameter 'id' is missing", location);
  if (!ID_PATTERN.test(id)) fail("Parameter 'id' expects an identifier", location);
  for (const key of ["share", "dump", "merge", "prealloc", "reserve"]) {
    const v = opts.get(key);
    if (v !== undefined && parseBool(v) === undefined) {
      fail(`Parameter '${key}' expects 'on' or 'off'`, location);
    }
  }
  const sizeText = opts.get("size");
  if (sizeText === undefined) fail("Parameter 'size' is missing", location);
  const size = parseSize(sizeText);
  if (size === undefined) fail("Parameter 'size' expects a size value", location);
  if (qomType === "memory-backend-file" && !opts.has("mem-path")) {
    fail("Parameter 'mem-path' is missing", location);
  }
  if (qomType === "memory-backend-tagged" && !opts.has("tag")) {
    fail("Parameter 'tag' is missing", location);
  }
  const allowed = new Set([
    "qom-type",
    "id",
    "size",
    ...BACKEND_KEYS,
    ...(EXTRA_KEYS[qomType] ?? []),
  ]);
  for (const k of opts.keys()) if (!allowed.has(k)) fail(`Invalid parameter '${k}'`, location);
  if (ids.has(id)) fail(`Duplicate ID '${id}' for object`, location);
  ids.add(id);
  const props = new Map(opts);
  props.delete("qom-type");
  props.delete("id");
  props.delete("size");
  return { arg: location, qomType, id, size, props };
}

const BACKEND_KEYS = [
  "dump",
  "host-nodes",
  "merge",
  "policy",
  "prealloc",
  "prealloc-threads",
  "prealloc-context",
  "share",
  "reserve",
  "x-use-canonical-path-for-ramblock-id",
];
const EXTRA_KEYS: Readonly<Record<string, readonly string[]>> = {
  "memory-backend-file": ["align", "offset", "discard-data", "mem-path", "pmem", "readonly", "rom"],
  "memory-backend-memfd": ["hugetlb", "hugetlbsize", "seal"],
  "memory-backend-tagged": ["tag"],
};

const SIZE_HINT = "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n" +
  "and exabytes, respectively.";

function parseMemory(
  opts: OptionMap | undefined,
  location: string,
): { ramSize: bigint; maxMem: bigint; slots: number } {
  const mib = 1n << 20n;
  if (opts === undefined) return { ramSize: 128n * mib, maxMem: 128n * mib, slots: 0 };
  const sizeText = opts.get("size");
  let ramSize = 128n * mib;
  if (sizeText !== undefined) {
    const s = parseSize(sizeText, mib);
    if (s === undefined) {
      fail(`Parameter 'size' expects a non-negative number below 2^64\n${SIZE_HINT}`, location);
    }
    ramSize = s;
  }
  let maxMem = ramSize;
  const maxText = opts.get("maxmem");
  if (maxText !== undefined) {
    const s = parseSize(maxText, mib);
    if (s === undefined) {
      fail(`Parameter 'maxmem' expects a non-negative number below 2^64\n${SIZE_HINT}`, location);
    }
    maxMem = s;
  }
  const slotsText = opts.get("slots") ?? "0";
  const slots = Number.parseInt(slotsText, 10);
  if (!/^[0-9]+$/.test(slotsText)) fail("Parameter 'slots' expects a number", location);
  if (maxMem < ramSize) {
    fail(
      `invalid value of maxmem: maximum memory size (0x${maxMem.toString(16)}) must be at least ` +
        `the initial memory size (0x${ramSize.toString(16)})`,
    );
  }
  return { ramSize, maxMem, slots };
}

function parseWindows(machine: OptionMap): FixedWindowSpec[] {
  const found = new Map<number, { targets: Map<number, string>; size: string | undefined }>();
  for (const [k, v] of machine) {
    const m = /^cxl-fmw\.([0-9]+)\.(targets\.([0-9]+)|size|interleave-granularity)$/.exec(k);
    if (m === null) continue;
    const index = Number(m[1]);
    let w = found.get(index);
    if (w === undefined) {
      w = { targets: new Map(), size: undefined };
      found.set(index, w);
    }
    if (m[2] === "size") w.size = v;
    else if (m[3] !== undefined) w.targets.set(Number(m[3]), v);
  }
  const out: FixedWindowSpec[] = [];
  for (const index of [...found.keys()].sort((a, b) => a - b)) {
    const w = found.get(index);
    if (w === undefined) continue;
    if (w.targets.size === 0) fail(`Parameter 'cxl-fmw.${index}.targets' is missing`);
    if (w.size === undefined) fail(`Parameter 'cxl-fmw.${index}.size' is missing`);
    const size = parseSize(w.size);
    if (size === undefined) fail(`Parameter 'cxl-fmw.${index}.size' expects size`);
    const targets = [...w.targets.keys()].sort((a, b) => a - b).map((t) => w.targets.get(t) ?? "");
    out.push({ index, targets, size });
  }
  return out;
}
