import { deepStrictEqual as assertEquals, ok } from "node:assert";
import { qemuTarget } from "./qemu.ts";
import { availableQemu, DCD_1X2G, runningSpawned } from "../qemu/test_util.ts";

const binary = availableQemu();

Deno.test({
  name: "the qemu target detects stock QEMU 10.0 as profile qemu-10.0 and caches it",
  ignore: binary === undefined,
  async fn() {
    const cacheDir = await Deno.makeTempDir();
    try {
      const target = qemuTarget({ binary: binary as string, cacheDir });
      assertEquals(target.name, "qemu");
      const caps = await target.capabilities(DCD_1X2G);
      assertEquals(caps.profile, "qemu-10.0");
      assertEquals([...caps.features].sort(), ["compat-policy", "dcd", "host"]);
      ok(caps.commands.has("cxl-add-dynamic-capacity"));
      ok(!caps.commands.has("cxl-release-dynamic-capacity-status"));
      assertEquals(caps.hostSide, true);
      // A fresh target over the same binary reads the cache instead of launching.
      const t0 = performance.now();
      const again = await qemuTarget({ binary: binary as string, cacheDir }).capabilities([]);
      ok(performance.now() - t0 < 50, "the second detection comes from the cache");
      assertEquals(again, caps);
      assertEquals([...Deno.readDirSync(cacheDir)].length, 1);
    } finally {
      await Deno.remove(cacheDir, { recursive: true });
    }
    assertEquals(runningSpawned(), []);
  },
});

Deno.test({
  name: "the qemu target starts a machine whose host side is the device mailbox",
  ignore: binary === undefined,
  async fn() {
    const instance = await qemuTarget({ binary: binary as string }).start(DCD_1X2G);
    try {
      ok("QMP" in instance.qmp.greeting);
      const reply = await instance.host("cxl-vmem0").mailbox(0x4800, new Uint8Array([8, 0]));
      assertEquals([reply.rc, reply.payload.length], [0, 8 + 0x28 + 16]);
    } finally {
      const exit = await instance.close();
      assertEquals(exit.unexpected, false);
    }
    assertEquals(runningSpawned(), []);
  },
});
