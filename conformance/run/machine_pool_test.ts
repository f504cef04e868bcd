import assert from "node:assert/strict";
import type { FixtureFile } from "../loader.ts";
import { fakeTarget } from "../testdata/fake_target.ts";
import { parseTranscript } from "../transcript/parse.ts";
import { formatFailure } from "../report/failure.ts";
import { formatSummaryTable } from "../report/summary.ts";
import { MachinePool, ownMachineReason } from "./machine_pool.ts";
import { runSuite } from "./scheduling.ts";
import { SpareMachines } from "./spare_machines.ts";

function fx(name: string, text: string): FixtureFile {
  return { path: `/x/${name}`, name, transcript: parseTranscript(text, name) };
}

const QMP_ONLY = '# title: q\n-> {"execute": "query-name"}\n<- {"return": {}}\n';
const CHANGES = "# title: c\n# endpoint: changes\n" +
  '-> {"execute": "stop"}\n<- {"return": {}}\n';
const HOST = "# title: h\n=> cxl-vmem0 identify {}\n<= SUCCESS {}\n";
const OTHER_MACHINE = '# title: o\n# machine: -machine none\n-> {"execute": "query-name"}\n' +
  '<- {"return": {}}\n';
const FAILS = '# title: f\n-> {"execute": "query-name"}\n<- {"return": {"name": "x"}}\n';

function t(text: string) {
  return parseTranscript(text, "t.qmp");
}

const respond = (line: string) => line.includes("query-name") ? [{ return: {} }] : [{ return: {} }];

Deno.test("a fixture shares a machine only with QMP steps, no endpoint mark and no start-up error", () => {
  assert.equal(ownMachineReason(t(QMP_ONLY)), undefined);
  assert.match(ownMachineReason(t(CHANGES)) ?? "", /endpoint: changes/);
  assert.match(ownMachineReason(t(HOST)) ?? "", /mailbox steps/);
  assert.match(
    ownMachineReason(t("# title: s\n!startup-error qemu: bad\n")) ?? "",
    /start-up error/,
  );
});

Deno.test("fixtures that share run one after the other on one renewed machine", async () => {
  const target = fakeTarget({ costly: true, respond });
  const pool = new MachinePool(target);
  const a = await pool.acquire(["-M", "q35"], true);
  assert.deepEqual(a.earlier, []);
  await pool.release(a.instance, "a.qmp", true);
  const b = await pool.acquire(["-M", "q35"], true);
  assert.equal(b.instance, a.instance);
  assert.deepEqual(b.earlier, ["a.qmp"]);
  await pool.release(b.instance, "b.qmp", true);
  const c = await pool.acquire(["-M", "q35"], true);
  assert.deepEqual(c.earlier, ["a.qmp", "b.qmp"]);
  await pool.release(c.instance, "c.qmp", true);
  await pool.drain();
  assert.deepEqual(
    { started: target.stats.started, renewed: target.stats.renewed, closed: target.stats.closed },
    { started: 1, renewed: 2, closed: 1 },
  );
  assert.deepEqual({ starts: pool.starts, reuses: pool.reuses }, { starts: 1, reuses: 2 });
});

Deno.test("a machine a fixture failed on, or that does not renew, is closed and the next starts afresh", async () => {
  const target = fakeTarget({ costly: true, respond });
  const pool = new MachinePool(target);
  const a = await pool.acquire(["-M", "q35"], true);
  await pool.release(a.instance, "a.qmp", false); // failed
  assert.equal(target.stats.closed, 1);
  const b = await pool.acquire(["-M", "q35"], true);
  assert.notEqual(b.instance, a.instance);
  assert.deepEqual(b.earlier, []);
  await pool.release(b.instance, "b.qmp", true);
  await pool.drain();

  const stale = fakeTarget({ costly: true, respond, renewFails: true });
  const p2 = new MachinePool(stale);
  const c = await p2.acquire(["-M", "q35"], true);
  await p2.release(c.instance, "c.qmp", true);
  const d = await p2.acquire(["-M", "q35"], true);
  assert.notEqual(d.instance, c.instance, "a machine that did not greet again is not reused");
  assert.equal(stale.stats.closed, 1);
  await p2.release(d.instance, "d.qmp", false);
  assert.equal(stale.stats.closed, 2);
});

Deno.test("a kept machine serves only the same machine description, and fixtures of their own never take it", async () => {
  const target = fakeTarget({ costly: true, respond });
  const pool = new MachinePool(target);
  const a = await pool.acquire(["-M", "q35"], true);
  await pool.release(a.instance, "a.qmp", true);
  const own = await pool.acquire(["-M", "q35"], false);
  assert.notEqual(own.instance, a.instance);
  await pool.release(own.instance, "own.qmp", false);
  const again = await pool.acquire(["-M", "q35"], true);
  assert.equal(again.instance, a.instance, "the kept machine waited for the next sharing fixture");
  await pool.release(again.instance, "b.qmp", true);
  const other = await pool.acquire(["-M", "none"], true);
  assert.notEqual(other.instance, a.instance);
  assert.equal(
    target.stats.closed,
    2,
    "the kept q35 machine closed when a none machine took its place",
  );
  await pool.release(other.instance, "c.qmp", true);
  await pool.drain();
  assert.equal(target.stats.closed, 3);
});

Deno.test("a spare is handed out only for its own arguments, and one not taken is closed", async () => {
  const target = fakeTarget({ costly: true, respond });
  const spares = new SpareMachines(target);
  spares.prepare(["-M", "q35"]);
  spares.prepare(["-M", "q35"]); // already there: not started twice
  assert.equal(target.stats.started, 1);
  assert.equal(spares.take(["-M", "none"]), undefined);
  const got = await spares.take(["-M", "q35"]);
  assert.ok(got !== undefined);
  assert.equal(spares.take(["-M", "q35"]), undefined, "taken once");
  spares.prepare(["-M", "q35"]);
  spares.prepare(["-M", "none"]); // replaces the q35 spare, which is closed
  await spares.drain(); // closes the none spare and waits for the q35 one's close
  assert.equal(target.stats.closed, 2);
  assert.deepEqual({ taken: spares.taken, wasted: spares.wasted }, { taken: 1, wasted: 2 });
  await got.close();

  const failing = fakeTarget({ costly: true, startupError: "qemu: bad" });
  const never = new SpareMachines(failing);
  never.prepare(["-M", "q35"]);
  await never.drain();
  assert.equal(never.wasted, 0, "a spare that never started is not counted as a machine");
});

Deno.test("a fixture timing out while its kept machine renews or its spare starts leaves no machine behind", async () => {
  for (const slow of [{ renewDelayMs: 300 }, { startDelayMs: 150 }]) {
    const target = fakeTarget({ costly: true, respond, ...slow });
    const fixtures = "renewDelayMs" in slow
      ? [fx("a.qmp", QMP_ONLY), fx("b.qmp", QMP_ONLY)] // b waits on a's machine renewing
      : [fx("a-changes.qmp", CHANGES), fx("b-changes.qmp", CHANGES)]; // b takes a's spare
    const suite = await runSuite(fixtures, [{ target, jobs: 1 }], { fixtureTimeoutMs: 100 });
    assert.equal(suite.results[1]!.outcome, "failed", JSON.stringify(slow));
    assert.match(suite.results[1]!.failure?.message ?? "", /did not finish within 100 ms/);
    await new Promise((r) => setTimeout(r, 400)); // the late renewal or start settles
    assert.equal(
      target.stats.closed,
      target.stats.started,
      `${JSON.stringify(slow)}: ${target.stats.started} started, ${target.stats.closed} closed`,
    );
  }
});

Deno.test("a suite on a target with costly starts shares machines and counts them; --isolate starts one per fixture", async () => {
  const fixtures = [
    fx("a.qmp", QMP_ONLY),
    fx("b-changes.qmp", CHANGES),
    fx("c.qmp", QMP_ONLY),
    fx("d-other.qmp", OTHER_MACHINE),
    fx("e.qmp", QMP_ONLY),
    fx("f-host.qmp", HOST),
  ];
  const shared = fakeTarget({ costly: true, respond });
  const suite = await runSuite(fixtures, [{ target: shared, jobs: 1 }]);
  assert.equal(suite.ok, true, JSON.stringify(suite.results.map((r) => r.failure)));
  assert.deepEqual(
    suite.results.map((r) => r.fixture),
    fixtures.map((f) => f.name),
    "results in fixture order",
  );
  // a, c, e share one machine; b, d and f start their own (b and f with a spare started ahead).
  assert.equal(shared.stats.renewed, 2);
  assert.equal(shared.stats.started, 4);
  assert.equal(shared.stats.closed, shared.stats.started, "every machine closed at the end");
  assert.deepEqual(suite.summaries[0]!.machines, { started: 4, reused: 2 });
  assert.match(
    formatSummaryTable(suite),
    /machines on fake\[seed\]: 4 started; 2 fixture\(s\) ran/,
  );

  const isolated = fakeTarget({ costly: true, respond });
  const alone = await runSuite(fixtures, [{ target: isolated, jobs: 1 }], { isolate: true });
  assert.equal(alone.ok, true);
  assert.deepEqual({ started: isolated.stats.started, renewed: isolated.stats.renewed }, {
    started: 6,
    renewed: 0,
  });
  assert.equal(alone.summaries[0]!.machines, undefined);

  const cheap = fakeTarget({ respond });
  await runSuite(fixtures, [{ target: cheap, jobs: 1 }]);
  assert.equal(cheap.stats.started, 6, "targets with cheap starts are not pooled");
});

Deno.test("a failure on a reused machine names the fixtures that ran on it before, and the next fixture gets a fresh machine", async () => {
  const fixtures = [fx("a.qmp", QMP_ONLY), fx("b.qmp", QMP_ONLY), fx("c-fails.qmp", FAILS)];
  fixtures.push(fx("d.qmp", QMP_ONLY));
  const target = fakeTarget({ costly: true, respond });
  const suite = await runSuite(fixtures, [{ target, jobs: 1 }]);
  const failed = suite.results.find((r) => r.fixture === "c-fails.qmp")!;
  assert.equal(failed.outcome, "failed");
  assert.deepEqual(failed.failure?.sharedAfter, ["a.qmp", "b.qmp"]);
  assert.match(
    formatFailure(failed),
    /machine: {2}reused: 2 fixture\(s\) ran on it before, the last b\.qmp \(conform --isolate gives each fixture its own\)/,
  );
  assert.equal(suite.results.find((r) => r.fixture === "d.qmp")!.outcome, "passed");
  assert.equal(target.stats.started, 2, "d.qmp ran on a new machine");
  assert.equal(target.stats.closed, 2);
});
