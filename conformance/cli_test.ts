import assert from "node:assert/strict";
import { main, type TargetFactory } from "./cli.ts";
import { fakeTarget } from "./testdata/fake_target.ts";
import { respond } from "./testdata/fake_responder.ts";
import { parseXml } from "./testdata/xml_check.ts";

const dir = new URL("./testdata/fixtures", import.meta.url).pathname;
const expectations = new URL("./testdata/expectations", import.meta.url).pathname;

const factory: TargetFactory = (spec, options) => {
  if (spec !== "fake") return Promise.reject(new TypeError(`unknown target '${spec}'`));
  return Promise.resolve(options.profiles.map((p) => fakeTarget({ respond, profile: p.name })));
};

async function run(args: string[]) {
  let out = "";
  let err = "";
  const code = await main(args, {
    createTargets: factory,
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    tty: false,
  });
  return { code, out, err };
}

const base = ["conform", "--target", "fake", "--root", dir];

Deno.test("conform exits 0 when every failure is expected", async () => {
  const r = await run([...base, "--expectations", expectations, dir]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /XFAIL fake\[seed\] fails\.qmp/);
  assert.ok(r.out.includes("PASS  fake[seed] status.qmp"));
  assert.match(r.out, /\nok\n$/);
});

Deno.test("conform exits 1 on a failure and prints it with file and line", async () => {
  const none = await Deno.makeTempDir({ prefix: "cli-no-expectations-" });
  const r = await run([...base, "--expectations", none, dir]);
  await Deno.remove(none);
  assert.equal(r.code, 1);
  assert.match(r.out, /fails\.qmp:5: the message differs/);
  assert.match(r.out, /FAILED \(1\)/);
});

Deno.test("conform exits 2 on usage errors", async () => {
  assert.equal((await run([...base, "--reporter", "xml", dir])).code, 2);
  assert.equal((await run([...base, "--shard", "3/2", dir])).code, 2);
  assert.equal((await run([...base, "--jobs", "zero", dir])).code, 2);
  assert.equal((await run(["conform", "--target", "nope", dir])).code, 2);
  assert.equal((await run(["conform", "--bogus"])).code, 2);
  const r = await run([...base, "--profile", "nope", dir]);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown profile 'nope'/);
});

Deno.test("conform --profile all runs every profile side by side and filters apply", async () => {
  const r = await run([
    ...base,
    "--profile",
    "all",
    "--filter",
    "status.qmp",
    "--reporter",
    "json",
    dir,
  ]);
  assert.equal(r.code, 0, r.err);
  const v = JSON.parse(r.out);
  assert.deepEqual(v.summaries.map((s: { target: string }) => s.target), [
    "fake[qemu-10.0]",
    "fake[qemu-10.1]",
    "fake[qemu-10.2]",
    "fake[qemu-11.1]",
    "fake[seed]",
  ]);
  assert.equal(v.results.length, 5);
});

Deno.test("conform writes a JUnit report to --output", async () => {
  const file = await Deno.makeTempFile({ suffix: ".xml" });
  try {
    const r = await run([
      ...base,
      "--expectations",
      expectations,
      "--reporter",
      "junit",
      "--output",
      file,
      dir,
    ]);
    assert.equal(r.code, 0);
    const root = parseXml(await Deno.readTextFile(file));
    const suite = root.children[0]!;
    assert.equal(suite.children.filter((c) => c.name === "testcase").length, 4);
    // The suite says which profile judged the target.
    assert.equal(suite.children[0]!.name, "properties");
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("conform --shard runs a disjoint part", async () => {
  const a = JSON.parse((await run([...base, "--shard", "1/2", "--reporter", "json", dir])).out);
  const b = JSON.parse((await run([...base, "--shard", "2/2", "--reporter", "json", dir])).out);
  const names = [...a.results, ...b.results].map((r: { fixture: string }) => r.fixture).sort();
  assert.deepEqual(names, [
    "fails.qmp",
    "status.qmp",
    "sub/needs_feature.qmp",
    "sub/qemu_only.qmp",
  ]);
});

Deno.test("--help prints usage with examples and exits 0", async () => {
  const c = await run(["conform", "--help"]);
  assert.equal(c.code, 0);
  assert.match(c.out, /Examples:/);
  const r = await run(["record", "--help"]);
  assert.equal(r.code, 0);
  assert.match(r.out, /record --target qemu fixtures\/upstream\/foo\.qmp/);
});

Deno.test("record --dry-run prints the change and leaves the file alone", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const file = `${tmp}/x.qmp`;
    const text = '# title: x\n-> {"execute": "query-status"}\n<- {"return": {}}\n';
    await Deno.writeTextFile(file, text);
    const r = await run(["record", "--target", "fake", "--dry-run", file]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\+<- \{"return": \{"status": "running", "running": true\}\}/);
    assert.equal(await Deno.readTextFile(file), text);
    const w = await run(["record", "--target", "fake", file]);
    assert.equal(w.code, 0, w.err);
    assert.match(await Deno.readTextFile(file), /"running": true/);
    assert.match((await run(["record", "--target", "fake", file])).out, /unchanged/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("record without --target is a usage error", async () => {
  assert.equal((await run(["record", dir])).code, 2);
});

Deno.test("a fixture that does not load stops conform before anything runs: exit 2, FILE:LINE once", async () => {
  const bad = await Deno.makeTempDir({ prefix: "cli-bad-" });
  try {
    await Deno.writeTextFile(
      `${bad}/ok.qmp`,
      '# title: ok\n-> {"execute": "x"}\n<- {"return": {}}\n',
    );
    await Deno.writeTextFile(`${bad}/typo.qmp`, "# title: t\n# requires: dcdd\n-> {}\n");
    let started = 0;
    const counting: TargetFactory = () => {
      const t = fakeTarget({ respond });
      const start = t.start.bind(t);
      t.start = (m, s) => {
        started++;
        return start(m, s);
      };
      return Promise.resolve([t]);
    };
    let out = "";
    let err = "";
    const code = await main(["conform", "--target", "fake", "--root", bad, bad], {
      createTargets: counting,
      stdout: (t) => (out += t),
      stderr: (t) => (err += t),
      tty: false,
    });
    assert.equal(code, 2, out + err);
    assert.equal(started, 0);
    assert.equal(err.match(/typo\.qmp:2: unknown feature 'dcdd'/g)?.length, 1, err);
    assert.ok(!/typo\.qmp:2: .*typo\.qmp:2:/.test(err), "the location is not doubled");
    assert.match(err, /1 fixture\(s\) do not load: nothing was run/);
  } finally {
    await Deno.remove(bad, { recursive: true });
  }
});

Deno.test("lint checks fixtures without a target and exits 2 on a problem", async () => {
  const ok = await run(["lint", dir]);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /4 fixture\(s\) load cleanly/);
  const bad = await Deno.makeTempDir({ prefix: "cli-lint-" });
  try {
    await Deno.writeTextFile(`${bad}/m.qmp`, "# title: m\n# machine: no-such-preset\n-> {}\n");
    const r = await run(["lint", "--root", bad, bad]);
    assert.equal(r.code, 2);
    assert.match(r.err, /m\.qmp:1: .*no-such-preset/);
    assert.match(r.out, /1 of 1 fixture\(s\) do not load/);
  } finally {
    await Deno.remove(bad, { recursive: true });
  }
});
