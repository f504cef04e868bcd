import assert from "node:assert/strict";

const script = new URL("./testdata/define_fixture_tests.ts", import.meta.url).pathname;

async function denoTest(env: Record<string, string>): Promise<{ code: number; out: string }> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", "--no-check", script],
    env: { ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
  const r = await cmd.output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

Deno.test("defineFixtureTests registers one test per fixture and ignores those that do not apply", async () => {
  const { code, out } = await denoTest({});
  assert.equal(code, 0, out);
  assert.match(out, /fake\[seed\] status\.qmp: query-status reports running \.\.\. ok/);
  assert.match(out, /fake\[seed\] fails\.qmp: a fixture the fake target fails \.\.\. ok/);
  assert.match(out, /sub\/qemu_only\.qmp: only where DCD is absent \.\.\. ignored/);
  assert.match(out, /ok \| 2 passed \| 0 failed \| 2 ignored/);
});

Deno.test("defineFixtureTests fails the test of a fixture that fails without an expectation", async () => {
  const { code, out } = await denoTest({ EXPECT: "none" });
  assert.notEqual(code, 0);
  assert.match(out, /fails\.qmp: a fixture the fake target fails \.\.\. FAILED/);
  assert.match(out, /fails\.qmp:5: the message differs at \$/);
});

Deno.test("defineFixtureTests with jobs runs the fixtures as steps of one test", async () => {
  const { code, out } = await denoTest({ JOBS: "3" });
  assert.equal(code, 0, out);
  assert.match(out, /ok \| 1 passed \(2 steps\) \| 0 failed \| 0 ignored \(2 steps\)/);
});
