/**
 * Every command's `--help` fits a terminal: no line wider than 100 columns,
 * and no line joined by a stray line continuation in its template (a run of
 * spaces in the middle of a line that is not an option table's gap).
 */
import assert from "node:assert/strict";

const COMMANDS: readonly (readonly string[])[] = [
  ["conformance/cli.ts", "conform", "--help"],
  ["conformance/cli.ts", "record", "--help"],
  ["conformance/cli.ts", "lint", "--help"],
  ["conformance/diff/cli.ts", "--help"],
  ["qmp/serve.ts", "--help"],
  ["bench/main.ts", "--help"],
];

for (const [file, ...args] of COMMANDS) {
  Deno.test(`${file} ${args.join(" ")} fits 100 columns and has no joined lines`, async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", new URL(`../${file}`, import.meta.url).pathname, ...args],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
    const lines = text.split("\n");
    assert.ok(lines.length > 5, text);
    for (const line of lines) {
      assert.ok(line.length <= 100, `${line.length} columns: ${line}`);
      // An example or sentence that ran into the next line through `\` + newline.
      assert.doesNotMatch(line, /\S {6,}--\S/, `joined lines: ${line}`);
    }
  });
}
