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
 * after it ran) and so does this. Writes are held and sent with the next
 * read (one round trip per bus scanned and per bus sized), and a bridge's
 * window registers are written only where they change from reset: QEMU
 * remaps the bridge on each (about 0.25 ms). The planning
 * ({@linkcode planResources}) is pure; {@linkcode bringUpPci} does the
 * config cycles.
 *
 * @module
 */

import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import { optionName } from "./args.ts";
import { pciTopology } from "./devices.ts";
import {
  ecamAddress,
  formatPciAddress,
  type PciAddress,
  type PciFunction,
  Q35_ECAM_BASE,
} from "./pci.ts";
import { addrText, type QtestClient, replyValue } from "./qtest.ts";

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

/** What {@linkcode bringUpPci} did. */
export interface BringUpResult {
  /** Whether the machine has a q35 MCH (otherwise nothing was done). */
  q35: boolean;
  /** Every function found, with bus numbers of bridges. */
  functions: EnumeratedFunction[];
  /** Where BARs and windows went. */
  plan: ResourcePlan;
}

function cf8(a: PciAddress, offset: number): string {
  const v = (0x80000000 | a.bus << 16 | a.device << 11 | a.function << 8 | (offset & 0xfc)) >>> 0;
  return `outl 0xcf8 ${addrText(v)}`;
}

const MCH: PciAddress = { bus: 0, device: 0, function: 0 };

/** Enables q35's MMCONFIG (ECAM) window if it is not on. Returns false without a q35 MCH. */
export async function enableEcam(qt: QtestClient): Promise<boolean> {
  const [, id, , low] = await qt.batch([
    cf8(MCH, 0),
    "inl 0xcfc",
    cf8(MCH, Q35_PCIEXBAR),
    "inl 0xcfc",
  ]);
  if (Number(replyValue(id ?? "OK 0")) >>> 0 !== Q35_MCH_ID) return false;
  if ((Number(replyValue(low ?? "OK 0")) & 1) === 0) {
    await qt.batch([
      cf8(MCH, Q35_PCIEXBAR + 4),
      `outl 0xcfc ${addrText(Number(Q35_ECAM_BASE >> 32n))}`,
      cf8(MCH, Q35_PCIEXBAR),
      // length 256 MiB (bits 2:1 = 0), enabled
      `outl 0xcfc ${addrText((Q35_ECAM_BASE & 0xffffffffn) | 1n)}`,
    ]);
  }
  const probe = await qt.readl(ecamAddress(MCH, 0));
  if (probe >>> 0 !== Q35_MCH_ID) {
    throw new Error(
      `the ECAM window at 0x${Q35_ECAM_BASE.toString(16)} reads 0x${(probe >>> 0).toString(16)} ` +
        `for 00:00.0 after enabling PCIEXBAR; expected the MCH (0x${Q35_MCH_ID.toString(16)})`,
    );
  }
  return true;
}

const readLine = (a: PciAddress, offset: number) => `readl ${addrText(ecamAddress(a, offset))}`;
const writeLine = (a: PciAddress, offset: number, v: number | bigint) =>
  `writel ${addrText(ecamAddress(a, offset))} ${addrText(v)}`;
const value = (reply: string | undefined): number => Number(replyValue(reply ?? "OK 0")) >>> 0;

/**
 * Config cycles in as few round trips as the order allows: writes are held
 * until the next read needs sending (qtest runs the lines in order), and
 * one round trip carries them all.
 */
class ConfigCycles {
  readonly #qt: QtestClient;
  #held: string[] = [];
  /** Round trips made (for tests and the bench). */
  roundTrips = 0;

  constructor(qt: QtestClient) {
    this.#qt = qt;
  }

  /** Queues a write. */
  write(a: PciAddress, offset: number, v: number | bigint): void {
    this.#held.push(writeLine(a, offset, v));
  }

  /** Sends the held writes, then `reads` (lines); resolves to the values of those lines. */
  async read(reads: readonly string[]): Promise<number[]> {
    const held = this.#held;
    this.#held = [];
    if (held.length + reads.length === 0) return [];
    this.roundTrips++;
    const replies = await this.#qt.batch([...held, ...reads]);
    return replies.slice(held.length).map(value);
  }

  /** Sends the held writes. */
  async flush(): Promise<void> {
    await this.read([]);
  }
}

/** Functions on one bus (header type byte): every slot's function 0, then the rest of multi-function slots. */
async function scanBus(
  io: ConfigCycles,
  bus: number,
): Promise<{ a: PciAddress; header: number }[]> {
  const slots = Array.from({ length: 32 }, (_, device) => ({ bus, device, function: 0 }));
  const first = await io.read(slots.flatMap((a) => [readLine(a, 0), readLine(a, 0x0c)]));
  const found: { a: PciAddress; header: number }[] = [];
  const more: PciAddress[] = [];
  for (const a of slots) {
    if (((first[2 * a.device] ?? 0xffffffff) & 0xffff) === 0xffff) continue;
    const header = ((first[2 * a.device + 1] ?? 0) >>> 16) & 0xff;
    found.push({ a, header });
    if (header & 0x80) {
      for (let fn = 1; fn < 8; fn++) more.push({ bus, device: a.device, function: fn });
    }
  }
  if (more.length > 0) {
    const replies = await io.read(more.flatMap((a) => [readLine(a, 0), readLine(a, 0x0c)]));
    more.forEach((a, i) => {
      if (((replies[2 * i] ?? 0xffffffff) & 0xffff) === 0xffff) return;
      found.push({ a, header: ((replies[2 * i + 1] ?? 0) >>> 16) & 0xff });
    });
  }
  found.sort((x, y) => x.a.device - y.a.device || x.a.function - y.a.function);
  return found;
}

/** What sizing learns of a function besides its BARs. */
interface Sized {
  /** Vendor/device dword. */
  id: number;
  /** Class code dword (class, subclass, interface, revision). */
  classRev: number;
  /** Dword 0x18 (a bridge's bus numbers and secondary latency timer). */
  buses: number;
  /** Memory BARs. */
  bars: MemoryBar[];
}

/**
 * Identifies and sizes the memory BARs of functions (decoding is off
 * before bring-up): each BAR register is written with all ones, read back
 * and cleared; I/O BARs stay cleared.
 */
async function sizeFunctions(
  io: ConfigCycles,
  functions: readonly { a: PciAddress; bridge: boolean }[],
): Promise<Sized[]> {
  const lines: string[] = [];
  for (const f of functions) {
    lines.push(readLine(f.a, 0), readLine(f.a, 0x08), readLine(f.a, 0x18));
    for (let i = 0; i < (f.bridge ? 2 : 6); i++) {
      lines.push(writeLine(f.a, 0x10 + 4 * i, 0xffffffff));
      lines.push(readLine(f.a, 0x10 + 4 * i));
      lines.push(writeLine(f.a, 0x10 + 4 * i, 0));
    }
  }
  // Writes and reads interleaved, one round trip; a write's reply reads as 0.
  const replies = await io.read(lines);
  const byLine = { get: (i: number) => replies[i] };
  let at = 0;
  return functions.map((f) => {
    const id = byLine.get(at) ?? 0;
    const classRev = byLine.get(at + 1) ?? 0;
    const buses = byLine.get(at + 2) ?? 0;
    at += 3;
    const masks: number[] = [];
    for (let i = 0; i < (f.bridge ? 2 : 6); i++, at += 3) masks.push(byLine.get(at + 1) ?? 0);
    const bars: MemoryBar[] = [];
    for (let i = 0; i < masks.length; i++) {
      const low = masks[i] as number;
      if (low === 0 || (low & 1) !== 0) continue; // absent, or I/O
      const is64 = ((low >>> 1) & 3) === 2;
      let mask = BigInt((low & 0xfffffff0) >>> 0);
      if (is64) {
        mask |= BigInt(masks[i + 1] ?? 0xffffffff) << 32n;
        const size = (~mask & 0xffffffffffffffffn) + 1n;
        if (mask !== 0n) bars.push({ index: i, is64, size });
        i++;
      } else {
        bars.push({ index: i, is64, size: (~mask & 0xffffffffn) + 1n });
      }
    }
    return { id, classRev, buses, bars };
  });
}

/**
 * Brings the PCI hierarchy of a stopped q35 machine up the way SeaBIOS
 * does (see the module documentation): ECAM on, bus numbers depth-first
 * from each root bus, memory BARs and bridge windows in the 32-bit hole,
 * memory decoding on. `rootBuses` are bus 0 and each expander bridge's
 * `bus_nr` (as `query-pci` lists them). Without a q35 MCH nothing is done.
 *
 * @param qt the qtest connection to the stopped machine
 * @param rootBuses bus 0 and each expander bridge's `bus_nr`
 * @param window the address range to place memory in (default {@linkcode PCI_HOLE_32})
 */
export async function bringUpPci(
  qt: QtestClient,
  rootBuses: readonly number[] | Promise<readonly number[]>,
  window?: { readonly start: bigint; readonly end: bigint },
): Promise<BringUpResult> {
  window ??= PCI_HOLE_32;
  const functions: EnumeratedFunction[] = [];
  const plan: ResourcePlan = { bars: new Map(), windows: new Map() };
  if (!(await enableEcam(qt))) return { q35: false, functions, plan };
  const roots = [...new Set(await rootBuses)].sort((a, b) => a - b);
  const taken = new Set(roots);
  const io = new ConfigCycles(qt);
  let next = 0;
  const number = async (bus: number): Promise<void> => {
    const typed = (await scanBus(io, bus)).filter((f) => (f.header & 0x7f) <= 1).map((f) => ({
      a: f.a,
      bridge: (f.header & 0x7f) === 1,
    }));
    const sized = await sizeFunctions(io, typed);
    for (let i = 0; i < typed.length; i++) {
      const { a, bridge } = typed[i]!;
      const { id, classRev, buses, bars } = sized[i]!;
      const f: EnumeratedFunction = {
        ...a,
        vendor: id & 0xffff,
        deviceId: id >>> 16,
        classCode: classRev >>> 8,
        bridge,
        bars,
      };
      functions.push(f);
      if (!bridge) continue;
      const secondary = ++next;
      if (secondary > 0xff || taken.has(secondary)) {
        throw new Error(
          `PCI bridge ${formatPciAddress(a)}: no bus number left for its secondary bus ` +
            `(next free ${secondary}, root buses ${roots.join(", ")}); expected the buses ` +
            `below each root to end before the next root's bus_nr`,
        );
      }
      taken.add(secondary);
      const keep = buses & 0xff000000; // secondary latency timer
      // Everything up to 0xff routes below it while its buses are scanned; then the real end.
      io.write(a, 0x18, (keep | 0xff << 16 | secondary << 8 | bus) >>> 0);
      await number(secondary);
      f.secondary = secondary;
      f.subordinate = next;
      io.write(a, 0x18, (keep | next << 16 | secondary << 8 | bus) >>> 0);
    }
  };
  for (const root of roots) {
    next = Math.max(next, root);
    await number(root);
  }
  await io.flush();
  const placed = planResources(roots, functions, window);
  const lines: string[] = [];
  for (const f of functions) {
    const key = formatPciAddress(f);
    const bases = placed.bars.get(key);
    for (const bar of f.bars) {
      const base = bases?.get(bar.index) ?? 0n;
      lines.push(writeLine(f, 0x10 + 4 * bar.index, base & 0xffffffffn));
      if (bar.is64) lines.push(writeLine(f, 0x14 + 4 * bar.index, base >> 32n));
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
      lines.push(writeLine(f, 0x20, memory), writeLine(f, 0x24, 0x0000fff0));
    }
    if (f.bridge || f.bars.length > 0) {
      lines.push(writeLine(f, 0x04, COMMAND_MEMORY | COMMAND_SERR));
    }
  }
  if (lines.length > 0) await qt.batch(lines);
  return { q35: true, functions, plan: placed };
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

/**
 * The whole firmware-free bring-up of a machine started with
 * {@linkcode directBringupArgs}: `cont` so the machine runs (the halt
 * loop) as it would with firmware, root buses from `query-pci` on the
 * control monitor, {@linkcode bringUpPci}; resolves once the machine runs
 * and PCI is up. The runner's monitor has not negotiated yet, so it sees
 * no RESUME event.
 */
export async function bringUpDirect(
  qt: QtestClient,
  control: BringupMonitor,
): Promise<BringUpResult> {
  // The halt loop never touches PCI, so the machine can run from the start;
  // query-pci's answer is needed only after ECAM is on: all three overlap.
  const resumed = control.execute("cont");
  const roots = control.execute("query-pci").then(
    (pci) => pciTopology(pci).rootBuses,
    () => [] as number[], // a machine without PCI
  );
  resumed.catch(() => {});
  const result = await bringUpPci(qt, roots);
  await resumed;
  return result;
}
