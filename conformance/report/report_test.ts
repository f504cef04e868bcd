import assert from "node:assert/strict";
import type { SuiteResult } from "../runner.ts";
import { parseXml } from "../testdata/xml_check.ts";
import { ConsoleReporter } from "./console.ts";
import { formatJsonReport } from "./json.ts";
import { escapeXml, formatJunit } from "./junit.ts";
import { formatSummaryTable } from "./summary.ts";
import { formatTap } from "./tap.ts";

const SUITE: SuiteResult = {
  ok: false,
  results: [
    {
      fixture: "a.qmp",
      title: "A",
      target: "model[seed]",
      profile: "seed",
      outcome: "passed",
      durationMs: 1,
    },
    {
      fixture: "dir/b <&>.qmp",
      title: "B",
      target: "model[seed]",
      profile: "seed",
      outcome: "failed",
      durationMs: 2,
      failure: {
        file: "dir/b <&>.qmp",
        line: 7,
        message: 'the message differs at $.return["x"]',
        request: '{"execute":"x"}',
        expected: '{"return": 1}',
        actual: '{"return": "<2> & \u0001"}',
        diff: "first difference at $.return\n--- expected\n+++ actual\n- 1\n+ 2",
      },
    },
    {
      fixture: "c.qmp",
      title: "C",
      target: "model[seed]",
      profile: "seed",
      outcome: "skipped",
      reason: "target lacks required feature(s): x # y",
      durationMs: 0,
    },
    {
      fixture: "a.qmp",
      title: "A",
      target: "qemu[qemu-10.0]",
      profile: "qemu-10.0",
      outcome: "expected-failure",
      reason: "segfaults",
      durationMs: 3,
      failure: { file: "a.qmp", line: 2, message: "closed" },
    },
    {
      fixture: "c.qmp",
      title: "C",
      target: "qemu[qemu-10.0]",
      profile: "qemu-10.0",
      outcome: "unexpected-pass",
      reason: "was broken",
      durationMs: 4,
    },
  ],
  summaries: [
    {
      target: "model[seed]",
      profile: "seed",
      passed: 1,
      failed: 1,
      expectedFailures: 0,
      unexpectedPasses: 0,
      skipped: 1,
      skipReasons: { "target lacks required feature(s): x # y": 1 },
      durationMs: 3,
    },
    {
      target: "qemu[qemu-10.0]",
      profile: "qemu-10.0",
      passed: 0,
      failed: 0,
      expectedFailures: 1,
      unexpectedPasses: 1,
      skipped: 0,
      skipReasons: {},
      durationMs: 1500,
    },
  ],
};

Deno.test("JUnit XML is well formed with one testsuite per target and escaped text", () => {
  const xml = formatJunit(SUITE);
  const root = parseXml(xml);
  assert.equal(root.name, "testsuites");
  assert.equal(root.attrs.tests, "5");
  assert.equal(root.attrs.failures, "2");
  assert.deepEqual(root.children.map((c) => c.name), ["testsuite", "testsuite"]);
  const [model, qemu] = root.children;
  assert.equal(model!.attrs.name, "model[seed]");
  // The suite's properties (profile, version, why the profile) come first, then the cases.
  assert.equal(model!.children[0]!.name, "properties");
  assert.deepEqual(
    model!.children[0]!.children.map((p) => p.attrs.name),
    ["profile"],
  );
  const cases = model!.children.slice(1);
  assert.equal(cases.length, 3);
  assert.ok(cases.every((c) => c.name === "testcase"));
  assert.equal(cases[1]!.attrs.name, "dir/b <&>.qmp");
  const failure = cases[1]!.children[0]!;
  assert.equal(failure.name, "failure");
  assert.match(failure.text, /dir\/b <&>\.qmp:7:/);
  assert.equal(cases[2]!.children[0]!.name, "skipped");
  assert.equal(model!.attrs.failures, "1");
  assert.equal(model!.attrs.skipped, "1");
  const qcases = qemu!.children.filter((c) => c.name === "testcase");
  assert.equal(qcases[0]!.children[0]!.name, "skipped");
  assert.equal(qcases[1]!.children[0]!.name, "failure");
  assert.equal(qcases[1]!.children[0]!.attrs.type, "unexpected-pass");
  assert.ok(!xml.includes("\u0001"), "control characters are dropped");
});

Deno.test("the XML checker rejects malformed documents", () => {
  assert.throws(() => parseXml("<a><b></a>"), /expected <\/b>/);
  assert.throws(() => parseXml('<a x="1" x="2"/>'), /duplicate attribute/);
  assert.throws(() => parseXml("<a>&nope;</a>"), /unknown entity/);
  assert.throws(() => parseXml("<a></a><b/>"), /text after the root/);
});

Deno.test("escapeXml escapes markup characters", () => {
  assert.equal(escapeXml("<&>\"'"), "&lt;&amp;&gt;&quot;&apos;");
});

Deno.test("TAP output numbers points, marks skips and expected failures, and adds YAML diagnostics", () => {
  const tap = formatTap(SUITE);
  const lines = tap.split("\n");
  assert.equal(lines[0], "TAP version 14");
  assert.equal(lines[1], "1..5");
  assert.ok(lines.includes("ok 1 - model[seed] a.qmp"));
  assert.ok(lines.includes("not ok 2 - model[seed] dir/b <&>.qmp"));
  assert.ok(
    lines.includes("ok 3 - model[seed] c.qmp # SKIP target lacks required feature(s): x \\# y"),
  );
  assert.ok(lines.includes("not ok 4 - qemu[qemu-10.0] a.qmp # TODO segfaults"));
  assert.ok(lines.includes("not ok 5 - qemu[qemu-10.0] c.qmp"));
  assert.ok(lines.includes('  at: "dir/b <&>.qmp:7"'));
  const points = lines.filter((l) => /^(not )?ok \d+ /.test(l));
  assert.equal(points.length, 5);
});

Deno.test("the JSON report round-trips the results and summaries", () => {
  const v = JSON.parse(formatJsonReport(SUITE));
  assert.equal(v.ok, false);
  assert.equal(v.results.length, 5);
  assert.equal(v.results[1].failure.line, 7);
  assert.equal(v.summaries[1].unexpectedPasses, 1);
});

Deno.test("the summary table has one row per target and lists skip reasons", () => {
  const t = formatSummaryTable(SUITE);
  const lines = t.split("\n");
  assert.match(lines[0]!, /^target\s+passed\s+failed\s+xfail\s+xpass\s+skipped\s+time$/);
  assert.match(lines[2]!, /^model\[seed\]\s+1\s+1\s+0\s+0\s+1\s+3ms$/);
  assert.match(lines[3]!, /^qemu\[qemu-10\.0\]\s+0\s+0\s+1\s+1\s+0\s+1\.5s$/);
  assert.ok(t.includes("skipped on model[seed]:"));
  assert.ok(t.includes("1  target lacks required feature(s): x # y"));
});

Deno.test("the console reporter writes plain lines without a terminal and no colour codes", () => {
  let out = "";
  const c = new ConsoleReporter({ write: (t) => (out += t), tty: false, color: false });
  for (const r of SUITE.results) c.result(r);
  c.end(SUITE);
  assert.ok(!out.includes("\x1b"), "no escape codes");
  const lines = out.split("\n");
  assert.ok(lines.some((l) => l.startsWith("PASS  model[seed] a.qmp")));
  assert.ok(
    lines.some((l) => l.startsWith("FAIL  model[seed] dir/b <&>.qmp") && l.includes(":7:")),
  );
  assert.ok(lines.some((l) => l.startsWith("XPASS qemu[qemu-10.0] c.qmp")));
  assert.ok(out.includes("Failures"));
  assert.ok(out.includes('  request:  {"execute":"x"}'));
  assert.ok(out.trimEnd().endsWith("FAILED (2)"));
});

Deno.test("the console reporter on a terminal rewrites one progress line", () => {
  let out = "";
  const c = new ConsoleReporter({ write: (t) => (out += t), tty: true, color: true, total: 5 });
  c.result(SUITE.results[0]!);
  assert.ok(out.includes("\r\x1b[2K[1/5] 0 failed"));
  c.result(SUITE.results[1]!);
  assert.ok(out.includes("\x1b[31mFAIL"));
});
