/**
 * The CLI as a user runs it: through `deno task` from a directory of their
 * own, as a child process (relative paths, reports written however the run
 * ends).
 */
import assert from "node:assert/strict";
import { availableQemu } from "./qemu/test_util.ts";

const config = new URL("../deno.json", import.meta.url).pathname;
const statusFixture = new URL("./testdata/fixtures/status.qmp", import.meta.url).pathname;
const failsFixture = new URL("./testdata/fixtures/fails.qmp", import.meta.url).pathname;

/** The environment of a user's shell: no INIT_CWD inherited from the `npx deno test` above us. */
function shellEnv(): Record<string, string> {
  const env = Deno.env.toObject();
  delete env["INIT_CWD"];
  return { ...env, NO_COLOR: "1" };
}

async function task(cwd: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "--config", config, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: shellEnv(),
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

Deno.test("deno task conform, record and lint resolve relative paths against the caller's directory", async () => {
  const home = await Deno.makeTempDir({ prefix: "cli-cwd-" });
  try {
    await Deno.mkdir(`${home}/mine/sub`, { recursive: true });
    await Deno.copyFile(statusFixture, `${home}/mine/sub/status.qmp`);
    await Deno.copyFile(failsFixture, `${home}/mine/fails.qmp`);
    await Deno.mkdir(`${home}/known`);
    await Deno.writeTextFile(
      `${home}/known/model-seed.json`,
      JSON.stringify({ "fails.qmp": "the fixture expects a command the model does not have" }),
    );
    const conform = await task(home, [
      "conform",
      "--root",
      "mine",
      "--expectations",
      "known",
      "--reporter",
      "json",
      "--output",
      "report.json",
      "mine",
    ]);
    assert.equal(conform.code, 0, conform.text);
    const report = JSON.parse(await Deno.readTextFile(`${home}/report.json`));
    assert.deepEqual(
      report.results.map((r: { fixture: string; outcome: string }) => `${r.fixture} ${r.outcome}`),
      ["fails.qmp expected-failure", "sub/status.qmp passed"],
    );
    const lint = await task(home, ["lint-fixtures", "mine/sub/status.qmp"]);
    assert.equal(lint.code, 0, lint.text);
    assert.match(lint.text, /1 fixture\(s\) load cleanly/);
    const record = await task(home, ["record", "--target", "model", "--dry-run", "mine/fails.qmp"]);
    assert.equal(record.code, 0, record.text);
    assert.match(record.text, /mine\/fails\.qmp/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

const cli = new URL("./cli.ts", import.meta.url).pathname;

/** A fixture that waits (up to --timeout) for an event that never comes: the run is mid-fixture. */
const HANG = `# title: waits for an event that never comes

-> {"execute": "query-status"}
<- {"return": {"status": "running", "running": true}}
<- {"event": "NEVER_HAPPENS", "data": {}, "timestamp": "$timestamp"}
`;

/** A directory with one quick fixture and one that hangs, and a private TMPDIR. */
async function hangingRun(): Promise<{ home: string; tmp: string }> {
  const home = await Deno.makeTempDir({ prefix: "cli-interrupt-" });
  await Deno.mkdir(`${home}/fx`);
  await Deno.mkdir(`${home}/tmp`);
  await Deno.copyFile(statusFixture, `${home}/fx/a-status.qmp`);
  await Deno.writeTextFile(`${home}/fx/b-hang.qmp`, HANG);
  return { home, tmp: `${home}/tmp` };
}

/** Starts conform as a child, waits until the first fixture passed, sends `signal`. */
async function interruptAfterFirstPass(
  home: string,
  args: string[],
  signal: Deno.Signal,
  whileRunning: (pid: number) => Promise<void> | void = () => {},
): Promise<{ code: number; text: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", cli, "conform", "--root", `${home}/fx`, ...args, `${home}/fx`],
    cwd: home,
    env: { NO_COLOR: "1", TMPDIR: `${home}/tmp` },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/PASS .*a-status\.qmp/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  assert.match(text, /PASS .*a-status\.qmp/, "the first fixture ran");
  // The hanging fixture has started once its machine exists.
  const deadline = Date.now() + 10_000;
  while ([...Deno.readDirSync(`${home}/tmp`)].length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await whileRunning(child.pid);
  child.kill(signal);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const status = await child.status;
  return { code: status.code, text: text + (await stderr) };
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
    const list = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/children`).trim();
    if (list !== "") out.push(...list.split(/\s+/).map(Number));
  }
  return out;
}

/** Whether a pid is a live process (not gone, not a zombie awaiting its reaper). */
function alive(pid: number): boolean {
  try {
    const state = Deno.readTextFileSync(`/proc/${pid}/stat`).replace(/^.*\) /, "")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

Deno.test("--output is written with what ran when the capability probe fails", async () => {
  const home = await Deno.makeTempDir({ prefix: "cli-probe-" });
  try {
    const qemu = `${home}/broken-qemu`;
    await Deno.writeTextFile(
      qemu,
      "#!/bin/sh\necho 'qemu-system-x86_64: cannot load the firmware' >&2\nexit 1\n",
    );
    await Deno.chmod(qemu, 0o755);
    for (const [reporter, file] of [["json", "r.json"], ["junit", "r.xml"], ["tap", "r.tap"]]) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all",
          cli,
          "conform",
          "--target",
          "qemu",
          "--qemu",
          qemu,
          "--reporter",
          reporter!,
          "--output",
          file!,
          statusFixture,
        ],
        cwd: home,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const said = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, said);
      const text = await Deno.readTextFile(`${home}/${file}`);
      if (reporter === "json") {
        const v = JSON.parse(text);
        assert.equal(v.ok, false);
        assert.match(v.interrupted, /capability probe/);
        assert.deepEqual(v.results, []);
      } else if (reporter === "junit") {
        assert.match(text, /<testsuites [^>]*errors="1"/);
        assert.match(text, /<error message="target qemu did not answer its capability probe/);
      } else {
        assert.match(text, /^1\.\.0$/m);
        assert.match(text, /^Bail out! target qemu did not answer its capability probe/m);
      }
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("SIGTERM mid-run writes --output with the fixtures that finished, marked interrupted, and removes the model socket's directory", async () => {
  const { home, tmp } = await hangingRun();
  try {
    const r = await interruptAfterFirstPass(home, [
      "--target",
      "model-socket",
      "--timeout",
      "60000",
      "--reporter",
      "json",
      "--output",
      "out.json",
    ], "SIGTERM");
    assert.equal(r.code, 143, r.text);
    assert.match(r.text, /INTERRUPTED: interrupted by SIGTERM after 1 fixture run\(s\)/);
    const v = JSON.parse(await Deno.readTextFile(`${home}/out.json`));
    assert.equal(v.ok, false);
    assert.equal(v.interrupted, "interrupted by SIGTERM after 1 fixture run(s)");
    assert.deepEqual(v.results.map((x: { fixture: string }) => x.fixture), ["a-status.qmp"]);
    assert.equal(v.summaries[0].passed, 1);
    assert.deepEqual([...Deno.readDirSync(tmp)].map((e) => e.name), [], "no temp dir left");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

const qemu = availableQemu("the CLI's SIGHUP and file-descriptor exhaustion tests on QEMU");

Deno.test({
  name:
    "SIGHUP to the runner alone kills its QEMU, removes every temp dir and writes --output, like SIGTERM",
  ignore: qemu === undefined,
  async fn() {
    const { home, tmp } = await hangingRun();
    try {
      let children: number[] = [];
      const r = await interruptAfterFirstPass(
        home,
        [
          "--target",
          "qemu",
          "--qemu",
          qemu!,
          "--jobs",
          "1",
          "--timeout",
          "60000",
          "--reporter",
          "tap",
          "--output",
          "out.tap",
        ],
        "SIGHUP",
        async (pid) => {
          // The directory exists before QEMU does (its firmware image is written there first).
          const until = Date.now() + 10_000;
          while ((children = childrenOf(pid)).length === 0 && Date.now() < until) {
            await new Promise((r) => setTimeout(r, 20));
          }
        },
      );
      assert.equal(r.code, 129, r.text);
      assert.equal(children.length, 1, "one QEMU was running when SIGHUP came");
      const deadline = Date.now() + 5000;
      while (children.some(alive) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual(children.filter(alive), [], "no QEMU outlives the runner");
      assert.deepEqual([...Deno.readDirSync(tmp)].map((e) => e.name), [], "no temp dir left");
      const tap = await Deno.readTextFile(`${home}/out.tap`);
      assert.match(tap, /^ok 1 - qemu\[.*\] a-status\.qmp$/m);
      assert.match(tap, /^Bail out! interrupted by SIGHUP after 1 fixture run\(s\)$/m);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "out of file descriptors, the QEMU target leaves no empty temp dirs and says what ran out and what to do",
  ignore: qemu === undefined,
  async fn() {
    const { home, tmp } = await hangingRun();
    try {
      for (let i = 0; i < 24; i++) await Deno.copyFile(statusFixture, `${home}/fx/s${i}.qmp`);
      await Deno.remove(`${home}/fx/b-hang.qmp`);
      const out = await new Deno.Command("bash", {
        args: [
          "-c",
          // 34 descriptors: enough for Deno and a few QEMUs, not for 12 at once.
          `ulimit -n 34 && exec "$0" run --allow-all "$1" conform --target qemu --qemu "$2" --jobs 12 --root fx fx`,
          Deno.execPath(),
          cli,
          qemu!,
        ],
        cwd: home,
        env: { NO_COLOR: "1", TMPDIR: tmp },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 1, text);
      assert.match(
        text,
        /the runner is out of file descriptors \(.*\): raise the limit \(ulimit -n\) or run fewer fixtures at once \(--jobs\)/,
      );
      assert.deepEqual([...Deno.readDirSync(tmp)].map((e) => e.name), [], "no temp dir left");
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});
