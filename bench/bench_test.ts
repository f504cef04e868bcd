import { deepStrictEqual as assertEquals, ok, throws } from "node:assert";
import { availableQemu } from "../conformance/qemu/test_util.ts";
import { modelTarget } from "../conformance/targets/model.ts";
import type { BenchResult } from "./driver.ts";
import { runBench } from "./driver.ts";
import { main } from "./main.ts";
import { README_MARKERS, renderMarkdown, renderReadmeTable, updateReadme } from "./report.ts";
import type { SampleStats } from "./stats.ts";
import { spread, timedTarget } from "./suite.ts";

function finite(x: number, what: string): void {
  ok(Number.isFinite(x), `${what} is ${x}: expected a finite number`);
}

function finiteStats(s: SampleStats, what: string): void {
  for (const k of ["mean", "median", "p99", "min", "max"] as const) finite(s[k], `${what}.${k}`);
  ok(s.n > 0, `${what}.n is ${s.n}: expected samples`);
}

// availableQemu() warns loudly when the binary is absent: the QEMU rows are
// then expected to be marked "QEMU not found".
const qemuPresent = availableQemu() !== undefined;

Deno.test("--quick run through the CLI yields every part with finite numbers and writes nothing", async () => {
  let result: BenchResult | undefined;
  let text = "";
  const progress: string[] = [];
  const status = await main(["--quick", "--no-write"], {
    stdout: (t) => text += t,
    stderr: (l) => progress.push(l),
    onResult: (r) => result = r,
  });
  assertEquals(status, 0);
  ok(result !== undefined, "the result was handed over");
  const r = result;
  assertEquals(r.quick, true);
  // The load on the machine is part of the result (Linux has /proc/loadavg).
  for (const x of [r.system.loadStart, r.system.loadEnd]) {
    ok(x === null || Number.isFinite(x), `load average ${x}: expected a number or null`);
  }
  if (Deno.build.os === "linux") ok(r.system.loadEnd !== null, "the load at the end is read");
  assertEquals(r.qemuAvailable, qemuPresent);
  assertEquals(r.modelScale.rows.map((x) => x.extents), [10, 100, 512]);
  for (const x of r.modelScale.rows) {
    for (
      const k of [
        "qmpAddUs",
        "acceptUs",
        "qmpReleaseUs",
        "hostReleaseUs",
        "cycleUs",
        "totalMs",
      ] as const
    ) {
      finite(x[k], `scale ${x.extents}.${k}`);
    }
  }
  finite(r.modelScale.overallGrowthPerTenfold ?? NaN, "overall growth");
  assertEquals(r.memory.rows.length, 4);
  for (const m of r.memory.rows) finite(m.bytesPerMachine, m.label);
  assertEquals(r.wire.rows.map((w) => w.name.split(":")[0]), [
    "start-up",
    "start-up",
    "QMP round trip",
    "QMP round trip",
    "QMP round trip",
  ]);
  // The --from-source start-up is shown, not a goal (the first start after a change).
  assertEquals(r.wire.rows.map((w) => w.goal), [true, false, true, true, true]);
  assertEquals(
    r.goals.filter((g) => g.goal.includes("start-up: spawn to QMP ready")).length,
    1,
    "one served start-up goal",
  );
  for (const w of r.wire.rows) {
    finiteStats(w.model, `${w.name} model`);
    if (qemuPresent) {
      finiteStats(w.qemu!, `${w.name} qemu`);
      finite(w.ratioMedian!, `${w.name} ratio`);
    } else assertEquals(w.qemu, null);
  }
  finiteStats(r.wire.denoStartup, "deno start-up");
  const targets = r.suite.map((s) => `${s.target}/${s.jobs}`);
  ok(targets.includes("model[seed]/1") && targets.includes("model-socket[qemu-10.0]/1"));
  // QEMU: firmware-free and SeaBIOS bring-up, 1 worker isolated and 2 workers both ways each.
  assertEquals(
    r.suite.filter((s) => s.target.startsWith("qemu[")).map((s) =>
      `${s.bringup}/${s.jobs}/${s.machines}`
    ),
    qemuPresent
      ? [
        "direct/1/isolated",
        "direct/2/isolated",
        "direct/2/shared",
        "firmware/1/isolated",
        "firmware/2/isolated",
        "firmware/2/shared",
      ]
      : [],
  );
  for (const s of r.suite.filter((s) => s.machines === "shared")) {
    ok(s.started !== undefined && s.started.machines > 0, `${s.target}: machines counted`);
  }
  assertEquals(r.bringup.rows.map((x) => x.bringup), qemuPresent ? ["direct", "firmware"] : []);
  for (const x of r.bringup.rows) finiteStats(x.ready, `bring-up ${x.bringup}`);
  if (qemuPresent) finite(r.bringup.ratioMedian ?? NaN, "bring-up ratio");
  for (const s of r.suite) {
    finite(s.wallMs, `${s.target} wall`);
    assertEquals(s.failed, 0, `${s.target} had failures`);
    ok(s.ran > 0, `${s.target} ran no fixture`);
  }
  ok(r.goals.length >= 10 && r.goals.every((g) => g.goal !== "" && g.measured !== ""));
  ok(r.goals.some((g) => g.goal.startsWith("QEMU start-up to device ready")));
  const table = renderReadmeTable(r);
  ok(r.goals.every((g) => table.includes(g.goal)), "the README table lists every goal");
  ok(text.includes("## Served model vs real QEMU"), "the Markdown went to stdout");
  ok(progress.some((l) => l.startsWith("bench: model scale:")), "progress went to stderr");
});

Deno.test("an absent QEMU binary leaves QEMU rows out, marked 'QEMU not found'", async () => {
  const r = await runBench({ quick: true, sizes: [10, 100], qemuBinary: "/nonexistent/qemu" });
  assertEquals(r.qemuAvailable, false);
  assertEquals(r.system.qemu, "QEMU not found");
  ok(r.wire.rows.every((w) => w.qemu === null && w.ratioMedian === null));
  ok(r.suite.every((s) => !s.target.startsWith("qemu")));
  ok(renderMarkdown(r).includes("QEMU not found"));
  ok(r.goals.filter((g) => g.goal.startsWith("served model")).every((g) => g.met === null));
});

Deno.test("--help prints the usage and unknown options are a usage error", async () => {
  let text = "";
  assertEquals(await main(["--help"], { stdout: (t) => text += t }), 0);
  ok(text.includes("--quick") && text.includes("--qemu PATH"));
  const errors: string[] = [];
  assertEquals(await main(["--bogus"], { stderr: (l) => errors.push(l) }), 2);
  ok(errors[0]?.includes("--bogus"), `error names the option: ${errors[0]}`);
});

Deno.test("spread picks evenly spaced items and keeps all when the limit is not below the count", () => {
  assertEquals(spread([0, 1, 2, 3, 4, 5, 6, 7], 4), [0, 2, 4, 6]);
  assertEquals(spread([1, 2], 5), [1, 2]);
  assertEquals(spread([1, 2], undefined), [1, 2]);
});

Deno.test("timedTarget counts starts and charges time to start, replies and close", async () => {
  const { target, times } = timedTarget(modelTarget());
  const inst = await target.start(["-machine", "q35"]);
  await inst.qmp.sendRaw('{"execute": "qmp_capabilities"}\n');
  await inst.qmp.receive(1000);
  await inst.close();
  assertEquals(times.starts, 1);
  ok(times.startMs > 0 && times.answeredMs >= 0 && times.closeMs >= 0);
});

Deno.test("the README's benchmark table is replaced between its markers, and missing markers are refused", () => {
  const { begin, end } = README_MARKERS;
  const readme = `# X\n\n${begin}\nold table\n${end}\n\nafter\n`;
  assertEquals(updateReadme(readme, "| new |"), `# X\n\n${begin}\n| new |\n${end}\n\nafter\n`);
  assertEquals(updateReadme(updateReadme(readme, "a"), "b"), updateReadme(readme, "b"));
  throws(() => updateReadme("# no markers\n", "t"), /expected the lines '<!-- bench:begin/);
});

Deno.test("the repository README has the benchmark markers deno task bench writes between", () => {
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  ok(readme.includes(README_MARKERS.begin) && readme.includes(README_MARKERS.end));
});
