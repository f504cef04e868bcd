/**
 * The accept host drives real QEMU 10.0.2 (mailbox over qtest) and the model
 * identically: the same mailbox exchanges, byte for byte. Skips loudly when
 * the QEMU binary is absent (QEMU_BINARY overrides the path).
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { HostInterface, MailboxReply } from "../model/host_interface.ts";
import type { QmpObject, QmpValue } from "../model/qmp_value.ts";
import { createMachine } from "../model/mod.ts";
import { QEMU_10_0 } from "../model/profile.ts";
import { launchQemu } from "../conformance/qemu/launcher.ts";
import { availableQemu } from "../conformance/qemu/test_util.ts";
import { acceptAll } from "./host_accept.ts";
import { toHex } from "./extension.ts";
import { addArgs, DCD_MACHINE, releaseArgs } from "./testing/machines.ts";

const MiB = 1024 * 1024;

function recording(host: HostInterface, log: string[]): HostInterface {
  return {
    async mailbox(opcode: number, payload: Uint8Array): Promise<MailboxReply> {
      const r = await host.mailbox(opcode, payload);
      log.push(`${opcode.toString(16)} ${toHex(payload)} -> ${r.rc} ${toHex(r.payload)}`);
      return r;
    },
  };
}

/** Offers, accepts, releases and lists; returns every mailbox exchange. */
async function scenario(
  host: HostInterface,
  qmp: (c: string, a: QmpObject) => Promise<QmpValue>,
): Promise<string[]> {
  const log: string[] = [];
  const h = recording(host, log);
  await qmp("cxl-add-dynamic-capacity", addArgs([[0, 128 * MiB], [256 * MiB, 64 * MiB]]));
  await qmp("cxl-add-dynamic-capacity", addArgs([[512 * MiB, 2 * MiB]]));
  await acceptAll(h);
  await qmp("cxl-release-dynamic-capacity", releaseArgs([[16 * MiB, 16 * MiB]]));
  await acceptAll(h);
  const ten: [number, number][] = Array.from(
    { length: 10 },
    (_, i) => [1024 * MiB + i * 4 * MiB, 2 * MiB],
  );
  await qmp("cxl-add-dynamic-capacity", addArgs(ten));
  await acceptAll(h);
  const list = new Uint8Array(8);
  new DataView(list.buffer).setUint32(0, 50, true);
  await h.mailbox(0x4801, list);
  return log;
}

Deno.test("the accept host makes the same mailbox exchanges on real QEMU 10.0.2 and on the model", async () => {
  const binary = availableQemu();
  if (binary === undefined) {
    console.warn("SKIPPED: no QEMU binary (set QEMU_BINARY) for the accept-host comparison");
    return;
  }
  const q = await launchQemu(DCD_MACHINE, { binary });
  let real: string[];
  try {
    await q.qmp.negotiate();
    real = await scenario(q.host("cxl-vmem0"), (c, a) => q.qmp.execute(c, a));
  } finally {
    await q.close();
  }
  const m = createMachine(DCD_MACHINE, { profile: QEMU_10_0 });
  const model = await scenario(m.host("cxl-vmem0"), (c, a) => {
    const r = m.execute(c, a);
    if ("error" in r) return Promise.reject(new Error(r.error.desc));
    return Promise.resolve(r.return);
  });
  assertEquals(model, real);
  assertEquals(real.length > 8, true, `a full scenario ran (${real.length} exchanges)`);
  assertEquals(
    real.some((l) => l.startsWith("4802 ") && l.endsWith("-> 0 ")),
    true,
    "offers were accepted",
  );
});
