import { deepStrictEqual as assertEquals, throws } from "node:assert";
import { createMachine } from "./machine.ts";
import { StartupError } from "./machine_types.ts";
import { QEMU_10_0, QEMU_11_1 } from "./profile.ts";
import { encodeTunnelRequest } from "./fm_tunnel.ts";
import { SWITCH_BASE, SWITCH_MACHINE } from "./testdata/switch_machines.ts";

function startupError(args: readonly string[]): string {
  try {
    createMachine(args, { profile: QEMU_11_1 });
  } catch (e) {
    if (e instanceof StartupError) return e.stderr;
    throw e;
  }
  throw new Error("expected a start-up error");
}

Deno.test("a switch mailbox CCI without target, with an unknown one or a non-upstream one fails as QEMU 11.1.3 does", () => {
  const at = (v: string) => `qemu-system-x86_64: -device ${v}: `;
  const a = "cxl-switch-mailbox-cci,bus=rp0,addr=0.1";
  assertEquals(startupError([...SWITCH_BASE, "-device", a]), `${at(a)}Target not set`);
  assertEquals(
    startupError([...SWITCH_BASE, "-device", `${a},target=nope`]),
    `${at(`${a},target=nope`)}Device 'nope' not found`,
  );
  assertEquals(
    startupError([...SWITCH_BASE, "-device", `${a},target=rp0`]),
    `${at(`${a},target=rp0`)}Invalid parameter type for 'target', expected: cxl-upstream`,
  );
});

Deno.test("the tunnel reaches the device below the addressed downstream port and wraps its answer", () => {
  const m = createMachine(SWITCH_MACHINE, { profile: QEMU_11_1 });
  const out = m.switchCciMailboxSync!(
    "swcci0",
    0x5300,
    encodeTunnelRequest(2, 0x5600, new Uint8Array(0), 7),
  );
  assertEquals(out.rc, 0);
  // response length 12 + 0x54, category 1, tag 7, command 0x00 set 0x56, length 0x54, rc 0
  assertEquals([...out.payload.subarray(0, 16)], [
    0x60,
    0,
    0,
    0,
    1,
    7,
    0,
    0x00,
    0x56,
    0x54,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  assertEquals(out.payload.length, 16 + 0x54);
});

Deno.test("the tunnel refuses a bad envelope, an unknown port and a non-zero target type", () => {
  const m = createMachine(SWITCH_MACHINE, { profile: QEMU_11_1 });
  const run = (p: Uint8Array) => m.switchCciMailboxSync!("swcci0", 0x5300, p).rc;
  assertEquals(run(new Uint8Array(15)), 0x16);
  const sizeOff = encodeTunnelRequest(2, 0x5600, new Uint8Array(0));
  sizeOff[2] = 13;
  assertEquals(run(sizeOff), 0x16);
  const response = encodeTunnelRequest(2, 0x5600, new Uint8Array(0));
  response[4] = 1;
  assertEquals(run(response), 0x02);
  const ld = encodeTunnelRequest(2, 0x5600, new Uint8Array(0));
  ld[1] = 1;
  assertEquals(run(ld), 0x02);
  assertEquals(run(encodeTunnelRequest(3, 0x5600, new Uint8Array(0))), 0x02);
  assertEquals(m.switchCciMailboxSync!("swcci0", 0x4800, new Uint8Array(2)).rc, 0x03);
});

Deno.test("a switch CCI target naming an earlier type-3, downstream port or backend is of the wrong type; a later device is not found", () => {
  const at = (v: string) => `qemu-system-x86_64: -device ${v}: `;
  const cci = (t: string) => `cxl-switch-mailbox-cci,bus=rp0,addr=0.1,target=${t}`;
  const below = [
    "-device",
    "cxl-downstream,port=2,bus=us0,id=swport0,chassis=0,slot=4",
    "-device",
    "cxl-type3,bus=swport0,id=cxl-vmem0,num-dc-regions=2,volatile-dc-memdev=vmem0",
  ];
  const wrongType = "Invalid parameter type for 'target', expected: cxl-upstream";
  for (const t of ["cxl-vmem0", "swport0", "vmem0", "/machine/peripheral/cxl-vmem0", "cxl.1"]) {
    assertEquals(
      startupError([...SWITCH_BASE, ...below, "-device", cci(t)]),
      `${at(cci(t))}${wrongType}`,
      t,
    );
  }
  assertEquals(
    startupError([...SWITCH_BASE, "-device", cci("cxl-vmem0"), ...below]),
    `${at(cci("cxl-vmem0"))}Device 'cxl-vmem0' not found`,
  );
  const byPath = createMachine([
    ...SWITCH_BASE,
    ...below,
    "-device",
    `${cci("/machine/peripheral/us0")},id=swcci0`,
  ], { profile: QEMU_11_1 });
  assertEquals(byPath.switchCciOf!("cxl-vmem0"), "swcci0");
});

Deno.test("the switch CCI answers Identify, Identify Switch Device and Get Physical Port State from its ports", () => {
  const m = createMachine([
    ...SWITCH_MACHINE.map((a) => a.replace("cxl-upstream,port=33,", "cxl-upstream,port=33,sn=5,")),
    "-device",
    "cxl-downstream,port=9,bus=us0,id=swport1,chassis=0,slot=5",
  ], { profile: QEMU_11_1 });
  const run = (op: number, hex = "") =>
    m.switchCciMailboxSync!(
      "swcci0",
      op,
      Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16)),
    );
  const hexOf = (r: { rc: number; payload: Uint8Array }) =>
    `${r.rc}:${[...r.payload].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  assertEquals(hexOf(run(0x0001)), "0:e51928a10000000005000000000000000b00");
  const id = run(0x5100).payload;
  assertEquals([id[2], id[3], id[4], id[5], id[8], id[0x24], id[0x44], id[0x46], id[0x48]], [
    3,
    1,
    0x04,
    0x02,
    0x02,
    1,
    3,
    3,
    4,
  ]);
  assertEquals(
    hexOf(run(0x5101, "03020921")),
    "0:03000000" + "02030300050610103f06050700020003" + "09030000000610103f06060700020003" +
      "21040000000210101f05050700020000",
  );
  assertEquals(run(0x5101, "0105").rc, 0x02, "no such port");
  assertEquals(run(0x5101, "80").rc, 0x02, "128 ports do not fit 2048 bytes");
  assertEquals(
    run(0x0401, "0da9c0b5bf414b788f7996b1623b3f17" + "05000000" + "08000000").payload,
    Uint8Array.of(0, 4, 0, 0, 1, 4, 0, 0),
  );
  assertEquals(run(0x0300).rc, 0x03, "QEMU aborts here; the model answers Unsupported");
});

Deno.test("FM-API commands reach a 10.0 device but it has none of them", () => {
  const m = createMachine(SWITCH_MACHINE, { profile: QEMU_10_0 });
  assertEquals(m.fmSync!("cxl-vmem0", 0x5600, new Uint8Array(0)).rc, 0x03);
});

Deno.test("a device not below a switch has no FM path, and says what it needs", () => {
  const m = createMachine([
    ...SWITCH_BASE.slice(0, 10),
    "-device",
    "cxl-type3,bus=rp0,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0",
  ], { profile: QEMU_11_1 });
  throws(
    () => m.fmSync!("cxl-vmem0", 0x5600, new Uint8Array(0)),
    /has no FM path: expected it below a cxl-downstream/,
  );
});
