import { deepStrictEqual as assertEquals } from "node:assert";
import { QEMU_10_0, withDcd } from "../profile.ts";
import {
  accept,
  clearEvents,
  ext,
  extentList,
  getEvents,
  GiB,
  makeDevice,
  MiB,
  toHex,
  updatePayload,
} from "./test_helpers.ts";
import type { DcDevice } from "./dc_device.ts";

function add(dev: DcDevice, pairs: [bigint, bigint][], hostId = 0, region = 0): void {
  const err = dev.add({ hostId, region, tag: undefined, extents: ext(...pairs) });
  if (err !== undefined) throw new Error(err);
}

function rc(dev: DcDevice, opcode: number, payload: Uint8Array | number[]): number {
  return dev.mailbox(opcode, payload instanceof Uint8Array ? payload : new Uint8Array(payload)).rc;
}

// Bytes below were read from QEMU 10.0.2 over qtest (num-dc-regions=2, 2 GiB backend).

Deno.test("0x4800 for 2 x 1 GiB regions is QEMU's 104 bytes", () => {
  const dev = makeDevice({ profile: QEMU_10_0, regionCount: 2, regionLength: GiB });
  const r = dev.mailbox(0x4800, new Uint8Array([2, 0]));
  assertEquals(r.rc, 0);
  assertEquals(r.payload.length, 104);
  assertEquals(
    toHex(r.payload),
    "0202000000000000" +
      "0000000000000000" + "0400000000000000" + "0000004000000000" + "0000200000000000" +
      "00000000" + "00000000" +
      "0000004000000000" + "0400000000000000" + "0000004000000000" + "0000200000000000" +
      "01000000" + "00000000" +
      "00020000" + "00020000" + "00000000" + "00000000",
  );
});

Deno.test("0x4800 returns 02 for a start region >= count and pages from start", () => {
  const dev = makeDevice({ profile: QEMU_10_0, regionCount: 2, regionLength: GiB });
  assertEquals(rc(dev, 0x4800, [1, 2]), 0x02);
  const r = dev.mailbox(0x4800, new Uint8Array([5, 1]));
  assertEquals([r.payload[0], r.payload[1], r.payload.length], [2, 1, 8 + 40 + 16]);
  assertEquals(dev.mailbox(0x4800, new Uint8Array([0, 0])).payload.length, 24);
});

Deno.test("0x4800 extents available counts accepted extents (10.0.2)", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  add(dev, [[0n, 2n * MiB], [4n * MiB, 2n * MiB]]);
  const avail = (): number =>
    new DataView(dev.mailbox(0x4800, new Uint8Array([1, 0])).payload.buffer).getUint32(
      48 + 4,
      true,
    );
  assertEquals(avail(), 512);
  accept(dev, [[0n, 2n * MiB]]);
  assertEquals(avail(), 511);
});

Deno.test("0x0100 after a 2-extent offer is QEMU's exact 288 bytes", () => {
  const dev = makeDevice({ profile: QEMU_10_0, regionCount: 2, regionLength: GiB });
  add(dev, [[0n, 128n * MiB], [256n * MiB, 64n * MiB]], 5);
  const r = dev.mailbox(0x0100, new Uint8Array([4]));
  assertEquals(r.rc, 0);
  const rec = (handle: string, flags: string, dpa: string, len: string): string =>
    "ca95afa7f18340188c2f95268e101a2a" + "80" + "010000" + handle + "0000" +
    "0000000000000000" + "00" + "00".repeat(15) +
    "00" + "00" + "0500" + "00" + flags + "0000" + dpa + len + "00".repeat(16) + "0000" +
    "00".repeat(6) + "00".repeat(0x18) + "00000000" + "00000000";
  assertEquals(
    toHex(r.payload),
    "02000000000000000000000000000000000000000200" + "00".repeat(10) +
      rec("0100", "01", "0000000000000000", "0000000800000000") +
      rec("0200", "00", "0000001000000000", "0000000400000000"),
  );
});

Deno.test("0x0100 output equals the literal bytes captured from QEMU 10.0.2", () => {
  const dev = makeDevice({ profile: QEMU_10_0, regionCount: 2, regionLength: GiB });
  add(dev, [[0n, 128n * MiB], [256n * MiB, 64n * MiB]], 5);
  assertEquals(
    toHex(dev.mailbox(0x0100, new Uint8Array([4])).payload),
    "0200000000000000000000000000000000000000020000000000000000000000ca95afa7f18340188c2f95268e101a2a" +
      "800100000100000000000000000000000000000000000000000000000000000000000500000100000000000000000000" +
      "000000080000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
      "00000000000000000000000000000000ca95afa7f18340188c2f95268e101a2a80010000020000000000000000000000" +
      "000000000000000000000000000000000000050000000000000000100000000000000004000000000000000000000000" +
      "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
  );
});

Deno.test("0x0100 rejects a log id >= 5 and the wrong input length", () => {
  const dev = makeDevice();
  assertEquals(rc(dev, 0x0100, [5]), 0x02);
  assertEquals(rc(dev, 0x0100, []), 0x16);
  assertEquals(rc(dev, 0x0100, [4, 0]), 0x16);
  assertEquals(toHex(dev.mailbox(0x0100, new Uint8Array([4])).payload), "00".repeat(32));
});

Deno.test("0x0101 clears in order; out of order or handle 0 is 02 and clears nothing", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  add(dev, [[0n, 2n * MiB], [4n * MiB, 2n * MiB]]);
  assertEquals(clearEvents(dev, [2]), 0x02);
  assertEquals(clearEvents(dev, [0]), 0x02);
  assertEquals(getEvents(dev).count, 2);
  assertEquals(clearEvents(dev, []), 0x00);
  assertEquals(clearEvents(dev, [1]), 0x00);
  assertEquals(getEvents(dev).records.map((r) => r.handle), [2]);
  assertEquals(clearEvents(dev, [2, 9, 9]), 0x00, "handles past the held records are not read");
  assertEquals(getEvents(dev).count, 0);
  assertEquals(clearEvents(dev, [], 5), 0x02);
  assertEquals(rc(dev, 0x0101, [4, 0, 1, 0, 0]), 0x16);
  assertEquals(rc(dev, 0x0101, [4, 0, 1, 0, 0, 0, 1]), 0x16);
});

Deno.test("handles keep counting after a clear and the status bit follows the DC log", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  assertEquals(dev.events.status(), 0);
  add(dev, [[0n, 2n * MiB]]);
  assertEquals(dev.events.status(), 0x10);
  clearEvents(dev, [1]);
  assertEquals(dev.events.status(), 0);
  add(dev, [[4n * MiB, 2n * MiB]]);
  assertEquals(getEvents(dev).records.map((r) => r.handle), [2]);
});

Deno.test("overflow counters report first/last time and reset on clear", () => {
  const clock = { now: 0n };
  const dev = makeDevice({ profile: QEMU_10_0, clock });
  const ts = new Uint8Array(8);
  new DataView(ts.buffer).setBigUint64(0, 100n, true);
  dev.mailbox(0x0301, ts);
  add(dev, Array.from({ length: 9 }, (_, i) => [BigInt(i) * 2n * MiB, 2n * MiB]));
  clock.now = 50n;
  add(dev, [[64n * MiB, 2n * MiB]]);
  let ev = getEvents(dev);
  assertEquals([ev.flags, ev.overflowCount, ev.firstOverflow, ev.lastOverflow], [3, 2, 100n, 150n]);
  assertEquals(clearEvents(dev, [1]), 0);
  ev = getEvents(dev);
  assertEquals([ev.flags, ev.overflowCount, ev.firstOverflow, ev.count], [2, 0, 0n, 7]);
});

Deno.test("0x0102/0x0103 interrupt policy bytes match QEMU", () => {
  const dev = makeDevice();
  assertEquals(toHex(dev.mailbox(0x0102, new Uint8Array(0)).payload), "0000000000");
  assertEquals(rc(dev, 0x0102, [0]), 0x16);
  assertEquals(rc(dev, 0x0103, [1, 1, 1, 1, 1]), 0);
  assertEquals(toHex(dev.mailbox(0x0102, new Uint8Array(0)).payload), "2131415101");
  assertEquals(rc(dev, 0x0103, [0, 0, 0, 0]), 0, "4 bytes leave the DC setting alone");
  assertEquals(toHex(dev.mailbox(0x0102, new Uint8Array(0)).payload), "0000000001");
  assertEquals(rc(dev, 0x0103, [0, 0, 0]), 0x16);
  assertEquals(rc(dev, 0x0103, [0, 0, 0, 0, 0, 0]), 0);
  assertEquals(toHex(dev.mailbox(0x0102, new Uint8Array(0)).payload), "0000000000");
});

Deno.test("an interrupt is counted only when the DC log goes from 0 to 1 while enabled", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  dev.mailbox(0x0103, new Uint8Array([0, 0, 0, 0, 1]));
  add(dev, [[0n, 2n * MiB], [4n * MiB, 2n * MiB]]);
  add(dev, [[8n * MiB, 2n * MiB]]);
  assertEquals(dev.events.log(4).interruptsRaised, 1);
});

Deno.test("0x4000 Identify of a DC-only device is QEMU's 0x45 bytes", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  const r = dev.mailbox(0x4000, new Uint8Array(0));
  assertEquals(
    toHex(r.payload),
    "425746572056455253494f4e20303000" + "00".repeat(0x3d - 0x10) + "01" + "00".repeat(5) + "0800",
  );
  assertEquals(rc(dev, 0x4000, [0]), 0x16);
});

Deno.test("0x4000 and 0x4100 report static capacity in 256 MiB units, DC excluded", () => {
  const dev = makeDevice({ profile: QEMU_10_0, staticVolatileBytes: GiB, firstRegionBase: GiB });
  const id = new DataView(dev.mailbox(0x4000, new Uint8Array(0)).payload.buffer);
  assertEquals([id.getBigUint64(0x10, true), id.getBigUint64(0x18, true)], [4n, 4n]);
  const part = dev.mailbox(0x4100, new Uint8Array(0));
  assertEquals(toHex(part.payload), "0400000000000000" + "00".repeat(24));
});

Deno.test("0x4801 lists accepted extents with QEMU's layout and paging rules", () => {
  const dev = makeDevice({ profile: QEMU_10_0, regionCount: 2, regionLength: GiB });
  assertEquals(toHex(dev.mailbox(0x4801, new Uint8Array(8)).payload), "00".repeat(16));
  const p = new Uint8Array([10, 0, 0, 0, 1, 0, 0, 0]);
  assertEquals(rc(dev, 0x4801, p), 0x02, "start > count");
  assertEquals(rc(dev, 0x4801, new Uint8Array(7)), 0x16);
  add(dev, [[0n, 128n * MiB]]);
  accept(dev, [[0n, 64n * MiB]]);
  assertEquals(
    toHex(dev.mailbox(0x4801, new Uint8Array([10, 0, 0, 0, 0, 0, 0, 0])).payload),
    "01000000010000000000000000000000" + "0000000000000000" + "0000000400000000" +
      "00".repeat(16) + "0000" + "00".repeat(6),
  );
  assertEquals(dev.mailbox(0x4803, updatePayload([[16n * MiB, 16n * MiB]])).rc, 0);
  assertEquals(
    toHex(dev.mailbox(0x4801, new Uint8Array([10, 0, 0, 0, 0, 0, 0, 0])).payload),
    "02000000020000000000000000000000" +
      "0000000000000000" + "0000000100000000" + "00".repeat(24) +
      "0000000200000000" + "0000000200000000" + "00".repeat(24),
  );
  assertEquals(extentList(dev, 10, 2).returned, 0, "start == count gives 0 records");
  assertEquals(extentList(dev, 1, 1).extents.map((e) => e.dpa), [32n * MiB]);
});

Deno.test("0x4801 returns at most 50 records per call", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  const pairs = Array.from({ length: 60 }, (_, i) =>
    [BigInt(i) * 4n * MiB, 2n * MiB] as [
      bigint,
      bigint,
    ]);
  add(dev, pairs);
  accept(dev, pairs.slice(0, 60));
  const l = extentList(dev, 100, 0);
  assertEquals([l.returned, l.total], [50, 60]);
  assertEquals(extentList(dev, 100, 50).returned, 10);
});

Deno.test("0x4802 return codes in QEMU's check order", () => {
  const dev = makeDevice({ profile: QEMU_10_0, regionCount: 2, regionLength: GiB });
  assertEquals(rc(dev, 0x4802, new Uint8Array(7)), 0x16);
  assertEquals(rc(dev, 0x4802, updatePayload([])), 0x02, "n=0 with nothing pending (QEMU crashes)");
  assertEquals(rc(dev, 0x4802, updatePayload([[0n, 2n * MiB]])), 0x0f, "nothing pending");
  assertEquals(rc(dev, 0x4802, updatePayload([], 1)), 0x16, "short for n=1");
  add(dev, [[0n, 64n * MiB]]);
  assertEquals(rc(dev, 0x4802, updatePayload([[2n * GiB, 2n * MiB]])), 0x0f, "outside regions");
  assertEquals(rc(dev, 0x4802, updatePayload([[GiB - 2n * MiB, 4n * MiB]])), 0x0f, "crosses end");
  assertEquals(rc(dev, 0x4802, updatePayload([[4096n, 2n * MiB]])), 0x1e, "misaligned");
  assertEquals(
    rc(dev, 0x4802, updatePayload([[0n, 4n * MiB], [2n * MiB, 2n * MiB]])),
    0x1e,
    "overlapping entries",
  );
  assertEquals(rc(dev, 0x4802, updatePayload([[60n * MiB, 8n * MiB]])), 0x0f, "not inside");
  assertEquals(rc(dev, 0x4802, updatePayload([[0n, 0n]])), 0x0f, "zero length");
  assertEquals(dev.store.groupCount, 1, "failed responses keep the group");
  assertEquals(rc(dev, 0x4802, updatePayload([[0n, 2n * MiB], [8n * MiB, 2n * MiB]])), 0);
  assertEquals(extentList(dev).total, 2);
});

Deno.test("0x4802 refuses more extents than the device tracks with 1D", () => {
  const dev = makeDevice({ profile: withDcd(QEMU_10_0, { maxExtents: 2 }) });
  add(dev, [[0n, 2n * MiB], [4n * MiB, 2n * MiB], [8n * MiB, 2n * MiB]]);
  assertEquals(
    rc(dev, 0x4802, updatePayload([[0n, 2n * MiB], [4n * MiB, 2n * MiB], [8n * MiB, 2n * MiB]])),
    0x1d,
  );
  assertEquals(rc(dev, 0x4802, updatePayload([[0n, 2n * MiB], [4n * MiB, 2n * MiB]])), 0);
});

Deno.test("0x4803 return codes: 16, 02, 16, 0F/1E, 0F, 1D", () => {
  const dev = makeDevice({ profile: withDcd(QEMU_10_0, { maxExtents: 2 }) });
  assertEquals(rc(dev, 0x4803, new Uint8Array(4)), 0x16);
  assertEquals(rc(dev, 0x4803, updatePayload([])), 0x02);
  assertEquals(rc(dev, 0x4803, updatePayload([], 2)), 0x16);
  assertEquals(rc(dev, 0x4803, updatePayload([[4n * GiB, 2n * MiB]])), 0x0f);
  assertEquals(rc(dev, 0x4803, updatePayload([[0n, 3n * MiB]])), 0x1e);
  assertEquals(rc(dev, 0x4803, updatePayload([[0n, 2n * MiB]])), 0x0f, "not backed");
  add(dev, [[0n, 64n * MiB]]);
  accept(dev, [[0n, 64n * MiB]]);
  assertEquals(rc(dev, 0x4803, updatePayload([[16n * MiB, 16n * MiB]])), 0, "1 -> 2 extents");
  assertEquals(rc(dev, 0x4803, updatePayload([[2n * MiB, 2n * MiB]])), 0x1d, "2 -> 3 extents");
  assertEquals(extentList(dev).total, 2, "a refused split changes nothing");
});

Deno.test("opcodes the model does not implement, and DCD on a non-DC device, are 03", () => {
  const dev = makeDevice();
  assertEquals(rc(dev, 0x7777, []), 0x03);
  assertEquals(rc(dev, 0x0001, []), 0x03);
  const plain = makeDevice({ regionCount: 0 });
  for (const op of [0x4800, 0x4801, 0x4802, 0x4803]) assertEquals(rc(plain, op, []), 0x03);
  assertEquals(rc(plain, 0x4000, []), 0);
});

Deno.test("inputs longer than 2048 bytes are not refused as such (as in QEMU 10.0.2)", () => {
  const dev = makeDevice();
  assertEquals(rc(dev, 0x4803, new Uint8Array(2049)), 0x02, "n = 0");
  assertEquals(rc(dev, 0x0101, new Uint8Array([4, 0, 0, 0, 0, 0, ...new Uint8Array(2043)])), 0);
  assertEquals(rc(dev, 0x0300, new Uint8Array(2049)), 0x16, "fixed size 0");
});

Deno.test("0x0300/0x0301 timestamp length rules", () => {
  const dev = makeDevice();
  assertEquals(rc(dev, 0x0300, [0]), 0x16);
  assertEquals(rc(dev, 0x0301, new Uint8Array(7)), 0x16);
  assertEquals(toHex(dev.mailbox(0x0300, new Uint8Array(0)).payload), "00".repeat(8));
});

Deno.test("0x4803 with two entries re-splits a fragment, list order as QEMU's", () => {
  // Observed on QEMU 10.0.2: [128M,192M) minus [144M,160M) and [168M,176M).
  const dev = makeDevice({ profile: QEMU_10_0 });
  add(dev, [[0n, 2n * MiB], [128n * MiB, 64n * MiB]]);
  accept(dev, [[0n, 2n * MiB], [128n * MiB, 64n * MiB]]);
  assertEquals(
    rc(dev, 0x4803, updatePayload([[144n * MiB, 16n * MiB], [168n * MiB, 8n * MiB]])),
    0,
  );
  assertEquals(extentList(dev).extents.map((e) => [e.dpa / MiB, e.len / MiB]), [
    [0n, 2n],
    [128n, 16n],
    [160n, 8n],
    [176n, 16n],
  ]);
});

Deno.test("0x4802 entry spanning two adjacent pending extents is 0F", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  add(dev, [[64n * MiB, 2n * MiB], [66n * MiB, 2n * MiB]]);
  assertEquals(rc(dev, 0x4802, updatePayload([[64n * MiB, 4n * MiB]])), 0x0f);
  assertEquals(rc(dev, 0x4802, updatePayload([[66n * MiB, 2n * MiB]])), 0);
});

Deno.test("with a 256 MiB volatile-memdev and 1 MiB LSA, Identify and 0x4800 match QEMU", () => {
  // Observed on QEMU 10.0.2: volatile-memdev=256M, lsa=1M, one DC region of 1 GiB.
  const dev = makeDevice({
    profile: QEMU_10_0,
    regionLength: GiB,
    firstRegionBase: 256n * MiB,
    staticVolatileBytes: 256n * MiB,
    lsaBytes: MiB,
  });
  const id = dev.mailbox(0x4000, new Uint8Array(0)).payload;
  const nonZero = Array.from(id.entries()).filter(([i, b]) => i >= 0x10 && b !== 0);
  assertEquals(nonZero, [[0x10, 1], [0x18, 1], [0x3a, 0x10], [0x3d, 1], [0x43, 8]]);
  assertEquals(
    toHex(dev.mailbox(0x4100, new Uint8Array(0)).payload),
    "0100000000000000" + "00".repeat(24),
  );
  assertEquals(
    toHex(dev.mailbox(0x4800, new Uint8Array([1, 0])).payload),
    "0101000000000000" + "0000001000000000" + "0400000000000000" + "0000004000000000" +
      "0000200000000000" + "01000000" + "00000000" + "00020000" + "00020000" + "00000000" +
      "00000000",
  );
});
