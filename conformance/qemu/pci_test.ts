import { deepStrictEqual as assertEquals, throws } from "node:assert";
import {
  barBase,
  configDword,
  extendedCapabilitiesOf,
  headerOf,
  registerLocatorOf,
} from "./pci.ts";

const at = { bus: 0x18, device: 0, function: 0 };

/** Config-space bytes with little-endian dwords set at their offsets. */
function config(dwords: Record<number, number>): Uint8Array {
  const bytes = new Uint8Array(4096);
  for (const [offset, v] of Object.entries(dwords)) {
    for (let i = 0; i < 4; i++) bytes[Number(offset) + i] = (v >>> (8 * i)) & 0xff;
  }
  return bytes;
}

/** A type-3 function as QEMU 10.0 lays it out: BAR2 64-bit, AER then the Register Locator. */
const TYPE3 = config({
  0x00: 0x0d938086,
  0x04: 0x00100102,
  0x08: 0x05021001,
  0x18: 0xc0110004,
  0x1c: 0x00000001,
  0x100: 0x14010001, // AER, version 1, next 0x140
  0x140: 0x00010023, // DVSEC, version 1, last
  0x144: 0x02401e98, // CXL, revision 0, 0x24 bytes
  0x148: 0x00000008, // Register Locator
  0x14c: 0x00000100, // BAR0, component registers, offset 0
  0x150: 0,
  0x154: 0x00020302, // BAR2, memory device registers, offset 0x20000
  0x158: 0,
  0x15c: 0x00010004, // BAR4, block 0 at 0x10000
  0x160: 0,
});

Deno.test("a config header read in one request gives id, class, header type and bus numbers", () => {
  const hex = (b: Uint8Array) =>
    `OK 0x${[...b].map((x) => x.toString(16).padStart(2, "0")).join("")}`;
  const bridge = config({ 0x00: 0x70758086, 0x08: 0x06040000, 0x0c: 0x00810000, 0x18: 0x00181817 });
  assertEquals(headerOf(hex(bridge.subarray(0, 0x1c))), {
    present: true,
    vendor: 0x8086,
    deviceId: 0x7075,
    classCode: 0x060400,
    type: 1,
    multiFunction: true,
    buses: 0x00181817,
    secondary: 0x18,
  });
  const absent = headerOf(`OK 0x${"ff".repeat(0x1c)}`);
  assertEquals([absent.present, absent.vendor], [false, 0xffff]);
  assertEquals(configDword(bridge, 4094), 0xffffffff, "a dword past the end reads as no device");
});

Deno.test("the Register Locator and a 64-bit BAR are read from config-space bytes", () => {
  assertEquals(extendedCapabilitiesOf(TYPE3).map((c) => [c.offset, c.id]), [[0x100, 1], [
    0x140,
    0x23,
  ]]);
  assertEquals(registerLocatorOf(TYPE3, at), [
    { bir: 0, blockId: 1, offset: 0n },
    { bir: 2, blockId: 3, offset: 0x20000n },
    { bir: 4, blockId: 0, offset: 0x10000n },
  ]);
  assertEquals(barBase(TYPE3, at, 2), 0x1c0110000n);
  throws(() => barBase(config({ 0x10: 0xc001 }), at, 0), /PCI 18:00\.0: BAR0 is an I\/O BAR/);
});

Deno.test("a function without a Register Locator is refused, naming the DVSEC", () => {
  const looped = config({ 0x100: 0x10010001 }); // AER pointing at itself
  assertEquals(extendedCapabilitiesOf(looped).length, 1, "a capability loop ends the chain");
  throws(
    () => registerLocatorOf(looped, at),
    /PCI 18:00\.0: no CXL Register Locator DVSEC \(vendor 0x1e98, id 8\) in the extended capabilities/,
  );
});
