import assert from "node:assert/strict";
import { formatReport, RunRecorder } from "./report_file.ts";
import type { FixtureResult, TargetInfo } from "./runner.ts";
import { parseXml } from "./testdata/xml_check.ts";

const info: TargetInfo = {
  label: "qemu[qemu-10.0]",
  capabilities: {
    commands: new Set(),
    features: new Set(["dcd"]),
    profile: "qemu-10.0",
    hostSide: true,
    release: { major: 10, minor: 0 },
    version: { major: 10, minor: 0, micro: 2, package: "Debian" },
  },
};

function passed(fixture: string): FixtureResult {
  return {
    fixture,
    title: fixture,
    target: info.label,
    profile: "qemu-10.0",
    outcome: "passed",
    durationMs: 1,
  };
}

Deno.test("a run cut short reports the fixtures that finished, in fixture order, never ok", () => {
  const run = new RunRecorder();
  run.target(info);
  run.result(passed("b.qmp"));
  run.result(passed("a.qmp"));
  const suite = run.suite(["a.qmp", "b.qmp", "c.qmp"]);
  assert.equal(suite.ok, false);
  assert.deepEqual(suite.results.map((r) => r.fixture), ["a.qmp", "b.qmp"]);
  assert.equal(suite.summaries[0]!.passed, 2);
  assert.equal(suite.summaries[0]!.version, "10.0.2 (Debian)");
  assert.equal(run.finished, 2);
});

Deno.test("each report format marks an interrupted run in its own terms and stays well-formed", () => {
  const run = new RunRecorder();
  run.target(info);
  run.result(passed("a.qmp"));
  const suite = run.suite();
  const why = "interrupted by SIGTERM after 1 fixture run(s) <&>";
  const json = JSON.parse(formatReport(suite, "json", why));
  assert.equal(json.interrupted, why);
  assert.equal(json.results.length, 1);
  const xml = parseXml(formatReport(suite, "junit", why));
  assert.equal(xml.attrs["errors"], "1");
  const last = xml.children.at(-1)!;
  assert.equal(last.attrs["name"], "interrupted");
  assert.equal(last.children[0]!.children[0]!.attrs["message"], why);
  const tap = formatReport(suite, "tap", why);
  assert.match(tap, /^1\.\.1\nok 1 /m);
  assert.ok(tap.endsWith(`Bail out! ${why}\n`), tap);
  assert.ok(formatReport(suite, "console", why).endsWith(`INTERRUPTED: ${why}\n`));
  assert.equal("interrupted" in JSON.parse(formatReport(suite, "json")), false);
});
