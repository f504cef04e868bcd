import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Opcode } from "../model/host_interface.ts";
import { createMachine } from "../model/mod.ts";
import { QEMU_10_0 } from "../model/profile.ts";
import { acceptAll } from "./host_accept.ts";
import { addArgs, DCD_MACHINE, releaseArgs } from "./testing/machines.ts";

const MiB = 1024 * 1024;

async function extentList(
  host: ReturnType<ReturnType<typeof createMachine>["host"]>,
): Promise<[bigint, bigint][]> {
  const input = new Uint8Array(8);
  new DataView(input.buffer).setUint32(0, 50, true);
  const r = await host.mailbox(Opcode.DC_GET_EXTENT_LIST, input);
  assertEquals(r.rc, 0);
  const v = new DataView(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength);
  const out: [bigint, bigint][] = [];
  for (let i = 0; i < v.getUint32(0, true); i++) {
    out.push([v.getBigUint64(16 + 40 * i, true), v.getBigUint64(24 + 40 * i, true)]);
  }
  return out;
}

Deno.test("the accept host accepts every offered group in full and clears the records", async () => {
  const m = createMachine(DCD_MACHINE, { profile: QEMU_10_0 });
  const host = m.host("cxl-vmem0");
  assertEquals(
    m.execute("cxl-add-dynamic-capacity", addArgs([[0, 128 * MiB], [256 * MiB, 2 * MiB]])),
    { return: {} },
  );
  assertEquals(m.execute("cxl-add-dynamic-capacity", addArgs([[512 * MiB, 4 * MiB]])), {
    return: {},
  });
  const actions = await acceptAll(host);
  assertEquals(actions.map((a) => [a.action, a.extents.length, a.rc]), [
    ["add-response", 2, 0],
    ["add-response", 1, 0],
    ["clear", 0, 0],
  ]);
  assertEquals(await extentList(host), [
    [0n, BigInt(128 * MiB)],
    [BigInt(256 * MiB), BigInt(2 * MiB)],
    [BigInt(512 * MiB), BigInt(4 * MiB)],
  ]);
  assertEquals(await acceptAll(host), [], "the log is empty afterwards");
});

Deno.test("the accept host performs a release the device asked for", async () => {
  const m = createMachine(DCD_MACHINE, { profile: QEMU_10_0 });
  const host = m.host("/machine/peripheral/cxl-vmem0");
  m.execute("cxl-add-dynamic-capacity", addArgs([[0, 64 * MiB]]));
  await acceptAll(host);
  assertEquals(m.execute("cxl-release-dynamic-capacity", releaseArgs([[16 * MiB, 16 * MiB]])), {
    return: {},
  });
  const actions = await acceptAll(host);
  assertEquals(actions.map((a) => [a.action, a.rc]), [["release", 0], ["clear", 0]]);
  assertEquals(await extentList(host), [[0n, BigInt(16 * MiB)], [
    BigInt(32 * MiB),
    BigInt(32 * MiB),
  ]]);
});

Deno.test("when the log overflowed, the accept host answers the extents it saw", async () => {
  const m = createMachine(DCD_MACHINE, { profile: QEMU_10_0 });
  const host = m.host("cxl-vmem0");
  const ten: [number, number][] = Array.from({ length: 10 }, (_, i) => [i * 4 * MiB, 2 * MiB]);
  assertEquals(m.execute("cxl-add-dynamic-capacity", addArgs(ten)), { return: {} });
  const actions = await acceptAll(host);
  assertEquals(
    actions.filter((a) => a.action === "add-response").map((a) => [a.extents.length, a.rc]),
    [[8, 0]],
  );
  assertEquals((await extentList(host)).length, 8);
});
