import assert from "node:assert/strict";
import type { TargetExit } from "../target_types.ts";
import { failureClasses } from "./failure_classes.ts";
import type { FixtureResult, StepFailure } from "./types.ts";

const SEGV: TargetExit = { code: null, signal: "SIGSEGV", unexpected: true, stderrTail: "" };

function failed(
  fixture: string,
  f: Omit<StepFailure, "file" | "line">,
  outcome: "failed" | "expected-failure" = "failed",
): FixtureResult {
  return {
    fixture,
    title: fixture,
    target: "qemu[seed]",
    profile: "seed",
    outcome,
    durationMs: 1,
    failure: { file: fixture, line: 3, ...f },
  };
}

Deno.test("one crash reached by several QMP commands is one class naming the commands with counts", () => {
  const crash = (n: string, command: string) =>
    failed(n, { message: "QEMU died", command, stepKind: "expect", crash: SEGV });
  const classes = failureClasses([
    crash("a.qmp", "cxl-add-dynamic-capacity"),
    crash("b.qmp", "cxl-add-dynamic-capacity"),
    crash("c.qmp", "cxl-release-dynamic-capacity"),
    crash("d.qmp", "cxl-add-dynamic-capacity"),
    // The same signal after a host mailbox command is another crash.
    failed("e.qmp", { message: "x", command: "add-dc-response", stepKind: "host", crash: SEGV }),
    failed(
      "f.qmp",
      { message: "QEMU died", command: "quit", stepKind: "expect", crash: SEGV },
      "expected-failure",
    ),
  ]);
  assert.deepEqual(classes.map((c) => [c.outcome, c.count, c.description]), [
    [
      "failed",
      4,
      "died (killed by SIGSEGV) after a QMP command: cxl-add-dynamic-capacity (3), cxl-release-dynamic-capacity (1)",
    ],
    ["failed", 1, "died (killed by SIGSEGV) after a host mailbox command: add-dc-response"],
    ["expected-failure", 1, "died (killed by SIGSEGV) after a QMP command: quit"],
  ]);
  assert.deepEqual(classes[0]!.fixtures, ["a.qmp", "b.qmp", "c.qmp", "d.qmp"]);
});

Deno.test("differences group by first differing path and step, other failures by their message", () => {
  const classes = failureClasses([
    failed("a.qmp", { message: "m1", path: "$.return.status", stepKind: "expect", command: "q" }),
    failed("b.qmp", { message: "m2", path: "$.return.status", stepKind: "expect", command: "q" }),
    failed("c.qmp", { message: "m3", path: "$.return.status", stepKind: "expect", command: "r" }),
    failed("d.qmp", { message: "no message within 5000 ms" }),
    failed("e.qmp", { message: "no message within 5000 ms" }),
    { ...failed("f.qmp", { message: "x" }), outcome: "passed" },
  ]);
  assert.deepEqual(classes.map((c) => [c.count, c.description]), [
    [2, "differs at $.return.status (expect after q)"],
    [2, "no message within 5000 ms"],
    [1, "differs at $.return.status (expect after r)"],
  ]);
});
