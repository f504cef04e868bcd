import assert from "node:assert/strict";
import {
  formatRecordDiff,
  maskObserved,
  mergeObserved,
  RecordError,
  recordTranscript,
} from "./record.ts";
import { availableQemu } from "./qemu/test_util.ts";
import { runFixture } from "./runner.ts";
import { qemuTarget } from "./targets/qemu.ts";
import { fakeTarget } from "./testdata/fake_target.ts";
import { parseTranscript } from "./transcript/parse.ts";

Deno.test("record replaces differing responses and keeps comments, header and requests", async () => {
  const text = `# title: r
# description: d

# a comment
-> {"execute": "query-status"}
<- {"return": {"status": "paused", "running": "$any"}}
`;
  const t = fakeTarget({ respond: () => [{ return: { status: "running", running: true } }] });
  const r = await recordTranscript(parseTranscript(text, "r.qmp"), t, { quietMs: 20 });
  assert.equal(
    r.text,
    `# title: r
# description: d

# a comment
-> {"execute": "query-status"}
<- {"return": {"status": "running", "running": "$any"}}
`,
  );
  assert.equal(r.edits.length, 1);
  assert.match(formatRecordDiff("r.qmp", text.split("\n"), r.edits), /@@ line 6 @@/);
});

Deno.test("record leaves matching expectations untouched, matchers included", async () => {
  const text = '# title: r\n-> {"execute": "x"}\n<- {"return": "$any"}\n';
  const t = fakeTarget({ respond: () => [{ return: 5 }] });
  const r = await recordTranscript(parseTranscript(text, "r.qmp"), t, { quietMs: 20 });
  assert.equal(r.text, text);
  assert.deepEqual(r.edits, []);
});

Deno.test("record writes new messages (events masked) where the count changed", async () => {
  const text = '# title: r\n-> {"execute": "stop"}\n<- {"return": {}}\n-> {"execute": "x"}\n';
  const t = fakeTarget({
    respond: (l) =>
      l.includes("stop")
        ? [{ timestamp: { seconds: 1, microseconds: 2 }, event: "STOP" }, { return: {} }]
        : [{ error: { class: "GenericError", desc: "$weird" } }],
  });
  const r = await recordTranscript(parseTranscript(text, "r.qmp"), t, { quietMs: 20 });
  assert.equal(
    r.text,
    `# title: r
-> {"execute": "stop"}
<- {"timestamp": "$timestamp", "event": "STOP"}
<- {"return": {}}
-> {"execute": "x"}
<- {"error": {"class": "GenericError", "desc": "$$weird"}}
`,
  );
  // The recorded transcript parses and passes against the same target.
  parseTranscript(r.text, "r.qmp");
});

Deno.test("record writes <-none when nothing comes back", async () => {
  const text = '# title: r\n->raw {"execute":\n<- {"return": {}}\n';
  const r = await recordTranscript(parseTranscript(text, "r.qmp"), fakeTarget(), {
    quietMs: 20,
    stepTimeoutMs: 50,
  });
  assert.equal(r.text, '# title: r\n->raw {"execute":\n<-none\n');
});

Deno.test("record rewrites host expectations with the decoded output and rc name", async () => {
  const text =
    "# title: r\n=> cxl-vmem0 get-timestamp {}\n<= INVALID_INPUT\n=> cxl-vmem0 get-timestamp {}\n";
  const t = fakeTarget({
    mailbox: () => ({ rc: 0, payload: new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0]) }),
  });
  const r = await recordTranscript(parseTranscript(text, "r.qmp"), t);
  assert.equal(
    r.text,
    '# title: r\n=> cxl-vmem0 get-timestamp {}\n<= SUCCESS\n=> cxl-vmem0 get-timestamp {}\n<= SUCCESS {"timestamp": 7}\n',
  );
});

Deno.test("record refuses to guess when per-release alternatives change count", async () => {
  const text = '# title: r\n-> {"execute": "x"}\n<-[>=10.1] {"return": 1}\n<- {"return": 2}\n';
  const t = fakeTarget({ respond: () => [{ return: 1 }, { return: 2 }] });
  await assert.rejects(
    () => recordTranscript(parseTranscript(text, "r.qmp"), t, { quietMs: 20 }),
    (e) => e instanceof RecordError && /edit it by hand/.test(e.message),
  );
});

Deno.test("record pins a start-up error message", async () => {
  const text = "# title: r\n!startup-error old\n";
  const t = fakeTarget({ startupError: "qemu: new\nsecond" });
  const r = await recordTranscript(parseTranscript(text, "r.qmp"), t);
  assert.equal(r.text, "# title: r\n!startup-error qemu: new\\nsecond\n");
});

Deno.test("record reports a target that closed and keeps later steps", async () => {
  const text =
    '# title: r\n-> {"execute": "boom"}\n<- {"return": {}}\n-> {"execute": "y"}\n<- {"return": 1}\n';
  const t = fakeTarget({ crashOn: "boom" });
  const r = await recordTranscript(parseTranscript(text, "r.qmp"), t, { quietMs: 20 });
  assert.match(r.warnings[0]!, /closed the connection \(SIGSEGV\)/);
  assert.equal(r.text, text);
});

Deno.test("mergeObserved keeps open objects open and masks $ strings", () => {
  assert.deepEqual(
    mergeObserved({ "...": "...", a: 1 }, { a: 2, b: 3 }),
    { "...": "...", a: 2 },
  );
  assert.equal(maskObserved("$x"), "$$x");
});

const qemu = availableQemu("the record-on-QEMU test");

Deno.test({
  name: "record takes real QEMU's answers, QMP and host side, and the result passes on QEMU",
  ignore: qemu === undefined,
  sanitizeResources: false,
  async fn() {
    const text = `# title: recorded on QEMU
# machine: dcd-1x2g

-> {"execute": "query-status"}
<- {"return": {}}
-> {"execute": "stop"}
<- {"return": {}}
=> cxl-vmem0 get-dc-config {"region-count": 1}
<= INVALID_INPUT {"num-regions": 0}
`;
    const target = qemuTarget({ binary: qemu! });
    const r = await recordTranscript(parseTranscript(text, "q.qmp"), target);
    assert.deepEqual(r.warnings, []);
    assert.match(r.text, /<- \{"return": \{"status": "running", "running": true\}\}/);
    assert.match(
      r.text,
      /<- \{"timestamp": "\$timestamp", "event": "STOP"\}\n<- \{"return": \{\}\}/,
    );
    assert.match(r.text, /<= SUCCESS \{[^]*"num-regions": 1/);
    const again = await runFixture(
      { path: "/q.qmp", name: "q.qmp", transcript: parseTranscript(r.text, "q.qmp") },
      target,
      "qemu",
    );
    assert.equal(again.outcome, "passed", JSON.stringify(again.failure));
  },
});

Deno.test("record does not run a transcript that pins the absence of a feature the target has", async () => {
  const text = '# title: r\n# requires: !dcd\n-> {"execute": "x"}\n<- {"return": 1}\n';
  const t = fakeTarget({ profile: "seed", respond: () => [{ return: 2 }] });
  const r = await recordTranscript(parseTranscript(text, "r.qmp"), t);
  assert.match(r.skipped!, /pins behaviour without dcd/);
  assert.equal(r.text, text);
  assert.equal(t.stats.started, 0);
});

Deno.test("record --alternative keeps the other releases' expectation and inserts the target's answer before it", async () => {
  const text =
    '# title: r\n-> {"execute": "x"}\n<- {"return": 1}\n=> d get-timestamp {}\n<= SUCCESS {"timestamp": 1}\n';
  const t = fakeTarget({
    release: { major: 11, minor: 1 },
    respond: () => [{ return: 2 }],
    mailbox: () => ({ rc: 0, payload: new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]) }),
  });
  const r = await recordTranscript(parseTranscript(text, "r.qmp"), t, { alternative: ">=11.1" });
  assert.equal(
    r.text,
    '# title: r\n-> {"execute": "x"}\n<-[>=11.1] {"return": 2}\n<- {"return": 1}\n=> d get-timestamp {}\n<= SUCCESS {"timestamp": 1}\n',
  );
  // Recording again on the same release changes nothing: the new alternative applies and matches.
  const again = await recordTranscript(parseTranscript(r.text, "r.qmp"), t, {
    alternative: ">=11.1",
  });
  assert.equal(again.edits.length, 0);
  await assert.rejects(
    () => recordTranscript(parseTranscript(text, "r.qmp"), t, { alternative: "10.0" }),
    (e) => e instanceof RecordError && /does not select the target being recorded/.test(e.message),
  );
});
