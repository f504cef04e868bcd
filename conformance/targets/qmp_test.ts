import assert from "node:assert/strict";
import { availableQemu } from "../qemu/test_util.ts";
import { loadFixtures } from "../loader.ts";
import { DEFAULT_MACHINES_DIR, MachinePresets } from "../machines.ts";
import { runSuite } from "../runner.ts";
import { qmpEndpointAddress, qmpTarget } from "./qmp.ts";

const qemu = availableQemu("the qmp target tests");

Deno.test({
  name: "the qmp:ADDR target runs QMP fixtures on a running QEMU and skips what it cannot do",
  ignore: qemu === undefined,
  async fn() {
    const dir = await Deno.makeTempDir();
    const sock = `${dir}/qmp.sock`;
    const args = await new MachinePresets(DEFAULT_MACHINES_DIR).preset("dcd-1x2g");
    const child = new Deno.Command(qemu!, {
      args: ["-display", "none", "-nodefaults", ...args, "-qmp", `unix:${sock},server=on,wait=off`],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const fixturesDir = new URL("../../fixtures", import.meta.url).pathname;
      const fixtures = await loadFixtures([
        `${fixturesDir}/protocol/query-version.qmp`,
        `${fixturesDir}/protocol/unknown-command.qmp`,
        `${fixturesDir}/host/dc-config-one-region.qmp`,
      ], fixturesDir);
      const target = qmpTarget(`unix:${sock}`, { connectTimeoutMs: 10_000 });
      const suite = await runSuite(fixtures, [{ target }]);
      const byName = new Map(suite.results.map((r) => [r.fixture, r]));
      assert.equal(
        byName.get("protocol/query-version.qmp")?.outcome,
        "passed",
        JSON.stringify(suite),
      );
      assert.equal(byName.get("protocol/unknown-command.qmp")?.outcome, "passed");
      const host = byName.get("host/dc-config-one-region.qmp");
      assert.equal(host?.outcome, "skipped");
      assert.match(host!.reason!, /host/);
      assert.equal(suite.summaries[0]!.target, `qmp:unix:${sock}[qemu-10.0]`);
    } finally {
      child.kill("SIGKILL");
      await child.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("qmp:HOST:PORT, as --help documents it, names a TCP endpoint", () => {
  assert.equal(qmpEndpointAddress("localhost:4444"), "tcp:localhost:4444");
  assert.equal(qmpEndpointAddress("[::1]:4444"), "tcp:[::1]:4444");
  assert.equal(qmpEndpointAddress("tcp:127.0.0.1:1"), "tcp:127.0.0.1:1");
  assert.equal(qmpEndpointAddress("unix:/tmp/a:1"), "unix:/tmp/a:1");
  assert.equal(qmpTarget("127.0.0.1:4444").name, "qmp:tcp:127.0.0.1:4444");
});
