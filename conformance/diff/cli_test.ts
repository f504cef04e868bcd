import { ok, strictEqual } from "node:assert";
import { join } from "node:path";
import { main } from "./cli.ts";
import { KNOWN_CRASHES } from "./exclusions.ts";

function io() {
  const out: string[] = [], err: string[] = [];
  return {
    out,
    err,
    io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) },
  };
}

Deno.test("--help lists every option and every known crash class, exit 0", async () => {
  const c = io();
  strictEqual(await main(["--help"], c.io), 0);
  const text = c.out.join("");
  for (
    const o of [
      "--a",
      "--b",
      "--programs",
      "--seed",
      "--steps",
      "--budget",
      "--topology",
      "--json",
      "--out",
    ]
  ) {
    ok(text.includes(o), `--help lacks ${o}`);
  }
  for (const k of KNOWN_CRASHES) ok(text.includes(k.name), `--help lacks ${k.name}`);
});

Deno.test("usage errors exit 2 and say what was expected", async () => {
  for (
    const [args, says] of [
      [[], "--b is missing"],
      [["--b", "bogus"], "expected model, model:PROFILE, qemu or qemu:PATH"],
      [["--b", "model", "--programs", "x"], "--programs is 'x'"],
      [["--b", "model", "--topology", "three"], "unknown topology 'three'"],
      [["--b", "model", "--include-known", "nope"], "unknown known-crash class 'nope'"],
      [["--b", "model", "--frobnicate"], "frobnicate"],
    ] as const
  ) {
    const c = io();
    strictEqual(await main([...args], c.io), 2, args.join(" "));
    ok(c.err.join("").includes(says), `${args.join(" ")}: ${c.err.join("")}`);
  }
});

Deno.test("model against itself exits 0 with a coverage table; a changed profile exits 1 and writes fixtures", async () => {
  const same = io();
  strictEqual(
    await main(["--a", "model:qemu-10.0", "--b", "model:qemu-10.0", "--programs", "10"], same.io),
    0,
  );
  ok(same.out.join("").includes("no divergence, no crash"));
  ok(same.out.join("").includes("get-dc-config: SUCCESS"), "no coverage table");
  ok(same.err.join("").includes("[10/10]"), "no progress on stderr");
  const dir = await Deno.makeTempDir();
  try {
    const diff = io();
    const code = await main([
      "--a",
      "model:qemu-10.0",
      "--b",
      "model:qemu-11.1",
      "--programs",
      "20",
      "--out",
      dir,
      "--json",
      join(dir, "report.json"),
    ], diff.io);
    strictEqual(code, 1);
    const report = JSON.parse(await Deno.readTextFile(join(dir, "report.json")));
    ok(report.findings.length > 0);
    const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".qmp"));
    strictEqual(files.length, report.findings.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
