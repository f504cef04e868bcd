import assert from "node:assert/strict";
import { main } from "./cli.ts";

const dir = new URL("./testdata/fixtures", import.meta.url).pathname;

async function run(args: string[]) {
  let out = "";
  let err = "";
  let built = 0;
  const code = await main(args, {
    createTargets: () => {
      built++;
      return Promise.reject(new Error("no target should be built for a refused command line"));
    },
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    tty: false,
  });
  return { code, out, err, built };
}

Deno.test("a misspelt option is refused with exit 2 and the nearest option of that subcommand", async () => {
  for (
    const [args, meant] of [
      [["conform", "--fitler", "x", dir], "--filter"],
      [["conform", "--reportr", "json", dir], "--reporter"],
      [["conform", "--expectation", dir, dir], "--expectations"],
      [["record", "--dryrun", dir], "--dry-run"],
      [["record", "--profle", "seed", dir], "--profile"],
      [["lint", "--machine", dir, dir], "--machines"],
    ] as const
  ) {
    const r = await run([...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, new RegExp(`unknown option '${args[1]}': did you mean ${meant}\\?`));
    assert.match(r.err, new RegExp(`\\(see ${args[0]} --help\\)`));
  }
  const far = await run(["conform", "--bogus", dir]);
  assert.equal(far.code, 2);
  assert.match(far.err, /unknown option '--bogus'\n/, "no suggestion when nothing is near");
});

Deno.test("an option of another subcommand is refused, naming the subcommands that take it", async () => {
  const r = await run(["lint", "--target", "qemu", dir]);
  assert.equal(r.code, 2);
  assert.match(r.err, /lint: option '--target' belongs to conform and record, not lint/);
  const d = await run(["conform", "--dry-run", dir]);
  assert.equal(d.code, 2);
  assert.match(d.err, /conform: option '--dry-run' belongs to record, not conform/);
});

Deno.test("--qemu without --target qemu is refused instead of ignored", async () => {
  const none = await run(["conform", "--qemu", "/opt/q/qemu-system-x86_64", dir]);
  assert.equal(none.code, 2);
  assert.match(
    none.err,
    /--qemu applies to --target qemu \(no --target given: the target is model\); did you mean --target qemu --qemu \/opt\/q\/qemu-system-x86_64\?/,
  );
  const other = await run(["conform", "--target", "model", "--qemu", "q", dir]);
  assert.equal(other.code, 2);
  assert.match(other.err, /the target is model\); did you mean --target qemu --qemu q\?/);
  const rec = await run(["record", "--target", "model", "--qemu", "q", dir]);
  assert.equal(rec.code, 2);
  assert.match(rec.err, /--qemu applies to --target qemu/);
  assert.equal(none.built + other.built + rec.built, 0);
});

Deno.test("a missing --expectations, --machines or --root directory is refused before anything runs", async () => {
  for (
    const [option, what] of [
      ["--expectations", "a directory of TARGET-PROFILE.json files"],
      ["--machines", "a directory of machine presets"],
      ["--root", "the directory fixture names are relative to"],
    ]
  ) {
    const r = await run(["conform", option!, "/nonexistent/dir", dir]);
    assert.equal(r.code, 2, r.err);
    assert.ok(
      r.err.includes(`${option} '/nonexistent/dir': no such directory (expected ${what})`),
      r.err,
    );
    assert.equal(r.built, 0);
  }
  const file = new URL("./testdata/fixtures/status.qmp", import.meta.url).pathname;
  const notDir = await run(["conform", "--expectations", file, dir]);
  assert.equal(notDir.code, 2);
  assert.match(notDir.err, /no such directory/);
  const lint = await run(["lint", "--machines", "/nonexistent/m", dir]);
  assert.equal(lint.code, 2);
  assert.match(lint.err, /--machines '\/nonexistent\/m': no such directory/);
});

Deno.test("--output in a missing directory is refused before the run, not after it", async () => {
  const r = await run(["conform", "--output", "/nonexistent/dir/report.xml", dir]);
  assert.equal(r.code, 2);
  assert.match(
    r.err,
    /--output '\/nonexistent\/dir\/report\.xml': no directory '\/nonexistent\/dir'/,
  );
  assert.equal(r.built, 0);
});
