/**
 * PCI discovery of CXL type-3 devices through qtest: ECAM config space (q35
 * MCFG base 0xb0000000), a bus walk from the root buses through bridges, the
 * CXL Register Locator DVSEC, and the device register block's capability
 * array down to the primary mailbox.
 *
 * @module
 */

import { addrText, type QtestClient, replyValue } from "./qtest.ts";

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
}

/** The CXL memory device identity: 8086:0d93, class 050210. */
export const CXL_TYPE3_ID = { vendor: 0x8086, deviceId: 0x0d93, classCode: 0x050210 } as const;

/**
 * Walks PCI buses from `rootBuses` (ECAM reads pipelined per bus), following
 * bridges to their secondary buses; returns every function found.
 */
export async function walkPci(
  qt: QtestClient,
  rootBuses: readonly number[],
): Promise<PciFunction[]> {
  const found: PciFunction[] = [];
  const seen = new Set<number>();
  const queue = [...rootBuses];
  while (queue.length > 0) {
    const bus = queue.shift() as number;
    if (seen.has(bus)) continue;
    seen.add(bus);
    // Function 0 of every slot: id, class and header type in one round trip.
    const lines: string[] = [];
    for (let device = 0; device < 32; device++) {
      const a = { bus, device, function: 0 };
      lines.push(`readl ${addrText(ecamAddress(a, 0))}`);
      lines.push(`readl ${addrText(ecamAddress(a, 0x0c))}`);
    }
    const replies = await qt.batch(lines);
    const present: PciAddress[] = [];
    for (let device = 0; device < 32; device++) {
      const id = Number(replyValue(replies[2 * device] ?? "OK 0xffffffff"));
      if ((id & 0xffff) === 0xffff) continue;
      present.push({ bus, device, function: 0 });
      const headerType = (Number(replyValue(replies[2 * device + 1] ?? "OK 0")) >> 16) & 0xff;
      if (headerType & 0x80) {
        for (let fn = 1; fn < 8; fn++) present.push({ bus, device, function: fn });
      }
    }
    for (const a of present) {
      const [idLine, classLine, headerLine, busLine] = await qt.batch([
        `readl ${addrText(ecamAddress(a, 0))}`,
        `readl ${addrText(ecamAddress(a, 0x08))}`,
        `readl ${addrText(ecamAddress(a, 0x0c))}`,
        `readl ${addrText(ecamAddress(a, 0x18))}`,
      ]);
      const id = Number(replyValue(idLine ?? "OK 0xffffffff"));
      if ((id & 0xffff) === 0xffff) continue;
      found.push({
        ...a,
        vendor: id & 0xffff,
        deviceId: id >>> 16,
        classCode: Number(replyValue(classLine ?? "OK 0")) >>> 8,
      });
      const headerType = (Number(replyValue(headerLine ?? "OK 0")) >> 16) & 0x7f;
      if (headerType === 1) {
        const secondary = (Number(replyValue(busLine ?? "OK 0")) >> 8) & 0xff;
        if (secondary !== 0) queue.push(secondary);
      }
    }
  }
  return found;
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

/** Reads a (possibly 64-bit) memory BAR's base address. */
export async function readBar(qt: QtestClient, a: PciAddress, bir: number): Promise<bigint> {
  const low = await configRead32(qt, a, 0x10 + 4 * bir);
  if (low & 1) throw new Error(`PCI ${formatPciAddress(a)}: BAR${bir} is an I/O BAR`);
  let base = BigInt(low & ~0xf) & 0xffffffffn;
  if (((low >> 1) & 3) === 2) {
    base |= BigInt(await configRead32(qt, a, 0x10 + 4 * (bir + 1))) << 32n;
  }
  return base;
}

/** Offsets of the extended capabilities of a function, in chain order. */
export async function extendedCapabilities(
  qt: QtestClient,
  a: PciAddress,
): Promise<{ offset: number; id: number; header: number }[]> {
  const caps: { offset: number; id: number; header: number }[] = [];
  let offset = 0x100;
  const visited = new Set<number>();
  while (offset >= 0x100 && !visited.has(offset)) {
    visited.add(offset);
    const header = await configRead32(qt, a, offset);
    if (header === 0 || header === -1 || header >>> 0 === 0xffffffff) break;
    caps.push({ offset, id: header & 0xffff, header });
    offset = (header >>> 20) & 0xffc;
  }
  return caps;
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

/** Reads the Register Locator DVSEC (vendor 0x1E98, id 8) entries. */
export async function registerLocator(qt: QtestClient, a: PciAddress): Promise<RegisterBlock[]> {
  for (const cap of await extendedCapabilities(qt, a)) {
    if (cap.id !== 0x0023) continue; // DVSEC
    const header1 = await configRead32(qt, a, cap.offset + 4);
    const header2 = await configRead32(qt, a, cap.offset + 8);
    if ((header1 & 0xffff) !== 0x1e98 || (header2 & 0xffff) !== 8) continue;
    const length = (header1 >>> 20) & 0xfff;
    const blocks: RegisterBlock[] = [];
    for (let at = 0x0c; at + 8 <= length; at += 8) {
      const low = await configRead32(qt, a, cap.offset + at);
      const high = await configRead32(qt, a, cap.offset + at + 4);
      blocks.push({
        bir: low & 0x7,
        blockId: (low >>> 8) & 0xff,
        offset: (BigInt(high >>> 0) << 32n) | BigInt((low & 0xffff0000) >>> 0),
      });
    }
    return blocks;
  }
  throw new Error(
    `PCI ${formatPciAddress(a)}: no CXL Register Locator DVSEC (vendor 0x1e98, id 8) ` +
      `in the extended capabilities`,
  );
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

/** Reads the device register block's capability array. */
export async function deviceCapabilities(
  qt: QtestClient,
  base: bigint,
): Promise<DeviceCapability[]> {
  const header = await qt.readq(base);
  const count = Number((header >> 32n) & 0xffffn);
  const out: DeviceCapability[] = [];
  for (let i = 1; i <= count; i++) {
    const cap = await qt.readq(base + BigInt(16 * i));
    const len = await qt.readl(base + BigInt(16 * i + 8));
    out.push({
      id: Number(cap & 0xffffn),
      version: Number((cap >> 16n) & 0xffn),
      offset: Number((cap >> 32n) & 0xffffffffn),
      length: len >>> 0,
    });
  }
  return out;
}

/**
 * Finds the primary mailbox (device capability id 2) of a type-3 function:
 * Register Locator → memory device register block (id 3) → BAR → capability
 * array. Returns the mailbox's MMIO address.
 */
export async function findPrimaryMailbox(qt: QtestClient, a: PciAddress): Promise<bigint> {
  const block = (await registerLocator(qt, a)).find((b) => b.blockId === 3);
  if (block === undefined) {
    throw new Error(
      `PCI ${formatPciAddress(a)}: the Register Locator has no memory device register block (id 3)`,
    );
  }
  const base = (await readBar(qt, a, block.bir)) + block.offset;
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
