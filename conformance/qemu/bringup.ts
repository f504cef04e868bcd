/**
 * Firmware-free PCI bring-up of a q35 machine over qtest: what SeaBIOS does
 * before the host side can reach a CXL mailbox, done directly while the CPUs
 * are stopped (`-S`) and the firmware is a halt loop.
 *
 * 1. MMCONFIG: the MCH's PCIEXBAR (0:0.0 config 0x60/0x64, reached through
 *    the legacy 0xCF8/0xCFC ports) is 0xb0000000 but disabled at reset on
 *    QEMU 10.0 and 11.1; it is enabled with a 256 MiB window.
 * 2. Bus numbers: depth-first from bus 0 and each expander bridge's root bus
 *    (`bus_nr`), as SeaBIOS numbers them (primary, secondary, subordinate),
 *    through every type-1 function (root ports, switch upstream and
 *    downstream ports, PCI bridges).
 * 3. Memory: every memory BAR (32- and 64-bit) sized and placed in the
 *    32-bit PCI hole above the ECAM window ({@linkcode PCI_HOLE_32}), each
 *    bridge's memory window covering what lies below it (1 MiB granules),
 *    the prefetchable window closed; then memory decoding on. I/O BARs stay
 *    unassigned and I/O decoding off (nothing the suite drives has an I/O
 *    BAR), so I/O windows keep their reset value.
 *
 * SeaBIOS leaves bus mastering off (command 0x0103 on the type-3 device
 * after it ran) and so does this. Round trips are what costs (a qtest line
 * about 6 µs, a round trip about 0.1 ms, a QMP command 0.4-1 ms), so lines
 * are held and sent with the next one that needs a reply: the MCH's id, the
 * ECAM enable and bus 0's scan go in one; a bus's BAR sizing and its
 * bridges' bus numbers ride with the scan of the bus below; a function's
 * header is one `read` of 28 bytes and its BARs are sized by one
 * write/read/write of all of them; the programming carries each type-3's
 * config space back for discovery. Root buses come from the description's
 * `bus_nr` when bus 0 shows as many expanders, else from `query-pci`. A
 * bridge's window registers are written only where they change from
 * reset: QEMU remaps the bridge on each (about 0.25 ms). The planning
 * ({@linkcode planResources}) is pure; {@linkcode bringUpPci} does the
 * config cycles.
 *
 * @module
 */

import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import { optionName } from "./args.ts";
import { type PciTopology, pciTopology } from "./devices.ts";
import {
  CONFIG_SPACE_BYTES,
  configDword,
  type ConfigHeader,
  ecamAddress,
  formatPciAddress,
  HEADER_BYTES,
  headerOf,
  isCxlType3,
  type PciAddress,
  type PciFunction,
  Q35_ECAM_BASE,
} from "./pci.ts";
import { addrText, type QtestClient, replyBytes, replyValue } from "./qtest.ts";

/** The q35 MCH (host bridge 0:0.0) vendor/device dword. */
export const Q35_MCH_ID = 0x29c08086;
/** MCH config offset of PCIEXBAR (64-bit: base, length in bits 2:1, enable in bit 0). */
export const Q35_PCIEXBAR = 0x60;
/** The 32-bit window BARs go to: from the end of the ECAM window to the IOAPIC, as SeaBIOS. */
export const PCI_HOLE_32: { readonly start: bigint; readonly end: bigint } = {
  start: Q35_ECAM_BASE + 0x10000000n,
  end: 0xfec00000n,
};
/** Bridge memory windows are in units of 1 MiB. */
const WINDOW_GRANULE = 0x100000n;
const COMMAND_MEMORY = 0x2;
const COMMAND_SERR = 0x100;
/** Size of the halt firmware image (that of SeaBIOS's bios-256k.bin). */
export const HALT_FIRMWARE_SIZE = 256 * 1024;

/**
 * A firmware image whose reset vector (the last 16 bytes, at 0xfffffff0)
 * is `cli; hlt; jmp $-1`: the CPUs never touch the PCI configuration the
 * host side programmed, yet the machine can run (`cont`) so that its run
 * state is `running` as with SeaBIOS.
 *
 * @example
 * ```ts
 * import { haltFirmwareImage } from "@cxl-dcd/conformance/conformance";
 * const image = haltFirmwareImage();
 * if (image.length !== 256 * 1024 || image[image.length - 16] !== 0xfa) throw new Error();
 * ```
 */
export function haltFirmwareImage(): Uint8Array {
  const image = new Uint8Array(HALT_FIRMWARE_SIZE).fill(0xff);
  // cli; hlt; jmp short back to hlt
  image.set([0xfa, 0xf4, 0xeb, 0xfd], HALT_FIRMWARE_SIZE - 16);
  return image;
}

/**
 * Why a machine description needs its firmware (then bring-up stays with
 * it), or `undefined` when the host side can bring it up directly: only a
 * q35 machine can be, and not when it starts paused itself (`-S`: no
 * firmware runs, and nothing is brought up), nor when it chooses a firmware
 * or a kernel (`-bios`, `-kernel`, `-pflash`, `-drive if=pflash`,
 * `firmware=` on `-machine`).
 *
 * @example
 * ```ts
 * import { firmwareNeed } from "@cxl-dcd/conformance/conformance";
 * if (firmwareNeed(["-machine", "q35,cxl=on"]) !== undefined) throw new Error();
 * if (firmwareNeed(["-machine", "q35", "-S"]) === undefined) throw new Error();
 * if (firmwareNeed(["-machine", "none"]) === undefined) throw new Error();
 * ```
 */
export function firmwareNeed(machine: readonly string[]): string | undefined {
  const type = machineType(machine);
  if (type !== "q35" && !/^pc-q35-/.test(type)) {
    return `it is not a q35 machine (${type}): the bring-up programs q35's MCH`;
  }
  for (let i = 0; i < machine.length; i++) {
    const name = optionName(machine[i] as string);
    const value = machine[i + 1] ?? "";
    if (name === "-S") return "it starts paused (-S)";
    if (name === "-bios" || name === "-kernel" || name === "-pflash") {
      return `it chooses its firmware (${name})`;
    }
    if (name === "-drive" && /(^|,)if=pflash(,|$)/.test(value)) {
      return "it chooses its firmware (-drive if=pflash)";
    }
    if ((name === "-machine" || name === "-M") && /(^|,)firmware=/.test(value)) {
      return "it chooses its firmware (firmware=)";
    }
  }
  return undefined;
}

/**
 * The machine type a description selects (the last `-machine`/`-M` that
 * names one, as QEMU takes it), `pc` when none does (x86_64's default).
 */
function machineType(machine: readonly string[]): string {
  let type = "pc";
  for (let i = 0; i < machine.length; i++) {
    const name = optionName(machine[i] as string);
    if (name !== "-machine" && name !== "-M") continue;
    for (const [k, part] of (machine[i + 1] ?? "").split(",").entries()) {
      if (part.startsWith("type=")) type = part.slice(5);
      else if (k === 0 && part !== "" && !part.includes("=")) type = part;
    }
  }
  return type;
}

/** A memory BAR found by sizing. */
export interface MemoryBar {
  /** BAR index (0-5; the low register of a 64-bit BAR). */
  index: number;
  /** Whether it is a 64-bit BAR. */
  is64: boolean;
  /** Size in bytes (a power of two). */
  size: bigint;
}

/** A function found by enumeration (identity as the bus walk gives it), with its memory BARs. */
export interface EnumeratedFunction extends PciFunction {
  /** Header type 1 (a bridge: root port, switch port, PCI bridge). */
  bridge: boolean;
  /** Memory BARs. */
  bars: MemoryBar[];
  /** Bridges: the bus numbers given (secondary, subordinate). */
  secondary?: number;
  /** Bridges: the highest bus number below. */
  subordinate?: number;
}

/** Where {@linkcode planResources} puts things. */
export interface ResourcePlan {
  /** `bb:dd.f` → BAR index → base address. */
  bars: Map<string, Map<number, bigint>>;
  /** `bb:dd.f` of a bridge → its memory window (inclusive limit), absent when closed. */
  windows: Map<string, { base: bigint; limit: bigint }>;
}

function alignUp(v: bigint, a: bigint): bigint {
  return (v + a - 1n) / a * a;
}

interface Item {
  size: bigint;
  align: bigint;
  place(base: bigint): void;
}

/**
 * Places every memory BAR of the enumerated functions and the bridge
 * windows above them in `window`: per bus, largest alignment first, so
 * power-of-two BARs pack without holes; a bridge's window is what its
 * secondary bus needs rounded up to 1 MiB. Throws when it does not fit.
 *
 * @param rootBuses bus 0 and each expander bridge's `bus_nr`
 * @param functions the enumerated functions
 * @param window the address range to place them in (default {@linkcode PCI_HOLE_32})
 *
 * @example
 * ```ts
 * import { planResources } from "@cxl-dcd/conformance/conformance";
 * const plan = planResources([0], [{
 *   bus: 0, device: 2, function: 0, vendor: 0x8086, deviceId: 0x0d93, classCode: 0x050210,
 *   bridge: false, bars: [{ index: 0, is64: true, size: 0x10000n }],
 * }]);
 * if (plan.bars.get("00:02.0")?.get(0) !== 0xc0000000n) throw new Error();
 * ```
 */
export function planResources(
  rootBuses: readonly number[],
  functions: readonly EnumeratedFunction[],
  window?: { readonly start: bigint; readonly end: bigint },
): ResourcePlan {
  window ??= PCI_HOLE_32;
  const plan: ResourcePlan = { bars: new Map(), windows: new Map() };
  const onBus = new Map<number, EnumeratedFunction[]>();
  for (const f of functions) {
    const list = onBus.get(f.bus) ?? [];
    list.push(f);
    onBus.set(f.bus, list);
  }
  const visiting = new Set<number>();
  // Items of a bus (its BARs, its bridges' windows) and the bytes they take, packed.
  const busItems = (bus: number): { items: Item[]; size: bigint; align: bigint } => {
    if (visiting.has(bus)) throw new Error(`PCI bus ${bus} is below itself: bridge loop`);
    visiting.add(bus);
    const items: Item[] = [];
    for (const f of onBus.get(bus) ?? []) {
      const key = formatPciAddress(f);
      for (const bar of f.bars) {
        items.push({
          size: bar.size,
          align: bar.size,
          place: (base) => {
            const m = plan.bars.get(key) ?? new Map<number, bigint>();
            m.set(bar.index, base);
            plan.bars.set(key, m);
          },
        });
      }
      if (f.bridge && f.secondary !== undefined) {
        const below = busItems(f.secondary);
        if (below.size > 0n) {
          const size = alignUp(below.size, WINDOW_GRANULE);
          items.push({
            size,
            align: below.align > WINDOW_GRANULE ? below.align : WINDOW_GRANULE,
            place: (base) => {
              plan.windows.set(key, { base, limit: base + size - 1n });
              pack(below.items, base);
            },
          });
        }
      }
    }
    items.sort((a, b) => (a.align === b.align ? 0 : a.align > b.align ? -1 : 1));
    let size = 0n;
    for (const item of items) size = alignUp(size, item.align) + item.size;
    visiting.delete(bus);
    return { items, size, align: items[0]?.align ?? 1n };
  };
  const pack = (items: Item[], base: bigint): bigint => {
    let at = base;
    for (const item of items) {
      at = alignUp(at, item.align);
      item.place(at);
      at += item.size;
    }
    return at;
  };
  let cursor = window.start;
  for (const root of rootBuses) {
    const { items, align } = busItems(root);
    cursor = pack(items, alignUp(cursor, align));
  }
  if (cursor > window.end) {
    throw new Error(
      `the memory BARs do not fit the 32-bit PCI hole 0x${window.start.toString(16)}-` +
        `0x${(window.end - 1n).toString(16)}: placed there they would end at ` +
        `0x${cursor.toString(16)}; expected them to fit (or use firmware bring-up)`,
    );
  }
  return plan;
}

/**
 * Root buses for {@linkcode bringUpPci}: bus 0 and each expander bridge's
 * `bus_nr` (as `query-pci` lists them), or the ones a description declares
 * with what gives them when those prove wrong. Declared roots are scanned
 * with bus 0 and taken when bus 0 shows as many expander host bridges
 * ({@linkcode isExpanderBridge}) and each declared bus has a function (before
 * any bridge is numbered only root buses answer).
 */
export type RootBuses =
  | readonly number[]
  | Promise<readonly number[]>
  | { declared: readonly number[]; otherwise: () => Promise<readonly number[]> };

/** Whether a function is an expander host bridge (`pxb`, `pxb-pcie`, `pxb-cxl`: 1b36:0009/000b, class 0600). */
export function isExpanderBridge(f: PciFunction): boolean {
  return f.vendor === 0x1b36 && (f.deviceId === 0x0009 || f.deviceId === 0x000b) &&
    f.classCode === 0x060000;
}

/** What {@linkcode bringUpPci} did. */
export interface BringUpResult {
  /** Every function found, with bus numbers of bridges. */
  functions: EnumeratedFunction[];
  /** Where BARs and windows went. */
  plan: ResourcePlan;
  /** qtest round trips it took. */
  roundTrips: number;
}

function cf8(a: PciAddress, offset: number): string {
  const v = (0x80000000 | a.bus << 16 | a.device << 11 | a.function << 8 | (offset & 0xfc)) >>> 0;
  return `outl 0xcf8 ${addrText(v)}`;
}

const MCH: PciAddress = { bus: 0, device: 0, function: 0 };
const ECAM_PROBE = `readl ${addrText(ecamAddress(MCH, 0))}`;

/** Reads 0:0.0's vendor/device dword through 0xCF8/0xCFC (the reply of the second line). */
const MCH_ID_LINES = [cf8(MCH, 0), "inl 0xcfc"];

/** Enables the ECAM window at {@linkcode Q35_ECAM_BASE}: PCIEXBAR, 256 MiB (bits 2:1 = 0), enabled. */
const ECAM_ENABLE_LINES = [
  cf8(MCH, Q35_PCIEXBAR + 4),
  `outl 0xcfc ${addrText(Number(Q35_ECAM_BASE >> 32n))}`,
  cf8(MCH, Q35_PCIEXBAR),
  `outl 0xcfc ${addrText((Q35_ECAM_BASE & 0xffffffffn) | 1n)}`,
];

/** Throws unless 0:0.0 is q35's MCH and the ECAM window shows it (replies to the id read and the probe). */
function checkMch(id: string | undefined, probe: string | undefined): void {
  const found = value(id);
  if (found !== Q35_MCH_ID) {
    throw new Error(
      `00:00.0 is 0x${found.toString(16)}; expected q35's MCH (0x${Q35_MCH_ID.toString(16)}): ` +
        "only q35 machines are brought up without firmware",
    );
  }
  const seen = value(probe);
  if (seen !== Q35_MCH_ID) {
    throw new Error(
      `the ECAM window at 0x${Q35_ECAM_BASE.toString(16)} reads 0x${seen.toString(16)} ` +
        `for 00:00.0 after enabling PCIEXBAR; expected the MCH (0x${Q35_MCH_ID.toString(16)})`,
    );
  }
}

/**
 * Enables q35's MMCONFIG (ECAM) window if it is not on (two round trips).
 * Returns false without a q35 MCH.
 */
export async function enableEcam(qt: QtestClient): Promise<boolean> {
  const [, id, , low] = await qt.batch([...MCH_ID_LINES, cf8(MCH, Q35_PCIEXBAR), "inl 0xcfc"]);
  if (value(id) !== Q35_MCH_ID) return false;
  const enable = (value(low) & 1) === 0 ? ECAM_ENABLE_LINES : [];
  const [probe] = (await qt.batch([...enable, ECAM_PROBE])).slice(-1);
  checkMch(id, probe);
  return true;
}

/** `n` bytes of `v` as the hex of a qtest `write` (little-endian, as config space). */
function littleEndian(v: bigint, n: number): string {
  let hex = "";
  for (let i = 0; i < n; i++) {
    hex += Number((v >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, "0");
  }
  return `0x${hex}`;
}

const readLine = (a: PciAddress, offset: number, n: number) =>
  `read ${addrText(ecamAddress(a, offset))} ${n}`;
/** A write of `n` bytes (config space takes them as dword accesses, in order). */
const writeLine = (a: PciAddress, offset: number, v: bigint, n = 4) =>
  `write ${addrText(ecamAddress(a, offset))} ${n} ${littleEndian(v, n)}`;
const value = (reply: string | undefined): number => Number(replyValue(reply ?? "OK 0")) >>> 0;

/**
 * Config cycles in as few round trips as the order allows: lines are held
 * until something needs a reply that is not there yet (qtest runs the lines
 * in order), and one round trip carries them all.
 */
class ConfigCycles {
  readonly #qt: QtestClient;
  #held: string[] = [];
  #waiting: {
    from: number;
    count: number;
    resolve(r: string[]): void;
    reject(e: unknown): void;
  }[] = [];
  /** Round trips made (for tests and the bench). */
  roundTrips = 0;

  constructor(qt: QtestClient) {
    this.#qt = qt;
  }

  /** Holds lines whose replies are not needed. */
  hold(lines: readonly string[]): void {
    this.#held.push(...lines);
  }

  /** Holds lines; resolves to their replies once a round trip carried them. */
  later(lines: readonly string[]): Promise<string[]> {
    const from = this.#held.length;
    this.#held.push(...lines);
    const replies = new Promise<string[]>((resolve, reject) => {
      this.#waiting.push({ from, count: lines.length, resolve, reject });
    });
    replies.catch(() => {}); // the failed flush() rejects too
    return replies;
  }

  /** Sends the held lines and `lines`; resolves to the replies of `lines`. */
  async now(lines: readonly string[]): Promise<string[]> {
    const replies = this.later(lines);
    await this.flush();
    return await replies;
  }

  /** Sends the held lines (nothing when none are held). */
  async flush(): Promise<void> {
    const held = this.#held;
    const waiting = this.#waiting;
    this.#held = [];
    this.#waiting = [];
    if (held.length === 0) {
      for (const w of waiting) w.resolve([]);
      return;
    }
    this.roundTrips++;
    let replies: string[];
    try {
      replies = await this.#qt.batch(held);
    } catch (e) {
      for (const w of waiting) w.reject(e);
      throw e;
    }
    for (const w of waiting) w.resolve(replies.slice(w.from, w.from + w.count));
  }
}

const headLine = (a: PciAddress) => readLine(a, 0, HEADER_BYTES);
const slotsOf = (bus: number): PciAddress[] =>
  Array.from({ length: 32 }, (_, device) => ({ bus, device, function: 0 }));

/**
 * Functions on one bus, in device and function order: every slot's
 * function 0 (one round trip, carrying what is held, unless `fn0` already
 * holds their replies), then the rest of multi-function slots (one more
 * when there are any).
 */
async function scanBus(
  io: ConfigCycles,
  bus: number,
  fn0?: readonly string[],
): Promise<{ a: PciAddress; h: ConfigHeader }[]> {
  const head = headLine;
  const slots = slotsOf(bus);
  const replies = fn0 ?? await io.now(slots.map(head));
  const found = slots.map((a, i) => ({ a, h: headerOf(replies[i] ?? "OK 0x") }))
    .filter(({ h }) => h.present);
  const more = found.filter(({ h }) => h.multiFunction)
    .flatMap(({ a }) => [1, 2, 3, 4, 5, 6, 7].map((fn) => ({ ...a, function: fn })));
  if (more.length > 0) {
    const rest = await io.now(more.map(head));
    more.forEach((a, i) => {
      const h = headerOf(rest[i] ?? "OK 0x");
      if (h.present) found.push({ a, h });
    });
  }
  found.sort((x, y) => x.a.device - y.a.device || x.a.function - y.a.function);
  return found;
}

/**
 * Sizes the memory BARs of functions (decoding is off before bring-up):
 * all of a function's BAR registers are written with ones, read back and
 * cleared (three lines each); I/O BARs stay cleared. The lines are held:
 * the next round trip carries them.
 */
function sizeFunctions(
  io: ConfigCycles,
  functions: readonly { a: PciAddress; bridge: boolean }[],
): Promise<MemoryBar[][]> {
  const lines: string[] = [];
  for (const f of functions) {
    const n = 4 * (f.bridge ? 2 : 6);
    lines.push(writeLine(f.a, 0x10, (1n << BigInt(8 * n)) - 1n, n));
    lines.push(readLine(f.a, 0x10, n));
    lines.push(writeLine(f.a, 0x10, 0n, n));
  }
  return io.later(lines).then((replies) =>
    functions.map((_, k) => {
      const masks = replyBytes(replies[3 * k + 1] ?? "OK 0x");
      const bars: MemoryBar[] = [];
      for (let i = 0; 4 * i < masks.length; i++) {
        const low = configDword(masks, 4 * i);
        if (low === 0 || (low & 1) !== 0) continue; // absent, or I/O
        const is64 = ((low >>> 1) & 3) === 2;
        let mask = BigInt((low & 0xfffffff0) >>> 0);
        if (is64) {
          mask |=
            BigInt(4 * (i + 1) < masks.length ? configDword(masks, 4 * (i + 1)) : 0xffffffff) <<
            32n;
          const size = (~mask & 0xffffffffffffffffn) + 1n;
          if (mask !== 0n) bars.push({ index: i, is64, size });
          i++;
        } else {
          bars.push({ index: i, is64, size: (~mask & 0xffffffffn) + 1n });
        }
      }
      return bars;
    })
  );
}

/**
 * Brings the PCI hierarchy of a stopped q35 machine up the way SeaBIOS
 * does (see the module documentation): ECAM on, bus numbers depth-first
 * from each root bus, memory BARs and bridge windows in the 32-bit hole,
 * memory decoding on, then each type-3's config space read back into its
 * function ({@linkcode PciFunction.config}). Bus 0 is scanned while the
 * root buses are still coming. Throws when 0:0.0 is not q35's MCH (its
 * PCIEXBAR offsets were written by then: only q35 machines are brought up
 * this way, see {@linkcode firmwareNeed}).
 *
 * Round trips: one for the MCH, the ECAM enable and the scans of bus 0 and
 * the declared roots; one per other bus scanned (with the held writes and
 * the sizing of the bus above), one more per bus with multi-function
 * slots; one for the last sizing and one for the programming.
 *
 * @param qt the qtest connection to the stopped machine
 * @param rootBuses bus 0 and each expander bridge's `bus_nr` (see {@linkcode RootBuses})
 * @param window the address range to place memory in (default {@linkcode PCI_HOLE_32})
 * @param numbered called with the functions once every bus number is
 *   final, before the BARs are programmed (what `query-pci` says of the
 *   buses no longer changes)
 */
export async function bringUpPci(
  qt: QtestClient,
  rootBuses: RootBuses,
  window?: { readonly start: bigint; readonly end: bigint },
  numbered?: (functions: readonly EnumeratedFunction[]) => void,
): Promise<BringUpResult> {
  window ??= PCI_HOLE_32;
  const functions: EnumeratedFunction[] = [];
  const io = new ConfigCycles(qt);
  let roots: number[] | undefined;
  let taken = new Set<number>();
  let next = 0;
  const sizing: Promise<unknown>[] = [];
  // The first round trip carries the MCH's id, the ECAM enable (PCIEXBAR is
  // off at reset; written as it is, whatever it held), the probe that ECAM
  // works, bus 0's scan and that of every declared root bus.
  const mch = io.later([...MCH_ID_LINES, ...ECAM_ENABLE_LINES, ECAM_PROBE]);
  const scan0 = io.later(slotsOf(0).map(headLine));
  const declared = "declared" in rootBuses
    ? [...new Set(rootBuses.declared)].filter((b) => b !== 0).sort((a, b) => a - b)
    : [];
  const prefetched = new Map(declared.map((b) => [b, io.later(slotsOf(b).map(headLine))]));
  await io.flush();
  const checked = await mch;
  checkMch(checked[1], checked.at(-1));
  const scans = new Map<number, readonly string[]>([[0, await scan0]]);
  const number = async (bus: number): Promise<void> => {
    const fn0 = scans.get(bus);
    scans.delete(bus);
    const found = await scanBus(io, bus, fn0);
    const typed = found.filter(({ h }) => h.type <= 1);
    const here = typed.map(({ a, h }): EnumeratedFunction => ({
      ...a,
      vendor: h.vendor,
      deviceId: h.deviceId,
      classCode: h.classCode,
      bridge: h.type === 1,
      bars: [],
    }));
    const sized = sizeFunctions(io, here.map((f, i) => ({ a: typed[i]!.a, bridge: f.bridge })))
      .then((bars) => bars.forEach((b, i) => here[i]!.bars = b));
    sized.catch(() => {}); // a failed round trip rejects bringUpPci itself
    sizing.push(sized);
    for (let i = 0; i < here.length; i++) {
      const f = here[i]!;
      functions.push(f);
      if (!f.bridge) continue;
      // Bus 0 is scanned before query-pci answered: its bridges wait for the other roots.
      roots ??= await rootList(here);
      const secondary = ++next;
      if (secondary > 0xff || taken.has(secondary)) {
        throw new Error(
          `PCI bridge ${formatPciAddress(f)}: no bus number left for its secondary bus ` +
            `(next free ${secondary}, root buses ${roots.join(", ")}); expected the buses ` +
            `below each root to end before the next root's bus_nr`,
        );
      }
      taken.add(secondary);
      const keep = typed[i]!.h.buses & 0xff000000; // secondary latency timer
      // Everything up to 0xff routes below it while its buses are scanned; then the real end.
      io.hold([writeLine(f, 0x18, BigInt((keep | 0xff << 16 | secondary << 8 | bus) >>> 0))]);
      await number(secondary);
      f.secondary = secondary;
      f.subordinate = next;
      io.hold([writeLine(f, 0x18, BigInt((keep | next << 16 | secondary << 8 | bus) >>> 0))]);
    }
  };
  const rootList = async (onBus0: readonly EnumeratedFunction[]) => {
    let given: readonly number[];
    if ("declared" in rootBuses) {
      const replies = await Promise.all(declared.map((b) => prefetched.get(b)!));
      const answered = replies.every((r) => r.some((line) => headerOf(line).present));
      if (answered && onBus0.filter(isExpanderBridge).length === declared.length) {
        given = declared;
        declared.forEach((b, i) => scans.set(b, replies[i]!));
      } else given = await rootBuses.otherwise();
    } else given = await rootBuses;
    const list = [...new Set([0, ...given])].sort((a, b) => a - b);
    taken = new Set(list);
    return list;
  };
  await number(0);
  roots ??= await rootList(functions.filter((f) => f.bus === 0));
  for (const root of roots) {
    if (root === 0) continue;
    next = Math.max(next, root);
    await number(root);
  }
  await io.flush();
  await Promise.all(sizing);
  numbered?.(functions);
  const placed = planResources(roots, functions, window);
  const lines: string[] = [];
  for (const f of functions) {
    const key = formatPciAddress(f);
    const bases = placed.bars.get(key);
    for (const bar of f.bars) {
      const base = bases?.get(bar.index) ?? 0n;
      lines.push(writeLine(f, 0x10 + 4 * bar.index, base, bar.is64 ? 8 : 4));
    }
    if (f.bridge) {
      const w = placed.windows.get(key);
      // Memory window (closed: base above limit); the prefetchable window closed.
      const memory = w === undefined
        ? 0x0000fff0n
        : ((w.limit >> 16n) & 0xfff0n) << 16n | ((w.base >> 16n) & 0xfff0n);
      // Each window write remaps the bridge (about 0.25 ms in QEMU 10.0): only what
      // changes from reset. The prefetchable window's upper halves are 0 at reset;
      // the I/O window stays as reset with I/O decoding off.
      lines.push(writeLine(f, 0x20, memory), writeLine(f, 0x24, 0x0000fff0n));
    }
    if (f.bridge || f.bars.length > 0) {
      lines.push(writeLine(f, 0x04, BigInt(COMMAND_MEMORY | COMMAND_SERR)));
    }
  }
  io.hold(lines);
  // Discovery reads each type-3's whole config space next: it rides along.
  const type3 = functions.filter(isCxlType3);
  const configs = io.later(type3.map((f) => readLine(f, 0, CONFIG_SPACE_BYTES)));
  await io.flush();
  (await configs).forEach((reply, i) => type3[i]!.config = replyBytes(reply));
  return { functions, plan: placed, roundTrips: io.roundTrips };
}

/** How the QEMU target brings PCI up: SeaBIOS, or the host side over qtest (the default). */
export type Bringup = "firmware" | "direct";

/** The bring-up modes, for option parsing. */
export const BRINGUPS: readonly Bringup[] = ["direct", "firmware"];

/** Arguments that stop the CPUs and replace the firmware by the halt loop at `haltImage`. */
export function directBringupArgs(haltImage: string): string[] {
  return ["-S", "-bios", haltImage];
}

/** The control monitor {@linkcode bringUpDirect} needs. */
export interface BringupMonitor {
  /** Runs a QMP command, resolving to its `return` value. */
  execute(command: string, args?: QmpObject): Promise<QmpValue>;
}

/** Options of {@linkcode bringUpDirect}. */
export interface BringupOptions {
  /**
   * The root buses the description declares (`declaredRootBuses`): taken
   * instead of asking `query-pci` when the bus shows they are right (see
   * {@linkcode RootBuses}).
   */
  rootBuses?: readonly number[];
  /**
   * The `-device` ids of the type-3 devices the description declares: when
   * it declares one and one is found, that one has its id and `query-pci`
   * is not asked again.
   */
  type3Ids?: readonly string[];
}

/**
 * The whole firmware-free bring-up of a machine started with
 * {@linkcode directBringupArgs}: root buses as the description declares
 * them (checked on the bus, see {@linkcode BringupOptions.rootBuses}) or
 * from `query-pci` on the control monitor, {@linkcode bringUpPci}, and once
 * the buses are numbered `cont` so the machine runs (the halt loop) as it
 * would with firmware and `query-pci` again for each function's id (see
 * {@linkcode BringupOptions.type3Ids}), while the BARs are programmed.
 * Resolves once the machine runs and PCI is up, with the ids and each
 * type-3's config space in the functions. The runner's monitor has not
 * negotiated yet, so it sees no RESUME event.
 *
 * Either connection may still be coming: qtest work starts as soon as
 * qtest is there (QEMU answers it, like `qmp_capabilities`, once its main
 * loop runs), QMP commands go once `control` resolves (negotiated).
 */
export async function bringUpDirect(
  qt: QtestClient | Promise<QtestClient>,
  control: BringupMonitor | Promise<BringupMonitor>,
  options?: BringupOptions,
): Promise<BringUpResult> {
  const monitor = Promise.resolve(control);
  monitor.catch(() => {});
  const asked = () =>
    monitor.then((c) => c.execute("query-pci")).then(
      (pci) => pciTopology(pci).rootBuses,
      () => [] as number[], // a machine without PCI
    );
  const hint = options?.rootBuses;
  // Else query-pci's answer is needed once bus 0 is scanned: it runs meanwhile.
  const roots: RootBuses = hint === undefined ? asked() : { declared: hint, otherwise: asked };
  const declared = options?.type3Ids ?? [];
  let resumed: Promise<unknown> | undefined;
  let ids: Promise<PciTopology["ids"]> | undefined;
  let functions: readonly EnumeratedFunction[] = [];
  const result = await bringUpPci(await qt, roots, undefined, (numbered) => {
    functions = numbered;
    // The halt loop never touches PCI: the machine may run from here on.
    resumed = monitor.then((c) => c.execute("cont"));
    resumed.catch(() => {});
    const type3 = numbered.filter(isCxlType3);
    if (type3.length === 1 && declared.length === 1) {
      ids = Promise.resolve(new Map([[formatPciAddress(type3[0]!), declared[0]!]]));
    } else {
      ids = monitor.then((c) => c.execute("query-pci")).then((pci) => pciTopology(pci).ids);
      ids.catch(() => {});
    }
  });
  await (resumed ?? (await monitor).execute("cont"));
  if (ids !== undefined) {
    const byAddress = await ids;
    for (const f of functions) f.id = byAddress.get(formatPciAddress(f)) ?? "";
  }
  return result;
}
