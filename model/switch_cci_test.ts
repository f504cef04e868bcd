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
  assertEquals(m.switchCciMailboxSync!("swcci0", 0x0001, new Uint8Array(0)).rc, 0x03);
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
