import { deepStrictEqual as assertEquals, ok } from "node:assert";
import type { QmpObject } from "../../model/qmp_value.ts";
import { launchQemu } from "./launcher.ts";
import { availableQemu, DCD_1X2G, exists, runningSpawned } from "./test_util.ts";

const binary = availableQemu();

Deno.test({
  name: "QEMU smoke: seed topology starts, greets, negotiates, answers query-version, quits",
  ignore: binary === undefined,
  async fn() {
    const t0 = performance.now();
    const q = await launchQemu(DCD_1X2G, { binary: binary as string });
    const qmpSocket = `${q.process.dir}/qmp.sock`;
    try {
      const greeting = q.qmp.greeting["QMP"] as QmpObject;
      const version = (greeting["version"] as QmpObject)["qemu"] as QmpObject;
      ok(typeof version["major"] === "number", "the greeting carries the QEMU version");
      ok(exists(qmpSocket), "the QMP socket exists while QEMU runs");
      await q.qmp.negotiate();
      const reply = await q.qmp.execute("query-version") as QmpObject;
      assertEquals(reply["qemu"], version);
      q.process.expectExit();
      await q.qmp.execute("quit");
      const exit = await q.process.status;
      assertEquals(exit.code, 0);
      assertEquals(exit.signal, null);
      ok(!exists(qmpSocket), "QEMU removed its QMP socket when it quit");
      console.log(`smoke: start to quit in ${(performance.now() - t0).toFixed(0)} ms`);
    } finally {
      await q.close();
    }
    ok(!exists(q.process.dir), "the private socket directory is gone");
    assertEquals(runningSpawned(), []);
  },
});
