import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import {
  buildBundle,
  type BundleManifest,
  loadServe,
  readManifest,
  runServe,
  type ServeModule,
  sourceFiles,
  staleness,
} from "./serve_cache.ts";
import { connectWhenListening, inTempDir } from "./testing/files.ts";
import { RawReader } from "./testing/raw_reader.ts";
import { DCD_MACHINE, quietServeArgs } from "./testing/machines.ts";

const SERVE_MAIN = new URL("./serve_main.ts", import.meta.url);

const inTempUrl = (fn: (dir: URL) => Promise<void> | void) =>
  inTempDir("serve-cache-test-", (path) => fn(new URL(`file://${path}/`)));

/** A tiny project: deno.json, src/main.ts -> ./value.ts -> ../lib/base.ts. */
function writeProject(root: URL, value: string): URL {
  Deno.mkdirSync(new URL("src/", root));
  Deno.mkdirSync(new URL("lib/", root));
  Deno.writeTextFileSync(new URL("deno.json", root), "{}\n");
  Deno.writeTextFileSync(
    new URL("src/main.ts", root),
    [
      'import { value } from "./value.ts";',
      '// an example in a comment: import { x } from "./gone.ts";',
      "export function main(_args: readonly string[]): Promise<number> {",
      "  return Promise.resolve(value());",
      "}",
      "",
    ].join("\n"),
  );
  writeValue(root, value);
  Deno.writeTextFileSync(new URL("lib/base.ts", root), "export const BASE = 40;\n");
  return new URL("src/main.ts", root);
}

function writeValue(root: URL, value: string): void {
  Deno.writeTextFileSync(
    new URL("src/value.ts", root),
    `import { BASE } from "../lib/base.ts";\nexport const value = (): number => BASE + ${value};\n`,
  );
}

const path = (u: URL) => decodeURIComponent(u.pathname);

Deno.test("sourceFiles follows relative imports through every file, lists names that are not there, and the nearest deno.json and deno.lock", async () => {
  await inTempUrl((root) => {
    const entry = writeProject(root, "2");
    assertEquals(
      sourceFiles(entry),
      [
        path(new URL("deno.json", root)),
        path(new URL("deno.lock", root)),
        path(new URL("lib/base.ts", root)),
        path(new URL("src/gone.ts", root)),
        path(new URL("src/main.ts", root)),
        path(new URL("src/value.ts", root)),
      ].sort(),
    );
  });
});

Deno.test("a bundle stands for its sources only while every file keeps its stamps: an edit that restores the modification time still makes it stale", async () => {
  await inTempUrl(async (root) => {
    const entry = writeProject(root, "2");
    const dir = new URL(".cache/", root);
    const options = { entry, dir };
    assertEquals(staleness(readManifest(dir), entry), "no bundle built yet");
    const built = await buildBundle(options);
    ok(built.built, built.built ? "" : built.reason);
    assertEquals(staleness(readManifest(dir), entry), undefined);
    let loaded = await loadServe(options);
    assertEquals([loaded.from, await loaded.module.main([])], ["bundle", 42]);

    const value = path(new URL("src/value.ts", root));
    const before = Deno.statSync(value);
    // Most likely within the second of the build: the change time (whole
    // seconds) may not move, so the text kept for such a file must tell.
    await new Promise((r) => setTimeout(r, 20));
    writeValue(root, "3"); // same size
    Deno.utimeSync(value, before.atime!, before.mtime!);
    assertEquals(Deno.statSync(value).mtime?.getTime(), before.mtime?.getTime());
    assertEquals(staleness(readManifest(dir), entry), `${value} changed`);
    loaded = await loadServe(options);
    assertEquals([loaded.from, loaded.reason, await loaded.module.main([])], [
      "source",
      `${value} changed`,
      43,
    ]);

    // A file named by an import that appears later makes it stale too.
    ok((await buildBundle(options)).built);
    Deno.writeTextFileSync(new URL("src/gone.ts", root), "export const x = 1;\n");
    assertEquals(
      staleness(readManifest(dir), entry),
      `${path(new URL("src/gone.ts", root))} changed`,
    );
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(names.length, 2, `one bundle and its manifest, older bundles removed: ${names}`);
  });
});

Deno.test("another Deno, another entry or an unreadable manifest means the source, saying why", async () => {
  await inTempUrl(async (root) => {
    const entry = writeProject(root, "2");
    const dir = new URL(".cache/", root);
    const built = await buildBundle({ entry, dir });
    ok(built.built);
    const m: BundleManifest = built.manifest;
    assertEquals(
      staleness({ ...m, deno: "1.0.0" }, entry),
      `built by Deno 1.0.0, this is ${Deno.version.deno}`,
    );
    assertEquals(
      staleness({ ...m, entry: "/elsewhere/main.ts" }, entry),
      "built from /elsewhere/main.ts",
    );
    Deno.writeTextFileSync(new URL("manifest.json", dir), "{not json");
    assertEquals(readManifest(dir), undefined);
    Deno.writeTextFileSync(
      new URL("manifest.json", dir),
      JSON.stringify({ ...m, bundle: "../x.js" }),
    );
    assertEquals(readManifest(dir), undefined, "a bundle name outside the cache folder is refused");
    const loaded = await loadServe({ entry, dir });
    assertEquals([loaded.from, loaded.reason], ["source", "no bundle built yet"]);
  });
});

Deno.test("a bundle that fails to load means a start from source, with the reason", async () => {
  await inTempUrl(async (root) => {
    const entry = writeProject(root, "2");
    const dir = new URL(".cache/", root);
    const built = await buildBundle({ entry, dir });
    ok(built.built);
    Deno.writeTextFileSync(new URL(built.manifest.bundle, dir), "export const main = ;\n");
    const loaded = await loadServe({ entry, dir });
    assertEquals(loaded.from, "source");
    ok(loaded.reason?.startsWith("the bundle did not load:"), loaded.reason);
    assertEquals(await loaded.module.main([]), 42);
  });
});

/** One QMP session's raw bytes against a served machine (greeting, commands, an error, quit). */
async function session(module: ServeModule, dir: URL, name: string): Promise<string> {
  const sock = path(new URL(`${name}.sock`, dir));
  const done = module.main(quietServeArgs(sock), { stderr: () => {}, stdout: () => {} });
  const conn = await connectWhenListening(sock);
  const raw = new RawReader(conn);
  const lines = () => raw.text.split("\n").length - 1;
  await raw.readUntil(() => lines() >= 1, 5000);
  const input = [
    { execute: "qmp_capabilities", id: 1 },
    { execute: "query-version" },
    { execute: "query-status", id: "s" },
    { execute: "cxl-release-dynamic-capacity", arguments: { path: "/nope" } },
    { execute: "quit" },
  ];
  for (const [i, cmd] of input.entries()) {
    await conn.write(new TextEncoder().encode(JSON.stringify(cmd) + "\n"));
    await raw.readUntil(() => lines() >= i + 2, 5000);
  }
  await raw.readUntil(() => false, 200); // the SHUTDOWN event, then the end
  conn.close();
  assertEquals(await done, 0);
  return raw.text;
}

Deno.test("serve's own bundle reads no import.meta and serves the same bytes as its source", async () => {
  await inTempUrl(async (dir) => {
    const built = await buildBundle({ entry: SERVE_MAIN, dir });
    ok(built.built, built.built ? "" : built.reason);
    const files = built.manifest.files.map((f) => f.path);
    ok(files.some((f) => f.endsWith("/model/machine.ts")), "the model is among its sources");
    ok(files.some((f) => f.endsWith("/deno.json")), "deno.json is among its sources");
    const bundled = await loadServe({ entry: SERVE_MAIN, dir });
    assertEquals(bundled.from, "bundle");
    const source = await loadServe({ entry: SERVE_MAIN, dir, fromSource: true });
    assertEquals([source.from, source.reason], ["source", "--from-source"]);
    // Timestamps of events are the clock's, not the code's.
    const clock = (t: string) => t.replace(/"seconds": \d+, "microseconds": \d+/g, "TIME");
    const a = clock(await session(bundled.module, dir, "bundle"));
    const b = clock(await session(source.module, dir, "source"));
    assertEquals(a, b);
    ok(a.includes('"return": {"status": "running"'), a);
    ok(a.includes('"event": "SHUTDOWN"'), a);
  });
});

Deno.test("runServe rebuilds the bundle after a start from source, once it listens, and waits for it on exit", async () => {
  await inTempUrl(async (dir) => {
    const sock = path(new URL("q.sock", dir));
    const run = runServe(
      ["--quiet", "--", ...DCD_MACHINE, "-qmp", `unix:${sock},server=on,wait=off`],
      { entry: SERVE_MAIN, dir },
    );
    const conn = await connectWhenListening(sock);
    await conn.write(
      new TextEncoder().encode('{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n'),
    );
    const raw = new RawReader(conn);
    await raw.readUntil(() => false, 300);
    conn.close();
    assertEquals(await run, 0);
    assertEquals(staleness(readManifest(dir), SERVE_MAIN), undefined, "a fresh bundle on exit");
    assertEquals((await loadServe({ entry: SERVE_MAIN, dir })).from, "bundle");
  });
});

Deno.test("runServe --from-source neither uses nor builds the bundle", async () => {
  await inTempUrl(async (dir) => {
    const status = await runServe(["--from-source", "--help"], { entry: SERVE_MAIN, dir });
    assertEquals(status, 0);
    assertEquals([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("a manifest naming a path that cannot be looked at means the source, not a failed start", async () => {
  await inTempUrl(async (root) => {
    const entry = writeProject(root, "2");
    const dir = new URL(".cache/", root);
    const built = await buildBundle({ entry, dir });
    ok(built.built);
    const blocked = path(new URL("src/main.ts/inner.ts", root)); // under a file: ENOTDIR
    const m = {
      ...built.manifest,
      files: [...built.manifest.files, { path: blocked, missing: true as const }],
    };
    Deno.writeTextFileSync(new URL("manifest.json", dir), JSON.stringify(m));
    const loaded = await loadServe({ entry, dir });
    assertEquals([loaded.from, loaded.reason], ["source", `${blocked} changed`]);
    assertEquals(await loaded.module.main([]), 42);
  });
});

Deno.test("no bundle is built when it holds a module the import scan did not find (an absolute specifier)", async () => {
  await inTempUrl(async (root) => {
    const entry = writeProject(root, "2");
    const abs = path(new URL("lib/abs.ts", root));
    Deno.writeTextFileSync(abs, "export const ABS = 0;\n");
    Deno.writeTextFileSync(
      new URL("lib/base.ts", root),
      `import { ABS } from "${abs}";\nexport const BASE = 40 + ABS;\n`,
    );
    const dir = new URL(".cache/", root);
    const r = await buildBundle({ entry, dir });
    assertEquals(r, {
      built: false,
      reason: `the bundle holds ${abs}, which the import scan did not find`,
    });
    assertEquals(readManifest(dir), undefined);
  });
});

Deno.test("a cache folder that cannot be written builds nothing and says so only in the outcome", async () => {
  await inTempUrl(async (root) => {
    const entry = writeProject(root, "2");
    const dir = new URL("src/main.ts/cache/", root); // under a file
    const r = await buildBundle({ entry, dir });
    ok(
      !r.built && r.unwritable === true && r.reason.startsWith("cannot write "),
      JSON.stringify(r),
    );
  });
});

Deno.test("a build removes older bundles and temporary files older than a minute, not fresh ones", async () => {
  await inTempUrl(async (root) => {
    const entry = writeProject(root, "2");
    const dir = new URL(".cache/", root);
    Deno.mkdirSync(dir);
    const old = new URL("serve-old.js.tmp-1-abc", dir);
    const fresh = new URL("manifest.json.tmp-2-def", dir);
    Deno.writeTextFileSync(new URL("serve-older.js", dir), "");
    Deno.writeTextFileSync(old, "");
    Deno.writeTextFileSync(fresh, "");
    const longAgo = new Date(Date.now() - 120_000);
    Deno.utimeSync(old, longAgo, longAgo);
    const r = await buildBundle({ entry, dir });
    ok(r.built);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(names, ["manifest.json", "manifest.json.tmp-2-def", r.manifest.bundle].sort());
  });
});

Deno.test("files last changed over a second before the build keep only their stamps, and an edit moves them", async () => {
  await inTempUrl(async (root) => {
    const entry = writeProject(root, "2");
    await new Promise((r) => setTimeout(r, 2100)); // out of the racy second
    const dir = new URL(".cache/", root);
    const built = await buildBundle({ entry, dir });
    ok(built.built);
    ok(built.manifest.files.every((f) => f.text === undefined), "no text kept");
    assertEquals(staleness(readManifest(dir), entry), undefined);
    const value = path(new URL("src/value.ts", root));
    writeValue(root, "5");
    assertEquals(staleness(readManifest(dir), entry), `${value} changed`);
  });
});
