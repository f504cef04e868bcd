import assert from "node:assert/strict";
import {
  alternativeFor,
  escapeText,
  parseTranscript,
  TranscriptError,
  unescapeText,
} from "./parse.ts";

const SAMPLE = `# title: Add then release one extent
# description: The host accepts a 128 MiB offer in full; the QMP release of a
#   sub-range is accepted.
# machine: dcd-1x2g
# requires: dcd
# tags: host, release
# timeout: 3000

-> { "execute": "cxl-add-dynamic-capacity",
     "arguments": { "path": "/machine/peripheral/cxl-vmem0", "host-id": 0,
                    "extents": [ { "offset": 0, "len": 134217728 } ] } }
<- { "return": {} }

# a comment
=> cxl-vmem0 get-event-records { "log": "dynamic-capacity" }
<= SUCCESS { "record-count": 1, "records": [ { "...": "...", "type": "add-capacity" } ] }
->raw {"execute": query-status}\\n
<-[tag-based-release] {"error": "$any"}
<-[<10.1] {"error": {"class": "GenericError", "desc": "$string"}}
<- {"return": 1}
<-* [{"event": "STOP", "timestamp": "$timestamp"}, {"return": {}}]
<-none
`;

Deno.test("parseTranscript reads the header with continuation lines", () => {
  const t = parseTranscript(SAMPLE, "a.qmp");
  assert.equal(t.header.title, "Add then release one extent");
  assert.equal(
    t.header.description,
    "The host accepts a 128 MiB offer in full; the QMP release of a sub-range is accepted.",
  );
  assert.deepEqual(t.header.machine, { kind: "preset", name: "dcd-1x2g" });
  assert.deepEqual(t.header.requires, ["dcd"]);
  assert.deepEqual(t.header.tags, ["host", "release"]);
  assert.equal(t.header.timeoutMs, 3000);
  assert.equal(t.header.negotiate, true);
});

Deno.test("parseTranscript reads multi-line JSON steps and records their line span", () => {
  const t = parseTranscript(SAMPLE, "a.qmp");
  const s = t.steps[0]!;
  assert.equal(s.kind, "send");
  assert.equal(s.line, 9);
  assert.equal(s.endLine, 11);
  if (s.kind === "send") {
    assert.equal(
      s.text,
      '{"execute":"cxl-add-dynamic-capacity","arguments":{"path":"/machine/peripheral/cxl-vmem0","host-id":0,"extents":[{"offset":0,"len":134217728}]}}',
    );
  }
  assert.deepEqual(t.steps.map((x) => x.kind), [
    "send",
    "expect",
    "host",
    "send-raw",
    "expect",
    "expect-set",
    "expect-none",
  ]);
});

Deno.test("parseTranscript groups per-release alternatives with the bare default", () => {
  const t = parseTranscript(SAMPLE, "a.qmp");
  const e = t.steps[4]!;
  assert.equal(e.kind, "expect");
  if (e.kind !== "expect") return;
  assert.equal(e.alternatives.length, 3);
  const ctx = (major: number, minor: number, features: string[] = []) => ({
    release: { major, minor },
    features: new Set(features),
  });
  assert.deepEqual(alternativeFor(e.alternatives, ctx(11, 1, ["tag-based-release"]))?.expect, {
    error: "$any",
  });
  assert.deepEqual(alternativeFor(e.alternatives, ctx(10, 0))?.expect, {
    error: { class: "GenericError", desc: "$string" },
  });
  assert.deepEqual(alternativeFor(e.alternatives, ctx(11, 1))?.expect, { return: 1 });
});

Deno.test("parseTranscript refuses the removed profiles header and names what replaces it", () => {
  assert.throws(
    () => parseTranscript("# title: x\n# profiles: seed\n-> {}\n", "p.qmp"),
    /p\.qmp:2: the 'profiles' header is gone: .*requires.*alternatives/,
  );
});

Deno.test("parseTranscript refuses unknown features in requires and in selectors", () => {
  assert.throws(
    () => parseTranscript("# title: x\n# requires: dcdd\n-> {}\n", "r.qmp"),
    /r\.qmp:2: unknown feature 'dcdd' in requires: expected one of dcd,/,
  );
  assert.throws(
    () => parseTranscript('# title: x\n-> {}\n<-[tagz] {"return": 1}\n<- {}\n', "s.qmp"),
    /s\.qmp:3: unknown feature 'tagz' in selector 'tagz'/,
  );
  assert.throws(
    () => parseTranscript('# title: x\n-> {}\n<-[>=10] {"return": 1}\n<- {}\n', "t.qmp"),
    /t\.qmp:3: '>=10' in selector '>=10': expected a release/,
  );
});

Deno.test("parseTranscript reads host steps with return code names and raw escapes", () => {
  const t = parseTranscript(SAMPLE, "a.qmp");
  const h = t.steps[2]!;
  assert.equal(h.kind, "host");
  if (h.kind === "host") {
    assert.equal(h.device, "cxl-vmem0");
    assert.equal(h.command, "get-event-records");
    assert.deepEqual(h.input, { log: "dynamic-capacity" });
    assert.equal(h.alternatives[0]!.expect.rc, 0);
  }
  const r = t.steps[3]!;
  if (r.kind === "send-raw") assert.equal(r.text, '{"execute": query-status}\n');
  else assert.fail("expected ->raw");
});

Deno.test("parseTranscript accepts the seed's pretty-printed exchange verbatim, tabs included", () => {
  const t = parseTranscript(
    `# title: seed status
-> {
  "execute": "cxl-release-dynamic-capacity-status",
  "arguments": {
\t\t"path": "/machine/peripheral/cxl-vmem0",
\t\t"host-id": 0,
        "tag": "6be13bce-ae34-4a77-b6c3-16df975fcf1a",
        "region": 0
  }
}
<- {
    "return": {
        "status": "not-found"
    }
}
`,
    "seed.qmp",
  );
  assert.equal(t.steps.length, 2);
  assert.equal(t.steps[1]!.line, 11);
  assert.equal(t.steps[1]!.endLine, 15);
});

Deno.test("parseTranscript errors name file and line and say what was expected", () => {
  const cases: [string, number, RegExp][] = [
    ["-> {}\n", 1, /missing header '# title: \.\.\.'/],
    ['# title: x\n-> {"a": 1,\n   oops}\n', 3, /expected a member name/],
    ['# title: x\n-> {"a": 1\n', 2, /unterminated JSON/],
    ["# title: x\nhello\n", 2, /expected a step marker/],
    ["# title: x\n# colour: red\n", 2, /unknown header key 'colour'/],
    ["# title: x\n<= SUCCESS\n", 2, /without a host step/],
    ["# title: x\n=> dev get-dc-config {}\n<= NOPE\n", 3, /unknown mailbox return code/],
    ["# title: x\n!startup-error boom\n-> {}\n", 3, /must be the only step/],
    [
      "# title: x\n<-[>=10.1] {}\n<-[>=10.1] {}\n",
      3,
      /selector \[>=10\.1\] already has an alternative/,
    ],
    ["# title: x\n-> {} {}\n", 2, /after the JSON value/],
    ["# title: x\n# timeout: soon\n-> {}\n", 2, /expected a positive integer/],
    ["# title: x\n->raw a\\tb\n", 2, /unknown escape/],
  ];
  for (const [text, line, re] of cases) {
    try {
      parseTranscript(text, "bad.qmp");
      assert.fail(`expected an error for ${JSON.stringify(text)}`);
    } catch (e) {
      assert.ok(e instanceof TranscriptError, String(e));
      assert.equal(e.line, line, `${e.message} for ${JSON.stringify(text)}`);
      assert.match(e.message, new RegExp(`^bad\\.qmp:${line}: `));
      assert.match(e.message, re);
    }
  }
});

Deno.test("parseTranscript reads an inline machine and negotiate: no", () => {
  const t = parseTranscript(
    '# title: x\n# machine: -machine q35,cxl=on\n#   -m 2G\n# negotiate: no\n<- {"QMP": "$any"}\n',
    "x.qmp",
  );
  assert.deepEqual(t.header.machine, {
    kind: "inline",
    args: ["-machine", "q35,cxl=on", "-m", "2G"],
  });
  assert.equal(t.header.negotiate, false);
});

Deno.test("escapeText and unescapeText are inverse for newlines and backslashes", () => {
  const s = "a\\b\nc";
  assert.equal(unescapeText(escapeText(s)), s);
});

Deno.test("parseTranscript reads a startup error with escaped newlines", () => {
  const t = parseTranscript("# title: x\n!startup-error line one\\nline two\n", "x.qmp");
  const s = t.steps[0]!;
  assert.equal(s.kind === "startup-error" ? s.text : "", "line one\nline two");
});

Deno.test("the endpoint header says whether a fixture ends or changes its machine", () => {
  assert.equal(
    parseTranscript("# title: x\n# endpoint: ends\n-> {}\n", "a.qmp").header.endpoint,
    "ends",
  );
  assert.equal(
    parseTranscript("# title: x\n# endpoint: changes\n-> {}\n", "a.qmp").header.endpoint,
    "changes",
  );
  assert.equal(parseTranscript("# title: x\n-> {}\n", "a.qmp").header.endpoint, undefined);
  assert.throws(
    () => parseTranscript("# title: x\n# endpoint: quits\n-> {}\n", "a.qmp"),
    /a\.qmp:2: endpoint 'quits': expected 'ends' .* or 'changes'/,
  );
});
