/**
 * Micro-benchmarks of the model (`deno bench bench/model_bench.ts`): one
 * QMP command through `machine.execute`, one mailbox command through
 * `machine.mailboxSync`, a full add/accept/release cycle, and building a
 * machine.
 *
 * @module
 */

import { createMachine } from "../model/mod.ts";
import { QEMU_10_0, SEED, withDcd } from "../model/profile.ts";
import type { QmpObject } from "../model/qmp_value.ts";
import { BLOCK, dcdMachine, DEVICE_ID, DEVICE_PATH } from "./machines.ts";

const machine = createMachine(dcdMachine("2G"), { profile: QEMU_10_0 });
const addArgs = (offset: number): QmpObject => ({
  path: DEVICE_PATH,
  "host-id": 0,
  "selection-policy": "prescriptive",
  region: 0,
  extents: [{ offset, len: BLOCK }],
});
const releaseArgs = (offset: number): QmpObject => ({
  path: DEVICE_PATH,
  "host-id": 0,
  "removal-policy": "prescriptive",
  region: 0,
  extents: [{ offset, len: BLOCK }],
});

function update(dpa: number): Uint8Array {
  const p = new Uint8Array(32);
  const v = new DataView(p.buffer);
  v.setUint32(0, 1, true);
  v.setBigUint64(8, BigInt(dpa), true);
  v.setBigUint64(16, BigInt(BLOCK), true);
  return p;
}

Deno.bench("execute: query-version", { group: "qmp" }, () => {
  machine.execute("query-version", undefined);
});

Deno.bench("execute: query-commands", { group: "qmp" }, () => {
  machine.execute("query-commands", undefined);
});

const pendingMachine = createMachine(dcdMachine("2G"), { profile: QEMU_10_0 });
pendingMachine.execute("cxl-add-dynamic-capacity", addArgs(0));
Deno.bench("execute: add refused (still pending)", { group: "qmp" }, () => {
  pendingMachine.execute("cxl-add-dynamic-capacity", addArgs(0));
});

const listPayload = new Uint8Array([50, 0, 0, 0, 0, 0, 0, 0]);
Deno.bench("mailboxSync: 0x4801 extent list (empty)", { group: "mailbox" }, () => {
  machine.mailboxSync(DEVICE_ID, 0x4801, listPayload);
});

Deno.bench("mailboxSync: 0x4800 DC configuration", { group: "mailbox" }, () => {
  machine.mailboxSync(DEVICE_ID, 0x4800, new Uint8Array([1, 0]));
});

const cycleMachine = createMachine(dcdMachine("1T"), {
  profile: withDcd(SEED, { maxExtents: 1 << 20 }),
});
let slot = 0;
Deno.bench("cycle: QMP add, accept, QMP release, host release (one extent)", () => {
  const off = (slot++ % 4096) * BLOCK;
  cycleMachine.execute("cxl-add-dynamic-capacity", addArgs(off));
  cycleMachine.mailboxSync(DEVICE_ID, 0x4802, update(off));
  cycleMachine.execute("cxl-release-dynamic-capacity", releaseArgs(off));
  cycleMachine.mailboxSync(DEVICE_ID, 0x4803, update(off));
});

Deno.bench("createMachine: dcd-1x2g", { group: "build" }, () => {
  createMachine(dcdMachine("2G"), { profile: QEMU_10_0 });
});

Deno.bench("createMachine: dcd with a 1 TiB backend", { group: "build" }, () => {
  createMachine(dcdMachine("1T"), { profile: QEMU_10_0 });
});
