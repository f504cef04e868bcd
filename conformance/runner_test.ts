import assert from "node:assert/strict";
import { ReturnCode } from "../model/host_interface.ts";
import type { FixtureFile } from "./loader.ts";
import { applyExpectation, type FixtureResult, runFixture, runSuite } from "./runner.ts";
import { fakeTarget } from "./testdata/fake_target.ts";
import { parseTranscript } from "./transcript/parse.ts";

function fx(name: string, text: string): FixtureFile {
  return { path: `/x/${name}`, name, transcript: parseTranscript(text, name) };
}

const STATUS = `# title: status
-> {"execute": "query-status"}
<- {"return": {"status": "running", "running": true}}
`;

const echoStatus = (line: string) =>
  line.includes("query-status") ? [{ return: { status: "running", running: true } }] : [];

Deno.test("runFixture passes a transcript whose replies match", async () => {
  const t = fakeTarget({ respond: echoStatus });
  const r = await runFixture(fx("a.qmp", STATUS), t, "fake[seed]");
  assert.equal(r.outcome, "passed", JSON.stringify(r.failure));
  assert.deepEqual(t.stats.sent, ['{"execute":"qmp_capabilities"}', '{"execute":"query-status"}']);
  assert.equal(t.stats.closed, 1);
});

Deno.test("a failed step reports file, line, request, expected, actual and a diff", async () => {
  const t = fakeTarget({ respond: () => [{ return: { status: "paused", running: false } }] });
  const r = await runFixture(fx("a.qmp", STATUS), t, "fake[seed]");
  assert.equal(r.outcome, "failed");
  const f = r.failure!;
  assert.equal(f.file, "a.qmp");
  assert.equal(f.line, 3);
  assert.equal(f.request, '{"execute":"query-status"}');
  assert.match(f.message, /\$\.return\.status/);
  assert.match(f.expected!, /running/);
  assert.match(f.actual!, /paused/);
  assert.match(f.diff!, /first difference at \$\.return\.status/);
});

Deno.test("per-release alternatives pick the target's release line, feature alternatives its features", async () => {
  const text = `# title: alt
-> {"execute": "x"}
<-[tag-based-release] {"return": 3}
<-[>=10.1] {"return": 1}
<- {"return": 2}
`;
  const newer = fakeTarget({ release: { major: 11, minor: 1 }, respond: () => [{ return: 1 }] });
  const older = fakeTarget({ release: { major: 10, minor: 0 }, respond: () => [{ return: 2 }] });
  const seed = fakeTarget({
    release: { major: 11, minor: 1 },
    features: ["dcd", "tag-based-release"],
    respond: () => [{ return: 3 }],
  });
  assert.equal((await runFixture(fx("a.qmp", text), newer, "n")).outcome, "passed");
  assert.equal((await runFixture(fx("a.qmp", text), older, "o")).outcome, "passed");
  assert.equal((await runFixture(fx("a.qmp", text), seed, "s")).outcome, "passed");
  // The same answer on the wrong release fails: the alternatives assert exact values.
  const wrong = fakeTarget({ release: { major: 10, minor: 0 }, respond: () => [{ return: 1 }] });
  assert.equal((await runFixture(fx("a.qmp", text), wrong, "w")).outcome, "failed");
});

Deno.test("$version matchers take the target's reported version", async () => {
  const text = `# title: v
-> {"execute": "query-version"}
<- {"return": {"qemu": {"major": "$version.major", "minor": "$version.minor", "micro": "$version.micro"}, "package": "$version.package"}}
`;
  const ok = fakeTarget({
    release: { major: 11, minor: 1 },
    respond: () => [{ return: { qemu: { major: 11, minor: 1, micro: 2 }, package: "fake" } }],
  });
  assert.equal((await runFixture(fx("a.qmp", text), ok, "ok")).outcome, "passed");
  const bad = fakeTarget({
    release: { major: 11, minor: 1 },
    respond: () => [{ return: { qemu: { major: 11, minor: 1, micro: 3 }, package: "fake" } }],
  });
  const r = await runFixture(fx("a.qmp", text), bad, "bad");
  assert.equal(r.outcome, "failed");
  assert.match(r.failure!.diff!, /the target's version\.micro/);
});

Deno.test("a release without an alternative expects nothing at that position, a bare default applies to all others", async () => {
  const text = `# title: alt
-> {"execute": "x"}
<-[>=11.1] {"event": "X", "timestamp": "$timestamp"}
<- {"return": 2}
`;
  const withoutDefault = `# title: alt
-> {"execute": "x"}
<-[>=11.1] {"event": "X", "timestamp": "$timestamp"}
-> {"execute": "y"}
<- {"return": 2}
`;
  const other = fakeTarget({
    respond: (l) => l.includes('"y"') ? [{ return: 2 }] : [],
  });
  assert.equal((await runFixture(fx("a.qmp", withoutDefault), other, "o")).outcome, "passed");
  const r = await runFixture(fx("a.qmp", text), other, "o", { stepTimeoutMs: 50 });
  assert.equal(r.outcome, "failed");
  assert.equal(r.failure!.line, 4);
});

Deno.test("fixtures that need a feature the target lacks, or pin its absence, are skipped with the reason", async () => {
  const t = fakeTarget({ profile: "qemu-10.0", features: ["dcd"] });
  const a = await runFixture(fx("a.qmp", "# title: x\n# requires: !dcd\n-> {}\n"), t, "f");
  assert.equal(a.outcome, "skipped");
  assert.match(a.reason!, /pins behaviour without dcd, which the target has/);
  const b = await runFixture(
    fx("b.qmp", "# title: x\n# requires: release-status\n-> {}\n"),
    t,
    "f",
  );
  assert.match(b.reason!, /lacks required feature\(s\): release-status/);
  const noHost = fakeTarget({ hostSide: false });
  const c = await runFixture(fx("c.qmp", "# title: x\n=> d get-timestamp {}\n"), noHost, "f");
  assert.match(c.reason!, /host \(mailbox\) steps/);
  assert.equal(t.stats.started + noHost.stats.started, 0);
});

Deno.test("a target that never answers fails the step after the step timeout", async () => {
  const t = fakeTarget({ silent: true });
  const text = '# title: x\n# negotiate: no\n<- {"QMP": "$any"}\n-> {}\n<- {}\n';
  const r = await runFixture(fx("a.qmp", text), t, "f", {
    stepTimeoutMs: 50,
  });
  assert.equal(r.outcome, "failed");
  assert.match(r.failure!.message, /no message within 50 ms/);
  assert.equal(r.failure!.line, 5);
});

Deno.test("a fixture that runs too long fails with the fixture timeout", async () => {
  const t = fakeTarget({ silent: true });
  const r = await runFixture(
    fx("a.qmp", "# title: x\n# negotiate: no\n=> d get-timestamp {}\n"),
    t,
    "f",
    { fixtureTimeoutMs: 50, stepTimeoutMs: 10_000 },
  );
  assert.equal(r.outcome, "failed");
  assert.match(r.failure!.message, /did not finish within 50 ms/);
  assert.equal(t.stats.closed, 1);
});

Deno.test("negotiate: no replays the greeting to the first expectation", async () => {
  const t = fakeTarget();
  const r = await runFixture(
    fx(
      "a.qmp",
      '# title: x\n# negotiate: no\n<- {"QMP": {"version": "$any", "capabilities": ["oob"]}}\n',
    ),
    t,
    "f",
  );
  assert.equal(r.outcome, "passed", JSON.stringify(r.failure));
});

Deno.test("<-none passes on silence and fails when a message arrives", async () => {
  const quiet = fakeTarget();
  const text = '# title: x\n->raw {"execute": \n<-none\n';
  assert.equal(
    (await runFixture(fx("a.qmp", text), quiet, "f", { noneWindowMs: 30 })).outcome,
    "passed",
  );
  const chatty = fakeTarget({ respond: () => [{ error: { class: "GenericError", desc: "x" } }] });
  const r = await runFixture(fx("a.qmp", text), chatty, "f", { noneWindowMs: 30 });
  assert.equal(r.outcome, "failed");
  assert.match(r.failure!.message, /expected none/);
});

Deno.test("<-* matches messages in any order", async () => {
  const t = fakeTarget({
    respond: () => [{ return: {} }, { event: "STOP", timestamp: { seconds: 1, microseconds: 2 } }],
  });
  const text =
    '# title: x\n-> {"execute": "stop"}\n<-* [{"event": "STOP", "timestamp": "$timestamp"}, {"return": {}}]\n';
  assert.equal((await runFixture(fx("a.qmp", text), t, "f")).outcome, "passed");
});

Deno.test("host steps encode fields, run the mailbox and compare rc and decoded output", async () => {
  const calls: number[] = [];
  const t = fakeTarget({
    mailbox: (_d, opcode) => {
      calls.push(opcode);
      const p = new Uint8Array(8);
      p[0] = 5;
      return { rc: ReturnCode.SUCCESS, payload: p };
    },
  });
  const ok = '# title: x\n=> cxl-vmem0 get-timestamp {}\n<= SUCCESS {"timestamp": 5}\n';
  assert.equal((await runFixture(fx("a.qmp", ok), t, "f")).outcome, "passed");
  assert.deepEqual(calls, [0x0300]);
  const badRc = "# title: x\n=> cxl-vmem0 get-timestamp {}\n<= INVALID_INPUT\n";
  const r = await runFixture(fx("a.qmp", badRc), t, "f");
  assert.match(r.failure!.message, /return code SUCCESS: expected INVALID_INPUT/);
  const badOut = '# title: x\n=> cxl-vmem0 get-timestamp {}\n<= SUCCESS {"timestamp": 6}\n';
  const r2 = await runFixture(fx("a.qmp", badOut), t, "f");
  assert.match(r2.failure!.diff!, /\$\.timestamp/);
});

Deno.test("a crash after a failed step is reported with signal and stderr tail", async () => {
  const t = fakeTarget({ crashOn: "boom" });
  const r = await runFixture(
    fx("a.qmp", '# title: x\n-> {"execute": "boom"}\n<- {"return": {}}\n'),
    t,
    "f",
  );
  assert.equal(r.outcome, "failed");
  assert.equal(r.failure!.crash?.signal, "SIGSEGV");
  assert.match(r.failure!.message, /^the target died: killed by SIGSEGV during boom \(/);
  assert.equal(r.failure!.line, 3, "at the step that saw the connection close");
});

Deno.test("!startup-error compares QEMU's start-up message", async () => {
  const text = "# title: x\n!startup-error qemu: bad thing\\nsecond\n";
  const t = fakeTarget({ startupError: "qemu: bad thing\nsecond" });
  assert.equal((await runFixture(fx("a.qmp", text), t, "f")).outcome, "passed");
  const other = fakeTarget({ startupError: "qemu: other" });
  const r = await runFixture(fx("a.qmp", text), other, "f");
  assert.match(r.failure!.message, /start-up error differs/);
  const starts = fakeTarget();
  const r2 = await runFixture(fx("a.qmp", text), starts, "f");
  assert.match(r2.failure!.message, /the machine started/);
});

Deno.test("a transcript that did not parse is a failure naming file and line", async () => {
  const f: FixtureFile = {
    path: "/x/bad.qmp",
    name: "bad.qmp",
    transcript: (() => {
      try {
        parseTranscript("# title: x\nnonsense\n", "bad.qmp");
      } catch (e) {
        return e as Error;
      }
      return new Error("unreachable");
    })(),
  };
  const r = await runFixture(f, fakeTarget(), "f");
  assert.equal(r.outcome, "failed");
  assert.equal(r.failure!.line, 2);
});

Deno.test("expectations turn a listed failure into an expected failure and a listed pass into an error", async () => {
  const t = fakeTarget({ respond: echoStatus });
  const bad = fx("bad.qmp", '# title: b\n-> {"execute": "query-status"}\n<- {"return": 1}\n');
  const good = fx("good.qmp", STATUS);
  const suite = await runSuite([bad, good], [{
    target: t,
    label: "fake[seed]",
    expectations: new Map([["bad.qmp", "known"], ["good.qmp", "was broken"]]),
  }]);
  assert.deepEqual(suite.results.map((r) => r.outcome), ["expected-failure", "unexpected-pass"]);
  assert.equal(suite.results[0]!.reason, "known");
  assert.equal(suite.ok, false);
  assert.equal(suite.summaries[0]!.expectedFailures, 1);
  assert.equal(suite.summaries[0]!.unexpectedPasses, 1);
});

Deno.test("runSuite keeps fixture order with parallel jobs and stops on fail-fast", async () => {
  const fixtures = Array.from({ length: 6 }, (_, k) => fx(`f${k}.qmp`, STATUS));
  const t = fakeTarget({ respond: echoStatus });
  const seen: string[] = [];
  const suite = await runSuite(fixtures, [{ target: t, label: "fake", jobs: 3 }], {
    onResult: (r) => seen.push(r.fixture),
  });
  assert.deepEqual(suite.results.map((r) => r.fixture), fixtures.map((f) => f.name));
  assert.equal(seen.length, 6);
  assert.ok(suite.ok);

  const failing = fakeTarget({ respond: () => [{ return: 0 }] });
  const ff = await runSuite(fixtures, [{ target: failing, label: "fake" }], { failFast: true });
  assert.equal(ff.results[0]!.outcome, "failed");
  assert.ok(
    ff.results.slice(1).every((r) => r.outcome === "skipped" && r.reason === "not run (fail-fast)"),
  );
  assert.equal(failing.stats.started, 1);
});

Deno.test("a machine that does not start fails a fixture without !startup-error, showing QEMU's text", async () => {
  const t = fakeTarget({ startupError: "qemu: -device x: bad" });
  const r = await runFixture(fx("a.qmp", STATUS), t, "f");
  assert.equal(r.outcome, "failed");
  assert.match(r.failure!.message, /the machine did not start/);
  assert.match(r.failure!.actual!, /qemu: -device x: bad/);
});

Deno.test("targets that cannot start machines or run a machine skip with their reason", async () => {
  const fixed = fakeTarget({ startsMachines: false });
  const r = await runFixture(fx("a.qmp", "# title: x\n!startup-error boom\n"), fixed, "f");
  assert.equal(r.outcome, "skipped");
  assert.match(r.reason!, /does not start machines/);
  const base = fakeTarget();
  const other = {
    ...base,
    capabilities: async (m: readonly string[]) => ({
      ...(await base.capabilities(m)),
      skip: "runs another machine",
    }),
  };
  const r2 = await runFixture(fx("a.qmp", STATUS), other, "f");
  assert.equal(r2.reason, "runs another machine");
});

Deno.test("a crash expectation counts only a death by that signal as the expected failure", () => {
  const base: FixtureResult = {
    fixture: "a.qmp",
    title: "a",
    target: "qemu[qemu-10.0]",
    profile: "qemu-10.0",
    outcome: "failed",
    durationMs: 1,
    failure: { file: "a.qmp", line: 3, message: "the connection closed" },
  };
  const crash = new Map([["a.qmp", "SIGSEGV: QEMU segfaults on this request"]]);
  const died = (signal: string | null, code: number | null): FixtureResult => ({
    ...base,
    failure: {
      ...base.failure!,
      crash: { signal, code, unexpected: true, stderrTail: "" },
    },
  });
  assert.equal(applyExpectation(died("SIGSEGV", null), crash).outcome, "expected-failure");
  const other = applyExpectation(died("SIGKILL", null), crash);
  assert.equal(other.outcome, "failed");
  assert.match(other.failure!.message, /expects death by SIGSEGV .* it ended by SIGKILL/);
  const never = applyExpectation(base, crash);
  assert.equal(never.outcome, "failed");
  assert.match(never.failure!.message, /and it did not die/);
  // A reason without a signal keeps matching any failure.
  assert.equal(
    applyExpectation(base, new Map([["a.qmp", "answers differently"]])).outcome,
    "expected-failure",
  );
});

Deno.test("runner.ts is a façade: each role lives in its own module under run/", async () => {
  const runner = await import("./runner.ts");
  const roles = {
    scheduling: await import("./run/scheduling.ts"),
    fixture: await import("./run/fixture_run.ts"),
    steps: await import("./run/step_execution.ts"),
    expectations: await import("./run/expectation_apply.ts"),
    summary: await import("./run/summary.ts"),
    classes: await import("./run/failure_classes.ts"),
  };
  assert.equal(runner.runSuite, roles.scheduling.runSuite);
  assert.equal(runner.targetLabel, roles.scheduling.targetLabel);
  assert.equal(runner.runFixture, roles.fixture.runFixture);
  assert.equal(runner.skipReason, roles.fixture.skipReason);
  assert.equal(runner.StepError, roles.steps.StepError);
  assert.equal(runner.applyExpectation, roles.expectations.applyExpectation);
  assert.equal(runner.summarise, roles.summary.summarise);
  assert.equal(runner.describeTarget, roles.summary.describeTarget);
  assert.equal(runner.failureClasses, roles.classes.failureClasses);
  const lines = (await Deno.readTextFile(new URL("./runner.ts", import.meta.url))).split("\n");
  assert.ok(lines.length < 60, `runner.ts stays a thin façade (${lines.length} lines)`);
});
