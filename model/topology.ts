/**
 * Builds the CXL topology from a parsed command line the way QEMU starts a
 * machine: memory backends first, then devices in order (bus, id, properties
 * in QDict order, realize checks), then the machine-done checks (host bridges
 * need `cxl=on`, fixed-window targets must resolve). Every failure throws
 * {@linkcode StartupError} with QEMU's stderr text.
 *
 * Fixed memory windows are placed as q35/pc place them: after the device
 * memory region when `maxmem` exceeds the RAM size (else right after RAM
 * above 4 GiB), 1 MiB of host-bridge registers, then rounded up to 256 MiB.
 *
 * @module
 */

import {
  allocationError,
  Backend,
  BACKEND_SIZE_LIMIT,
  BackendStore,
  TAGGED_BACKEND_TYPE,
} from "./backends.ts";
import { KNOWN_DEVICES, PROG } from "./cmdline/parse.ts";
import type { CommandLine, DeviceSpec, ObjectSpec } from "./cmdline/parse.ts";
import { parseBool } from "./cmdline/keyval.ts";
import { hex, parseSize } from "./cmdline/size.ts";
import { DcDevice } from "./dcd/dc_device.ts";
import type { DcGeometry } from "./dcd/types.ts";
import { StartupError } from "./machine_types.ts";
import type { Profile } from "./profile.ts";
import type { SwitchCciRelease } from "./switch_release_tables.ts";
import { pathNamesAny, QomNode, resolvePath } from "./qom.ts";
import { qdictOrder } from "./qapi/key_order.ts";
import { tryParseUuid } from "./uuid.ts";

const MIB = 1n << 20n;
const GIB = 1n << 30n;
/** QEMU's CXL capacity multiplier: 256 MiB. */
export const CAPACITY_UNIT = 256n * MIB;
const U64_MAX = (1n << 64n) - 1n;

/** The memdev link properties of cxl-type3, in the order QEMU's realize uses them. */
export const TYPE3_LINKS = [
  "memdev",
  "volatile-memdev",
  "persistent-memdev",
  "volatile-dc-memdev",
  "lsa",
] as const;

/** A realized CXL type-3 device. */
export interface Type3 {
  /** Device id (or `device[N]` for an anonymous one). */
  readonly id: string;
  /** Its QOM node. */
  readonly node: QomNode;
  /** `num-dc-regions`. */
  readonly numDcRegions: number;
  /** Linked backends by property name. */
  readonly links: ReadonlyMap<string, Backend>;
  /** `dc-regions-total-size` (seed), 0 when unset. */
  readonly dcTotalSize: bigint;
  /** `sn`. */
  readonly sn: bigint;
  /** The device's DC and mailbox state. */
  readonly device: DcDevice;
  /**
   * Where a fabric manager reaches the device: the `cxl-upstream` and the
   * port number of the `cxl-downstream` it sits below (undefined when it is
   * not below a switch).
   */
  fmRoute?: FmRoute;
}

/** A type-3 device's place below a switch: what a 0x5300 tunnel addresses. */
export interface FmRoute {
  /** Id of the switch's `cxl-upstream`. */
  readonly upstream: string;
  /** Id of the `cxl-downstream` the device sits below. */
  readonly downstream: string;
  /** That downstream port's `port` number. */
  readonly port: number;
}

/** A `cxl-switch-mailbox-cci` function. */
export interface SwitchCci {
  /** Device id (or `device[N]` for an anonymous one). */
  readonly id: string;
  /** Id of its `target`, a `cxl-upstream`. */
  readonly target: string;
}

/** What sits below a switch downstream port (its secondary bus's device 0, as QEMU looks). */
export type DownstreamDevice = "type3" | "other" | "none";

/** A `cxl-downstream` port of a switch. */
export interface SwitchDownstreamPort {
  /** Device id. */
  readonly id: string;
  /** Its `port` number. */
  readonly port: number;
  /** What sits below it. */
  readonly below: DownstreamDevice;
}

/** A CXL switch: a `cxl-upstream` and the `cxl-downstream` ports on its bus. */
export interface CxlSwitch {
  /** Id of the `cxl-upstream`. */
  readonly upstream: string;
  /** Its `port` number. */
  readonly port: number;
  /** Its `sn` (all ones when unset, as QEMU's UI64_NULL). */
  readonly sn: bigint;
  /** Its downstream ports in creation order. */
  readonly downstream: readonly SwitchDownstreamPort[];
  /** What its mailbox CCI answers differently on this release (from the profile). */
  readonly release: SwitchCciRelease;
}

/** A placed fixed memory window. */
export interface FixedWindow {
  readonly index: number;
  readonly base: bigint;
  readonly size: bigint;
  readonly targets: readonly string[];
}

/** The built machine topology. */
export interface Topology {
  /** QOM root. */
  readonly root: QomNode;
  /** `/objects`. */
  readonly objects: QomNode;
  readonly backends: BackendStore;
  /** Type-3 devices in creation order. */
  readonly type3: readonly Type3[];
  readonly windows: readonly FixedWindow[];
  /** Switch mailbox CCIs in creation order. */
  readonly switchCcis: readonly SwitchCci[];
  /** CXL switches (`cxl-upstream` devices with an id), in creation order. */
  readonly switches: readonly CxlSwitch[];
}

/**
 * Base address of the first CXL fixed memory window on a PC machine.
 *
 * @example
 * ```ts
 * import { fixedWindowBase } from "@cxl-dcd/conformance/model";
 * const G = 1n << 30n;
 * if (fixedWindowBase("q35", 2n * G, 8n * G, 4) !== 0x390000000n) throw new Error();
 * ```
 */
export function fixedWindowBase(
  machineType: string,
  ramSize: bigint,
  maxMem: bigint,
  slots: number,
): bigint {
  const isQ35 = machineType.startsWith("q35") || machineType.startsWith("pc-q35");
  let lowmem: bigint;
  if (isQ35) lowmem = ramSize >= 0xb0000000n ? 0x80000000n : 0xb0000000n;
  else lowmem = ramSize >= 0xe0000000n ? 0xc0000000n : 0xe0000000n;
  const below = ramSize < lowmem ? ramSize : lowmem;
  const above4gEnd = 4n * GIB + (ramSize - below);
  let cxlBase = above4gEnd;
  if (maxMem > ramSize) {
    const start = roundUp(above4gEnd, GIB);
    cxlBase = start + (maxMem - ramSize) + GIB * BigInt(slots);
  }
  return roundUp(cxlBase + MIB, CAPACITY_UNIT);
}

function roundUp(v: bigint, to: bigint): bigint {
  return ((v + to - 1n) / to) * to;
}

function fail(message: string, location?: string): never {
  throw new StartupError(
    location === undefined ? `${PROG}: ${message}` : `${PROG}: ${location}: ${message}`,
  );
}

/** Bus-providing device types. */
const BRIDGES = new Set(["pxb-cxl", "cxl-rp", "cxl-upstream", "cxl-downstream"]);

/** cxl-type3 properties the model accepts and ignores (PCI function settings). */
const TYPE3_OTHER = new Set([
  "failover_pair_id",
  "romfile",
  "x-pcie-ext-tag",
  "addr",
  "romsize",
  "x-pcie-lnksta-dllla",
  "rombar",
  "x-max-bounce-buffer-size",
  "x-pcie-ari-nextfn-1",
  "x-pcie-err-unc-mask",
  "x-pcie-extcap-init",
  "acpi-index",
  "multifunction",
  "x-width",
  "x-speed",
  "cdat",
]);

/** Options for {@linkcode buildTopology}. */
export interface BuildOptions {
  readonly profile: Profile;
  readonly clock: () => bigint;
  /** QMP monitors beyond the command line's own (see MachineOptions.extraMonitors). */
  readonly extraMonitors?: number;
}

/**
 * Builds and checks the topology.
 *
 * @throws {StartupError} with QEMU's message for an invalid configuration.
 */
export function buildTopology(cmd: CommandLine, options: BuildOptions): Topology {
  const { profile } = options;
  // Insertion order as in QEMU (it decides qom-list's order through the hash table).
  const root = new QomNode("", "container");
  root.add(new QomNode("chardevs", "container"));
  const objects = root.add(new QomNode("objects", "container"));
  const machine = root.add(
    new QomNode("machine", machineQomType(cmd.machineType, profile.qom.machineTypeVersion)),
  );
  root.add(new QomNode("backend", "container"));
  for (const c of profile.qom.extraRootContainers) root.add(new QomNode(c, "container"));
  const peripheral = machine.add(new QomNode("peripheral", "container"));
  const anon = machine.add(new QomNode("peripheral-anon", "container"));
  const unattached = machine.add(new QomNode("unattached", "container"));
  let unattachedCount = 0;

  const backends = new BackendStore();
  for (const spec of cmd.objects) createBackend(spec, backends, profile);
  for (const b of backends.list()) objects.add(backendNode(b));
  // QEMU creates the monitors after the -object backends, before the machine's RAM.
  if (profile.qom.monitorsInObjects) {
    for (let k = 0; k < cmd.monitors + (options.extraMonitors ?? 0); k++) {
      objects.add(new QomNode(`compat_monitor${k}`, "monitor-qmp"));
    }
  }
  const ram = new Backend({ id: "pc.ram", qomType: "memory-backend-ram", size: cmd.ramSize });
  ram.usedBy = { device: "machine", property: "memory-backend" };
  backends.add(ram);
  objects.add(backendNode(ram));

  const windowBase = fixedWindowBase(cmd.machineType, cmd.ramSize, cmd.maxMem, cmd.slots);
  const windows: FixedWindow[] = [];
  let next = windowBase;
  for (const w of cmd.windows) {
    windows.push({ index: w.index, base: next, size: w.size, targets: w.targets });
    next += w.size;
  }

  const buses = new Map<
    string,
    { driver: string; parentBus: string | undefined; port: number }
  >();
  buses.set("pcie.0", { driver: "pcie-host", parentBus: undefined, port: 0 });
  const switchCcis: SwitchCci[] = [];
  const placed: PlacedDevice[] = [];
  const ids = new Set<string>();
  const type3: Type3[] = [];
  let anonCount = 0;
  for (const spec of cmd.devices) {
    if (!KNOWN_DEVICES.has(spec.driver)) {
      fail(`'${spec.driver}' is not a valid device model name`, spec.arg);
    }
    const busName = spec.props.get("bus");
    if (busName !== undefined && !buses.has(busName)) fail(`Bus '${busName}' not found`, spec.arg);
    if (
      busName === undefined && spec.driver === "cxl-type3" &&
      [...buses.values()].some((b) => b.driver === "pxb-cxl")
    ) {
      fail("PCI: Only PCI/PCIe bridges can be plugged into pxb-cxl", spec.arg);
    }
    if (spec.id !== undefined) {
      if (ids.has(spec.id)) fail(`Duplicate ID '${spec.id}' for device`, spec.arg);
      ids.add(spec.id);
    }
    const name = spec.id ?? `device[${anonCount++}]`;
    const node = new QomNode(name, spec.driver);
    if (spec.driver === "cxl-switch-mailbox-cci") {
      switchCcis.push({ id: name, target: switchCciTarget(spec, root) });
    }
    placed.push({
      driver: spec.driver,
      id: spec.id,
      bus: busName,
      port: portNumber(spec.props.get("port")),
      sn: spec.props.get("sn"),
    });
    if (spec.driver === "cxl-type3") {
      const hpaBase = hpaBaseFor(busName, buses, windows);
      const t = realizeType3(spec, name, node, backends, hpaBase, options);
      const route = fmRouteFor(busName, buses);
      type3.push(route === undefined ? t : { ...t, fmRoute: route });
    }
    (spec.id === undefined ? anon : peripheral).add(node);
    if (BRIDGES.has(spec.driver) && spec.id !== undefined) {
      buses.set(spec.id, {
        driver: spec.driver,
        parentBus: busName,
        port: portNumber(spec.props.get("port")),
      });
      if (spec.driver !== "pxb-cxl") {
        node.add(new QomNode(spec.id, "CXL"));
      } else {
        // The host bridge's bus carries the pxb's id too, under an unattached host device.
        const host = unattached.add(new QomNode(`device[${unattachedCount++}]`, "pxb-cxl-host"));
        host.add(new QomNode(spec.id, "pxb-cxl-bus"));
      }
    }
  }

  const hostBridges = [...buses.entries()].filter(([, b]) => b.driver === "pxb-cxl");
  if (hostBridges.length > 0 && !cmd.cxl) fail("CXL host bridges present, but cxl=off");
  for (const w of windows) {
    for (const t of w.targets) {
      if (buses.get(t)?.driver !== "pxb-cxl") fail(`Could not resolve CXLFM target ${t}`);
    }
  }
  return {
    root,
    objects,
    backends,
    type3,
    windows,
    switchCcis,
    switches: switchesOf(placed, profile.switchCci),
  };
}

/** The switches of the placed devices, with their downstream ports and what is below them. */
function switchesOf(
  placed: readonly PlacedDevice[],
  release: SwitchCciRelease,
): CxlSwitch[] {
  return placed.filter((d) => d.driver === "cxl-upstream" && d.id !== undefined).map((u) => ({
    upstream: u.id!,
    port: u.port,
    sn: /^[0-9]+$/.test(u.sn ?? "") ? BigInt(u.sn!) : U64_MAX,
    downstream: placed.filter((d) =>
      d.driver === "cxl-downstream" && d.id !== undefined && d.bus === u.id
    ).map((d) => {
      const child = placed.find((c) => c.bus === d.id);
      const below: DownstreamDevice = child === undefined
        ? "none"
        : child.driver === "cxl-type3"
        ? "type3"
        : "other";
      return { id: d.id!, port: d.port, below };
    }),
    release,
  }));
}

/** A device as placed on the command line, for the switch summary. */
interface PlacedDevice {
  readonly driver: string;
  readonly id: string | undefined;
  readonly bus: string | undefined;
  /** Its `port` number (see `portNumber`). */
  readonly port: number;
  readonly sn: string | undefined;
}

/** A `port` property as a number: its decimal digits, else 0 (unset or not a number). */
function portNumber(text: string | undefined): number {
  return /^[0-9]+$/.test(text ?? "") ? Number(text) : 0;
}

/** The route below a switch of a device on `bus` (a cxl-downstream below a cxl-upstream). */
function fmRouteFor(
  bus: string | undefined,
  buses: ReadonlyMap<string, { driver: string; parentBus: string | undefined; port: number }>,
): FmRoute | undefined {
  const dsp = bus === undefined ? undefined : buses.get(bus);
  if (dsp === undefined || dsp.driver !== "cxl-downstream" || dsp.parentBus === undefined) {
    return undefined;
  }
  const usp = buses.get(dsp.parentBus);
  if (usp === undefined || usp.driver !== "cxl-upstream") return undefined;
  return { upstream: dsp.parentBus, downstream: bus!, port: dsp.port };
}

/**
 * A switch mailbox CCI's `target`, checked as QEMU's link property does
 * when it is set: the path (an id is a partial path) is resolved among the
 * objects created so far, first as a `cxl-upstream`; failing that, any
 * object it names (a type-3, a port, a bus, a memory backend) is the wrong
 * type, and nothing is `Device 'X' not found`. Realize then needs it set
 * (`Target not set`).
 */
function switchCciTarget(spec: DeviceSpec, root: QomNode): string {
  const target = spec.props.get("target");
  if (target !== undefined) {
    const usp = resolvePath(root, target, (n) => n.type === "cxl-upstream");
    if (usp !== undefined) return usp.name;
    if (pathNamesAny(root, target)) {
      fail("Invalid parameter type for 'target', expected: cxl-upstream", spec.arg);
    }
    fail(`Device '${target}' not found`, spec.arg);
  }
  fail("Target not set", spec.arg);
}

function machineQomType(type: string, version: string): string {
  if (type === "q35") return `pc-q35-${version}-machine`;
  if (type === "pc") return `pc-i440fx-${version}-machine`;
  return `${type}-machine`;
}

/** The fixed-window base above the device's host bridge (0 when no window targets it). */
function hpaBaseFor(
  bus: string | undefined,
  buses: ReadonlyMap<string, { driver: string; parentBus: string | undefined }>,
  windows: readonly FixedWindow[],
): bigint {
  let cur = bus;
  for (let guard = 0; cur !== undefined && guard < 64; guard++) {
    const b = buses.get(cur);
    if (b === undefined) break;
    if (b.driver === "pxb-cxl") {
      const host = cur;
      return windows.find((w) => w.targets.includes(host))?.base ?? 0n;
    }
    cur = b.parentBus;
  }
  return 0n;
}

/**
 * Creates a backend from a `-object`, with the checks QEMU makes when it
 * creates memory backends (after all options were parsed), and in seed the
 * tagged backend's tag rules.
 */
function createBackend(spec: ObjectSpec, backends: BackendStore, profile: Profile): void {
  if (spec.size === 0n) fail(`property 'size' of ${spec.qomType} doesn't take value '0'`);
  if (spec.size >= BACKEND_SIZE_LIMIT) fail(allocationError(spec.id));
  let tag: Uint8Array | undefined;
  const tagText = spec.props.get("tag");
  if (spec.qomType === TAGGED_BACKEND_TYPE && tagText !== undefined) {
    const problem = backends.checkTag(spec.id, tagText);
    if (problem !== undefined) fail(problem, spec.arg);
    tag = tryParseUuid(tagText);
  }
  const props = new Map<string, boolean | string | bigint>();
  for (const [k, v] of spec.props) props.set(k, parseBool(v) ?? v);
  void profile;
  backends.add(
    new Backend({
      id: spec.id,
      qomType: spec.qomType,
      size: spec.size,
      ...(tagText !== undefined ? { tagText } : {}),
      ...(tag !== undefined ? { tag } : {}),
      props,
    }),
  );
}

/** The QOM node of a backend, with the properties QEMU 10.0.2 shows. */
export function backendNode(b: Backend): QomNode {
  const n = new QomNode(b.id, b.qomType);
  const str = (name: string): string => {
    const v = b.props.get(name);
    return typeof v === "string" ? v : "";
  };
  const fixed = (name: string, message: string) => ({
    name,
    set: () => message,
  });
  n.props.push(
    {
      ...fixed("share", "cannot change property value"),
      type: "bool",
      get: () => b.flag("share", false),
    },
    {
      ...fixed("size", `cannot change property size of ${b.qomType} `),
      type: "int",
      get: () => b.size <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b.size) : b.size,
    },
    { name: "dump", type: "bool", get: () => b.flag("dump", true), set: () => undefined },
    { name: "prealloc-threads", type: "int", get: () => 1, set: () => undefined },
    {
      name: "x-use-canonical-path-for-ramblock-id",
      type: "bool",
      get: () => b.flag("x-use-canonical-path-for-ramblock-id", false),
    },
    { name: "policy", type: "HostMemPolicy", get: () => str("policy") || "default" },
    { name: "prealloc-context", type: "link<thread-context>", get: () => "" },
    { name: "prealloc", type: "bool", get: () => b.flag("prealloc", false), set: () => undefined },
    { name: "reserve", type: "bool", get: () => b.flag("reserve", true) },
    { name: "host-nodes", type: "int", get: () => [] },
    { name: "merge", type: "bool", get: () => b.flag("merge", true), set: () => undefined },
  );
  if (b.qomType === "memory-backend-file") {
    n.props.push({ name: "mem-path", type: "string", get: () => str("mem-path") });
  }
  if (b.qomType === TAGGED_BACKEND_TYPE) {
    n.props.push({
      name: "tag",
      type: "string",
      get: () => b.tagText,
      set: () => `cannot change property tag of ${b.qomType} `,
    });
  }
  return n;
}

function parseUint(
  text: string,
  name: string,
  max: bigint,
  width: string,
  location: string,
): bigint {
  if (!/^-?(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(text)) {
    fail(`Parameter '${name}' expects integer`, location);
  }
  let v = BigInt(text);
  if (v < 0n) v += 1n << 64n;
  if (v > max) fail(`Parameter '${name}' expects ${width}`, location);
  return v;
}

function realizeType3(
  spec: DeviceSpec,
  name: string,
  node: QomNode,
  backends: BackendStore,
  hpaBase: bigint,
  options: BuildOptions,
): Type3 {
  const { profile } = options;
  const loc = spec.arg;
  const links = new Map<string, Backend>();
  let numDcRegions = 0;
  let dcTotalSize = 0n;
  let sn = U64_MAX;
  const keys = qdictOrder([...spec.props.keys()].filter((k) => k !== "bus"));
  for (const key of keys) {
    const value = spec.props.get(key) ?? "";
    if ((TYPE3_LINKS as readonly string[]).includes(key)) {
      const b = backends.get(value);
      if (b === undefined) fail(`Device '${value}' not found`, loc);
      links.set(key, b);
    } else if (key === "num-dc-regions") {
      numDcRegions = Number(parseUint(value, key, 255n, "uint8_t", loc));
    } else if (key === "sn") {
      sn = parseUint(value, key, U64_MAX, "uint64_t", loc);
    } else if (key === "dc-regions-total-size" && profile.tagged.lazyDevices) {
      const s = parseSize(value);
      if (s === undefined) fail(`Parameter '${key}' expects a size value`, loc);
      dcTotalSize = s;
    } else if (!TYPE3_OTHER.has(key)) {
      fail(`Property 'cxl-type3.${key}' not found`, loc);
    }
  }

  // Realize (cxl_setup_memory / cxl_create_dc_regions order).
  const memdev = links.get("memdev");
  const vmem = links.get("volatile-memdev");
  const pmem = links.get("persistent-memdev") ?? memdev;
  if (memdev === undefined && vmem === undefined && pmem === undefined && numDcRegions === 0) {
    fail("at least one memdev property must be set", loc);
  }
  const claim = (b: Backend, property: string): void => {
    if (b.usedBy !== undefined) fail(`memory backend ${b.id} can't be used multiple times.`, loc);
    b.usedBy = { device: name, property };
  };
  if (vmem !== undefined) claim(vmem, "volatile-memdev");
  if (pmem !== undefined) claim(pmem, memdev !== undefined ? "memdev" : "persistent-memdev");
  let geometry: DcGeometry = {
    regionCount: 0,
    regionLength: 0n,
    firstRegionBase: 0n,
    blockSize: 2n * MIB,
  };
  const lazy = numDcRegions > 0 && dcTotalSize > 0n && profile.tagged.lazyDevices;
  if (numDcRegions > 0) {
    let dcSize: bigint;
    if (lazy) {
      dcSize = dcTotalSize;
    } else {
      const dc = links.get("volatile-dc-memdev");
      if (dc === undefined) fail("dynamic capacity must have a backing device", loc);
      claim(dc, "volatile-dc-memdev");
      dcSize = dc.size;
    }
    if (numDcRegions > profile.dcd.maxRegions) {
      fail(
        `num-dc-regions=${numDcRegions} is more than the ${profile.dcd.maxRegions} DC regions ` +
          "the device state holds (QEMU 10.0.2 accepts it and overruns its region array; " +
          "the model refuses it)",
        loc,
      );
    }
    const n = BigInt(numDcRegions);
    const regionLength = (dcSize + n - 1n) / n;
    const hint = "\nsetup DC regions failed";
    if (dcSize % (n * CAPACITY_UNIT) !== 0n) {
      fail(`backend size is not multiple of region len: ${hex(regionLength)}${hint}`, loc);
    }
    if (regionLength % CAPACITY_UNIT !== 0n) {
      fail(`DC region size is unaligned to ${hex(CAPACITY_UNIT)}${hint}`, loc);
    }
    const base = (vmem?.size ?? 0n) + (pmem?.size ?? 0n);
    if (base % CAPACITY_UNIT !== 0n) {
      fail(`DC region base not aligned to ${hex(CAPACITY_UNIT)}${hint}`, loc);
    }
    geometry = {
      regionCount: numDcRegions,
      regionLength,
      firstRegionBase: base,
      blockSize: 2n * MIB,
    };
  }
  const lsa = links.get("lsa");
  const device = new DcDevice({
    id: name,
    geometry,
    profile,
    clock: options.clock,
    lazy,
    hpaBase,
    backends,
    staticVolatileBytes: vmem?.size ?? 0n,
    staticPersistentBytes: pmem?.size ?? 0n,
    lsaBytes: lsa?.size ?? 0n,
  });
  const linkPath = (p: string) => () => {
    const b = links.get(p);
    return b === undefined ? "" : `/objects/${b.id}`;
  };
  const realized = (p: string, link: boolean) => () =>
    `Attempt to set ${link ? "link " : ""}property '${p}' on device '${name}' (type 'cxl-type3') ` +
    "after it was realized";
  node.props.push(
    { name: "realized", type: "bool", get: () => true },
    { name: "hotplugged", type: "bool", get: () => false },
    { name: "hotpluggable", type: "bool", get: () => true },
    { name: "sn", type: "uint64", get: () => sn, set: realized("sn", false) },
    {
      name: "num-dc-regions",
      type: "uint8",
      get: () => numDcRegions,
      set: realized("num-dc-regions", false),
    },
  );
  if (profile.tagged.lazyDevices) {
    node.props.push({
      name: "dc-regions-total-size",
      type: "size",
      get: () => dcTotalSize <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(dcTotalSize) : dcTotalSize,
      set: realized("dc-regions-total-size", false),
    });
  }
  for (const p of ["lsa", "memdev", "volatile-dc-memdev", "persistent-memdev", "volatile-memdev"]) {
    node.props.push({
      name: p,
      type: "link<memory-backend>",
      get: linkPath(p),
      set: realized(p, true),
    });
  }
  node.props.push({ name: "cdat", type: "str", get: () => "", set: realized("cdat", false) });
  return { id: name, node, numDcRegions, links, dcTotalSize, sn, device };
}
