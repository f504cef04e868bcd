import assert from "node:assert/strict";
import { createMachine } from "../../model/mod.ts";
import { profileByName } from "../../model/profile.ts";
import { QmpServer } from "../../qmp/server.ts";
import type { FixtureFile } from "../loader.ts";
import { loadFixtures } from "../loader.ts";
import { DEFAULT_MACHINES_DIR, MachinePresets } from "../machines.ts";
import { runSuite } from "../runner.ts";
import { parseTranscript } from "../transcript/parse.ts";
import { qmpTarget } from "./qmp.ts";

const FIXTURES = new URL("../../fixtures", import.meta.url).pathname;

/** A served model on a private unix socket that goes away when a client quits, as QEMU does. */
async function servedModel(): Promise<{ address: string; close(): Promise<void> }> {
  const args = await new MachinePresets(DEFAULT_MACHINES_DIR).preset("dcd-1x2g");
  const machine = createMachine(args, { profile: profileByName("qemu-10.0") });
  const dir = await Deno.makeTempDir({ prefix: "cxl-endpoint-test-" });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= server.close());
  const server: QmpServer = await QmpServer.listen({
    machine,
    listen: [`unix:${dir}/qmp.sock`],
    concurrentClients: false,
    onQuit: () => void close(),
  });
  return {
    address: `unix:${dir}/qmp.sock`,
    async close() {
      await close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

function fx(name: string, text: string): FixtureFile {
  return { path: `/x/${name}`, name, transcript: parseTranscript(text, name) };
}

const STATUS = `# title: status
-> {"execute": "query-status"}
<- {"return": {"status": "running", "running": true}}
`;

Deno.test("fixtures that end or change their machine are skipped on a shared qmp: endpoint, with the reason", async () => {
  const served = await servedModel();
  try {
    const fixtures = await loadFixtures([
      `${FIXTURES}/protocol/quit-event.qmp`,
      `${FIXTURES}/upstream/add/add-one-extent.qmp`,
      `${FIXTURES}/protocol/query-version.qmp`,
    ], FIXTURES);
    const suite = await runSuite(fixtures, [{ target: qmpTarget(served.address) }]);
    const by = new Map(suite.results.map((r) => [r.fixture, r]));
    assert.equal(by.get("protocol/quit-event.qmp")!.outcome, "skipped");
    assert.match(by.get("protocol/quit-event.qmp")!.reason!, /endpoint: ends/);
    assert.equal(by.get("upstream/add/add-one-extent.qmp")!.outcome, "skipped");
    assert.match(by.get("upstream/add/add-one-extent.qmp")!.reason!, /endpoint: changes/);
    assert.equal(by.get("protocol/query-version.qmp")!.outcome, "passed");
    assert.ok(suite.ok, JSON.stringify(suite.results));
  } finally {
    await served.close();
  }
});

Deno.test("a dead endpoint stops the run at once with one message instead of failing every later fixture", async () => {
  const served = await servedModel();
  try {
    // Not marked 'endpoint: ends': it takes the endpoint down mid-run.
    const killer = fx(
      "killer.qmp",
      '# title: q\n-> {"execute": "quit"}\n<-* [{"return": {}}, {"timestamp": "$timestamp", "event": "SHUTDOWN", "data": "$any"}]\n',
    );
    const later = Array.from({ length: 8 }, (_, k) => fx(`later-${k}.qmp`, STATUS));
    const t0 = performance.now();
    const suite = await runSuite([fx("first.qmp", STATUS), killer, ...later], [{
      target: qmpTarget(served.address),
    }]);
    const ms = performance.now() - t0;
    assert.ok(ms < 4000, `stopped within one connection timeout, took ${Math.round(ms)} ms`);
    const outcomes = suite.results.map((r) => r.outcome);
    assert.equal(outcomes[0], "passed");
    assert.equal(outcomes[1], "passed", JSON.stringify(suite.results[1]));
    assert.equal(outcomes[2], "failed", "the first fixture after the death fails");
    assert.deepEqual(outcomes.slice(3), new Array(7).fill("skipped"));
    const s = suite.summaries[0]!;
    assert.match(s.stopped!, /^the QMP endpoint unix:.* no longer answers/);
    assert.ok(suite.results.slice(3).every((r) => r.reason === `not run: ${s.stopped}`));
    assert.equal(suite.ok, false);
  } finally {
    await served.close();
  }
});
