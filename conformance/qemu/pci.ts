/**
 * PCI discovery of CXL type-3 devices through qtest: ECAM config space (q35
 * MCFG base 0xb0000000), a bus walk from the root buses through bridges, the
 * CXL Register Locator DVSEC, and the device register block's capability
 * array down to the primary mailbox.
 *
 * @module
 */

import { addrText, type QtestClient, readLine, replyBytes, replyValue } from "./qtest.ts";

/** q35's ECAM (MMCONFIG) base address. */
export const Q35_ECAM_BASE = 0xb0000000n;

/** A PCI function address. */
export interface PciAddress {
  /** Bus number. */
  bus: number;
  /** Device (slot) number. */
  device: number;
  /** Function number. */
  function: number;
}

/** Formats a PCI address as `bb:dd.f` (hex). */
export function formatPciAddress(a: PciAddress): string {
  const h = (n: number, w: number) => n.toString(16).padStart(w, "0");
  return `${h(a.bus, 2)}:${h(a.device, 2)}.${a.function}`;
}

/**
 * ECAM address of a config-space offset of a function.
 *
 * @param a the function's bus, device and function
 * @param offset the config-space offset
 * @param base the ECAM window's base (default q35's, {@linkcode Q35_ECAM_BASE})
 */
export function ecamAddress(a: PciAddress, offset: number, base?: bigint): bigint {
  base ??= Q35_ECAM_BASE;
  return base +
    (BigInt(a.bus) << 20n | BigInt(a.device) << 15n | BigInt(a.function) << 12n |
      BigInt(offset));
}

/** Reads a config-space dword. */
export async function configRead32(
  qt: QtestClient,
  a: PciAddress,
  offset: number,
): Promise<number> {
  return await qt.readl(ecamAddress(a, offset));
}

/** A function found by the bus walk. */
export interface PciFunction extends PciAddress {
  /** Vendor id. */
  vendor: number;
  /** Device id. */
  deviceId: number;
  /** 24-bit class code: class, subclass, programming interface. */
  classCode: number;
  /**
   * Its `-device` id as `query-pci` gives it (`""` for none), when whoever
   * enumerated it asked (a firmware-free bring-up does, once the buses are
   * numbered).
   */
  id?: string;
  /**
   * Its whole config space as whoever enumerated it read it last, when it
   * did (a firmware-free bring-up reads each type-3's once its BARs are
   * programmed: nothing changes it afterwards).
   */
  config?: Uint8Array;
}

/** The CXL memory device identity: 8086:0d93, class 050210. */
export const CXL_TYPE3_ID = { vendor: 0x8086, deviceId: 0x0d93, classCode: 0x050210 } as const;

/**
 * Walks PCI buses from `rootBuses`, following bridges to their secondary
 * buses; returns every function found. One round trip per bus for function
 * 0 of every slot (id through bus numbers, `read` of dwords 0x00-0x1b), one
 * more for the other functions of multi-function slots.
 */
export async function walkPci(
  qt: QtestClient,
  rootBuses: readonly number[],
): Promise<PciFunction[]> {
  const found: PciFunction[] = [];
  const seen = new Set<number>();
  const queue = [...rootBuses];
  const head = async (at: readonly PciAddress[]) =>
    (await qt.batch(at.map((a) => readLine(ecamAddress(a, 0), HEADER_BYTES)))).map(headerOf);
  while (queue.length > 0) {
    const bus = queue.shift() as number;
    if (seen.has(bus)) continue;
    seen.add(bus);
    const slots = Array.from({ length: 32 }, (_, device) => ({ bus, device, function: 0 }));
    const first = await head(slots);
    const more = slots.filter((_, i) => first[i]!.present && first[i]!.multiFunction)
      .flatMap((a) => [1, 2, 3, 4, 5, 6, 7].map((fn) => ({ ...a, function: fn })));
    const rest = more.length > 0 ? await head(more) : [];
    const all = [
      ...slots.map((a, i) => ({ a, h: first[i]! })),
      ...more.map((a, i) => ({ a, h: rest[i]! })),
    ]
      .filter(({ h }) => h.present)
      .sort((x, y) => x.a.device - y.a.device || x.a.function - y.a.function);
    for (const { a, h } of all) {
      found.push({ ...a, vendor: h.vendor, deviceId: h.deviceId, classCode: h.classCode });
      if (h.type === 1 && h.secondary !== 0) queue.push(h.secondary);
    }
  }
  return found;
}

/** Bytes of a function's header that identify it and its bus numbers (dwords 0x00-0x1b). */
export const HEADER_BYTES = 0x1c;

/** What the first {@linkcode HEADER_BYTES} of a function's config space say. */
export interface ConfigHeader {
  /** Whether a function answers (vendor id not 0xffff). */
  present: boolean;
  /** Vendor id. */
  vendor: number;
  /** Device id. */
  deviceId: number;
  /** 24-bit class code. */
  classCode: number;
  /** Header type without the multi-function bit (0 endpoint, 1 bridge). */
  type: number;
  /** Function 0's multi-function bit. */
  multiFunction: boolean;
  /** Dword 0x18 (a bridge's primary, secondary, subordinate bus and secondary latency timer). */
  buses: number;
  /** A bridge's secondary bus number. */
  secondary: number;
}

/** Reads a little-endian dword of config-space bytes (0xffffffff past their end). */
export function configDword(config: Uint8Array, offset: number): number {
  if (offset < 0 || offset + 4 > config.length) return 0xffffffff;
  return (config[offset]! | config[offset + 1]! << 8 | config[offset + 2]! << 16 |
    config[offset + 3]! << 24) >>> 0;
}

/**
 * Decodes a function's header from the reply to `read ECAM HEADER_BYTES`.
 *
 * @example
 * ```ts
 * import { headerOf } from "@cxl-dcd/conformance/conformance";
 * const h = headerOf("OK 0x8680930d" + "00".repeat(24));
 * if (!h.present || h.deviceId !== 0x0d93) throw new Error();
 * ```
 */
export function headerOf(reply: string): ConfigHeader {
  const config = replyBytes(reply);
  const id = configDword(config, 0);
  const header = configDword(config, 0x0c) >>> 16 & 0xff;
  const buses = configDword(config, 0x18);
  return {
    present: (id & 0xffff) !== 0xffff,
    vendor: id & 0xffff,
    deviceId: id >>> 16,
    classCode: configDword(config, 0x08) >>> 8,
    type: header & 0x7f,
    multiFunction: (header & 0x80) !== 0,
    buses,
    secondary: buses >>> 8 & 0xff,
  };
}

/** Whether a function is a CXL type-3 memory device. */
export function isCxlType3(f: PciFunction): boolean {
  return f.vendor === CXL_TYPE3_ID.vendor && f.deviceId === CXL_TYPE3_ID.deviceId &&
    f.classCode === CXL_TYPE3_ID.classCode;
}

/**
 * Waits until memory decoding (command register bit 1) is on, i.e. the
 * firmware assigned the BARs. Throws after `timeoutMs`.
 */
export async function waitMemoryDecoding(
  qt: QtestClient,
  a: PciAddress,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cmd = await configRead32(qt, a, 0x04);
    if (cmd & 0x2) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `PCI ${formatPciAddress(a)}: memory decoding still off after ${timeoutMs} ms ` +
          `(command register 0x${(cmd & 0xffff).toString(16)}); expected the firmware to ` +
          `assign the BARs`,
      );
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Bytes of a PCI Express function's config space. */
export const CONFIG_SPACE_BYTES = 4096;

/** A function's whole config space in one `read` (reading it has no side effects in QEMU). */
export async function readConfigSpace(qt: QtestClient, a: PciAddress): Promise<Uint8Array> {
  return replyBytes(
    (await qt.batch([readLine(ecamAddress(a, 0), CONFIG_SPACE_BYTES)]))[0] ?? "OK 0x",
  );
}

/** A (possibly 64-bit) memory BAR's base address in config-space bytes. */
export function barBase(config: Uint8Array, a: PciAddress, bir: number): bigint {
  const low = configDword(config, 0x10 + 4 * bir);
  if (low & 1) throw new Error(`PCI ${formatPciAddress(a)}: BAR${bir} is an I/O BAR`);
  let base = BigInt(low & ~0xf) & 0xffffffffn;
  if (((low >> 1) & 3) === 2) base |= BigInt(configDword(config, 0x14 + 4 * bir)) << 32n;
  return base;
}

/** Reads a (possibly 64-bit) memory BAR's base address. */
export async function readBar(qt: QtestClient, a: PciAddress, bir: number): Promise<bigint> {
  const [low, high] = await qt.batch([
    readLine(ecamAddress(a, 0x10 + 4 * bir), 4),
    readLine(ecamAddress(a, 0x14 + 4 * bir), 4),
  ]);
  const config = new Uint8Array(0x18 + 4 * bir);
  config.set(replyBytes(low ?? "OK 0x00000000"), 0x10 + 4 * bir);
  config.set(replyBytes(high ?? "OK 0x00000000"), 0x14 + 4 * bir);
  return barBase(config, a, bir);
}

/** The extended capabilities in config-space bytes, in chain order. */
export function extendedCapabilitiesOf(
  config: Uint8Array,
): { offset: number; id: number; header: number }[] {
  const caps: { offset: number; id: number; header: number }[] = [];
  let offset = 0x100;
  const visited = new Set<number>();
  while (offset >= 0x100 && !visited.has(offset)) {
    visited.add(offset);
    const header = configDword(config, offset);
    if (header === 0 || header === 0xffffffff) break;
    caps.push({ offset, id: header & 0xffff, header: header | 0 });
    offset = (header >>> 20) & 0xffc;
  }
  return caps;
}

/** Offsets of the extended capabilities of a function, in chain order. */
export async function extendedCapabilities(
  qt: QtestClient,
  a: PciAddress,
): Promise<{ offset: number; id: number; header: number }[]> {
  return extendedCapabilitiesOf(await readConfigSpace(qt, a));
}

/** A register block a Register Locator DVSEC entry points to. */
export interface RegisterBlock {
  /** BAR index. */
  bir: number;
  /** Block identifier (1 component, 3 memory device registers). */
  blockId: number;
  /** Offset of the block inside the BAR. */
  offset: bigint;
}

/**
 * The Register Locator DVSEC (vendor 0x1E98, id 8) entries in a function's
 * config-space bytes.
 */
export function registerLocatorOf(config: Uint8Array, a: PciAddress): RegisterBlock[] {
  for (const cap of extendedCapabilitiesOf(config)) {
    if (cap.id !== 0x0023) continue; // DVSEC
    const header1 = configDword(config, cap.offset + 4);
    const header2 = configDword(config, cap.offset + 8);
    if ((header1 & 0xffff) !== 0x1e98 || (header2 & 0xffff) !== 8) continue;
    const length = (header1 >>> 20) & 0xfff;
    const blocks: RegisterBlock[] = [];
    for (let at = 0x0c; at + 8 <= length; at += 8) {
      const low = configDword(config, cap.offset + at);
      const high = configDword(config, cap.offset + at + 4);
      blocks.push({
        bir: low & 0x7,
        blockId: (low >>> 8) & 0xff,
        offset: (BigInt(high) << 32n) | BigInt((low & 0xffff0000) >>> 0),
      });
    }
    return blocks;
  }
  throw new Error(
    `PCI ${formatPciAddress(a)}: no CXL Register Locator DVSEC (vendor 0x1e98, id 8) ` +
      `in the extended capabilities`,
  );
}

/** Reads the Register Locator DVSEC (vendor 0x1E98, id 8) entries. */
export async function registerLocator(qt: QtestClient, a: PciAddress): Promise<RegisterBlock[]> {
  return registerLocatorOf(await readConfigSpace(qt, a), a);
}

/** A capability of the device register block. */
export interface DeviceCapability {
  /** Capability id (1 status, 2 primary mailbox, 0x4000 memory device). */
  id: number;
  /** Capability version. */
  version: number;
  /** Offset from the device register block. */
  offset: number;
  /** Length of the capability registers. */
  length: number;
}

/** Capability array entries read with its header (QEMU's type-3 and switch CCI have 3 at most). */
const CAPABILITIES_WITH_HEADER = 3;

/**
 * Reads the device register block's capability array: its header and the
 * first {@linkcode CAPABILITIES_WITH_HEADER} entries in one round trip
 * (entries past the count read as unused registers), the rest, if any, in
 * one more.
 */
export async function deviceCapabilities(
  qt: QtestClient,
  base: bigint,
): Promise<DeviceCapability[]> {
  const entry = (i: number) => [
    `readq ${addrText(base + BigInt(16 * i))}`,
    `readl ${addrText(base + BigInt(16 * i + 8))}`,
  ];
  const first = Array.from({ length: CAPABILITIES_WITH_HEADER }, (_, i) => entry(i + 1)).flat();
  const [header, ...replies] = await qt.batch([`readq ${addrText(base)}`, ...first]);
  const count = Number((replyValue(header ?? "OK 0") >> 32n) & 0xffffn);
  if (count > CAPABILITIES_WITH_HEADER) {
    const rest: string[] = [];
    for (let i = CAPABILITIES_WITH_HEADER + 1; i <= count; i++) rest.push(...entry(i));
    replies.push(...await qt.batch(rest));
  }
  const out: DeviceCapability[] = [];
  for (let i = 0; i < count; i++) {
    const cap = replyValue(replies[2 * i] ?? "OK 0");
    out.push({
      id: Number(cap & 0xffffn),
      version: Number((cap >> 16n) & 0xffn),
      offset: Number((cap >> 32n) & 0xffffffffn),
      length: Number(replyValue(replies[2 * i + 1] ?? "OK 0") & 0xffffffffn),
    });
  }
  return out;
}

/**
 * Finds the primary mailbox (device capability id 2) of a type-3 function:
 * Register Locator → memory device register block (id 3) → BAR → capability
 * array. Returns the mailbox's MMIO address. `config` is the function's
 * config space when already read ({@linkcode readConfigSpace}, after its
 * BARs were assigned); else it is read.
 */
export async function findPrimaryMailbox(
  qt: QtestClient,
  a: PciAddress,
  config?: Uint8Array,
): Promise<bigint> {
  config ??= await readConfigSpace(qt, a);
  const block = registerLocatorOf(config, a).find((b) => b.blockId === 3);
  if (block === undefined) {
    throw new Error(
      `PCI ${formatPciAddress(a)}: the Register Locator has no memory device register block (id 3)`,
    );
  }
  const base = barBase(config, a, block.bir) + block.offset;
  if (base === 0n) {
    throw new Error(`PCI ${formatPciAddress(a)}: BAR${block.bir} is not assigned`);
  }
  const mailbox = (await deviceCapabilities(qt, base)).find((c) => c.id === 2);
  if (mailbox === undefined) {
    throw new Error(
      `PCI ${formatPciAddress(a)}: the device register capability array has no primary ` +
        `mailbox (id 2)`,
    );
  }
  return base + BigInt(mailbox.offset);
}
