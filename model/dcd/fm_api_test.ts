import { deepStrictEqual as assertEquals } from "node:assert";
import { createMachine } from "../machine.ts";
import { QEMU_11_1 } from "../profile.ts";
import { initiatePayload, SWITCH_MACHINE } from "../testdata/switch_machines.ts";

const MIB = 1n << 20n;
/** Get DC Region Extent Lists input: host 0, count 50, start 0. */
const LIST_ALL = Uint8Array.of(0, 0, 0, 0, 50, 0, 0, 0, 0, 0, 0, 0);

function machine() {
  const m = createMachine(SWITCH_MACHINE, { profile: QEMU_11_1 });
  const fm = (op: number, p: Uint8Array) => m.fmSync!("cxl-vmem0", op, p);
  const host = (op: number, p: Uint8Array) => m.mailboxSync("cxl-vmem0", op, p);
  return { m, fm, host };
}

function accept(dpa: bigint, len: bigint): Uint8Array {
  const p = new Uint8Array(32);
  const v = new DataView(p.buffer);
  v.setUint32(0, 1, true);
  v.setBigUint64(8, dpa, true);
  v.setBigUint64(16, len, true);
  return p;
}

Deno.test("Initiate DC Add queues a group the host accepts, with the FM's tag and sequence in the event record only", () => {
  const { fm, host } = machine();
  assertEquals(
    fm(0x5604, initiatePayload(2, [{ dpa: 0n, len: 128n * MIB, tag: 0xab, seq: 3 }])).rc,
    0,
  );
  const events = host(0x0100, Uint8Array.of(4)).payload;
  const rec = events.subarray(0x20, 0xa0);
  assertEquals([rec[0x30], rec[0x48], rec[0x57], rec[0x58]], [0, 0xab, 0xab, 3]);
  assertEquals(host(0x4802, accept(0n, 128n * MIB)).rc, 0);
  const list = fm(0x5603, LIST_ALL).payload;
  assertEquals(new DataView(list.buffer).getUint32(8, true), 1);
  assertEquals([...list.subarray(0x18 + 16, 0x18 + 34)], new Array(18).fill(0));
});

Deno.test("Initiate DC Add checks overlaps with pending and accepted extents before the malformed-list result", () => {
  const { fm } = machine();
  assertEquals(fm(0x5604, initiatePayload(2, [{ dpa: 0n, len: 2n * MIB }])).rc, 0);
  const outside = { dpa: 1n << 40n, len: 2n * MIB };
  assertEquals(fm(0x5604, initiatePayload(2, [outside, { dpa: 0n, len: 2n * MIB }])).rc, 0x1e);
  assertEquals(fm(0x5604, initiatePayload(2, [outside])).rc, 0x0f);
  assertEquals(fm(0x5604, initiatePayload(1, [{ dpa: 4n * MIB, len: 2n * MIB }])).rc, 0x02);
  assertEquals(fm(0x5604, initiatePayload(2, [{ dpa: 4n * MIB, len: 2n * MIB }], 512)).rc, 0x1d);
});

Deno.test("Initiate DC Release logs events and changes nothing; pending ranges refused unless forced", () => {
  const { fm, host } = machine();
  fm(0x5604, initiatePayload(2, [{ dpa: 0n, len: 4n * MIB }]));
  host(0x4802, accept(0n, 4n * MIB));
  fm(0x5604, initiatePayload(2, [{ dpa: 8n * MIB, len: 2n * MIB }]));
  assertEquals(fm(0x5605, initiatePayload(1, [{ dpa: 8n * MIB, len: 2n * MIB }])).rc, 0x0f);
  assertEquals(fm(0x5605, initiatePayload(0x11, [{ dpa: 8n * MIB, len: 2n * MIB }])).rc, 0x0f);
  assertEquals(fm(0x5605, initiatePayload(0x11, [{ dpa: 0n, len: 2n * MIB }])).rc, 0);
  assertEquals(fm(0x5605, initiatePayload(0, [{ dpa: 0n, len: 2n * MIB }])).rc, 0x02);
  const list = fm(0x5603, LIST_ALL).payload;
  assertEquals(new DataView(list.buffer).getBigUint64(0x18 + 8, true), 4n * MIB);
});

Deno.test("the FM-API commands keep QEMU's fixed input lengths and Set DC Region Config's order", () => {
  const { fm } = machine();
  assertEquals(fm(0x5600, new Uint8Array(1)).rc, 0x16);
  assertEquals(fm(0x5601, new Uint8Array(5)).rc, 0x16);
  assertEquals(fm(0x5603, new Uint8Array(11)).rc, 0x16);
  const set = (region: number, size: bigint, flags = 0) => {
    const p = new Uint8Array(16);
    const v = new DataView(p.buffer);
    v.setUint8(0, region);
    v.setBigUint64(4, size, true);
    v.setUint8(12, flags);
    return fm(0x5602, p).rc;
  };
  assertEquals([
    set(0, 2n * MIB),
    set(0, 2n * MIB, 1),
    set(8, 3n),
    set(0, 3n * MIB),
    set(0, 4n * MIB),
  ], [
    0,
    0x03,
    0x03,
    0x02,
    0x02,
  ]);
});
