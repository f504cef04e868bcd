import assert from "node:assert/strict";
import { type SuiteResult, summarise } from "../runner.ts";
import type { FixtureResult } from "../runner.ts";
import { parseXml } from "../testdata/xml_check.ts";
import { ConsoleReporter } from "./console.ts";
import { formatJsonReport } from "./json.ts";
import { formatJunit } from "./junit.ts";

const crash = (n: number): FixtureResult => ({
  fixture: `seed/f${n}.qmp`,
  title: "t",
  target: "qemu[seed]",
  profile: "seed",
  outcome: "failed",
  durationMs: 1,
  failure: {
    file: `seed/f${n}.qmp`,
    line: 9,
    message: "QEMU died: killed by SIGSEGV during cxl-add-dynamic-capacity",
    command: "cxl-add-dynamic-capacity",
    stepKind: "expect",
    crash: { code: null, signal: "SIGSEGV", unexpected: true, stderrTail: "" },
    commandLine: "/q/qemu-system-x86_64 -machine 'q35,cxl=on'",
    tempDir: `/tmp/cxl-qemu-${n}`,
    kept: n === 0,
  },
});

function suite(): SuiteResult {
  const results = [0, 1, 2, 3, 4].map(crash);
  results.push({
    fixture: "p.qmp",
    title: "p",
    target: "qemu[seed]",
    profile: "seed",
    outcome: "passed",
    durationMs: 1,
  });
  return { ok: false, results, summaries: [summarise("qemu[seed]", results, 10)] };
}

Deno.test("the console report ends with one line per failure class: count, cause, three examples", () => {
  let out = "";
  const c = new ConsoleReporter({ write: (t) => (out += t), tty: false, color: false });
  c.end(suite());
  assert.match(out, /failure classes on qemu\[seed\]: 1 class\(es\) over 5 fixture\(s\)/);
  const lines = out.split("\n").filter((l) => l.includes("died (killed by SIGSEGV)"));
  assert.deepEqual(lines, [
    "   5  FAIL  died (killed by SIGSEGV) after a QMP command: cxl-add-dynamic-capacity  (seed/f0.qmp, seed/f1.qmp, seed/f2.qmp, ...)",
  ]);
});

Deno.test("a failure's report carries the QEMU command line and where its files are", () => {
  let out = "";
  const c = new ConsoleReporter({ write: (t) => (out += t), tty: false, color: false });
  c.end(suite());
  assert.ok(out.includes("    command:  /q/qemu-system-x86_64 -machine 'q35,cxl=on'"), out);
  assert.ok(out.includes("    kept:     /tmp/cxl-qemu-0 ("), out);
  assert.ok(out.includes("    temp dir: /tmp/cxl-qemu-1 (removed; --keep"), out);
});

Deno.test("the JSON report carries the failure classes and each failure's command line", () => {
  const v = JSON.parse(formatJsonReport(suite()));
  assert.equal(v.summaries[0].failureClasses.length, 1);
  assert.equal(v.summaries[0].failureClasses[0].count, 5);
  assert.equal(v.summaries[0].failureClasses[0].fixtures.length, 5);
  assert.equal(v.results[0].failure.commandLine, "/q/qemu-system-x86_64 -machine 'q35,cxl=on'");
  assert.equal(v.results[0].failure.tempDir, "/tmp/cxl-qemu-0");
});

Deno.test("JUnit carries the failure classes as suite properties and stays well formed", () => {
  const root = parseXml(formatJunit(suite()));
  const props = root.children[0]!.children[0]!;
  assert.equal(props.name, "properties");
  const cls = props.children.filter((p) => p.attrs.name!.startsWith("failure-class."));
  assert.equal(cls.length, 1);
  assert.match(cls[0]!.attrs.value!, /^5 {2}FAIL {2}died \(killed by SIGSEGV\)/);
  const failure = root.children[0]!.children[1]!.children[0]!;
  assert.match(failure.text, /command: {2}\/q\/qemu-system-x86_64 -machine 'q35,cxl=on'/);
});
