/**
 * The CLI as a user runs it: through `deno task` from a directory of their
 * own, as a child process (relative paths, reports written however the run
 * ends).
 */
import assert from "node:assert/strict";

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
