/**
 * The bundle cache of `serve`, the fake QEMU: its fifty-odd modules bundled
 * into one file. Deno loads one module of 300 KB several milliseconds faster
 * than fifty small ones (it spends about 0.2 ms on each module), and the fake
 * QEMU's start-up is measured against QEMU's own.
 *
 * - **When the bundle is used:** the manifest next to it names the Deno
 *   version, the entry module and every file the bundle was built from. Those
 *   files are the entry's relative imports, followed through every file, plus
 *   the nearest `deno.json` and `deno.lock`. For each file it keeps the
 *   inode, size, modification time and change time (the stamps git's index
 *   compares), or that the file was missing, and the text of a file changed
 *   within a second before the build. The bundle is used only while all of
 *   these are unchanged; a change to any file, even one that preserves its
 *   modification time, moves its change time.
 * - **Otherwise** `serve` loads its modules from source. Once it listens, it
 *   rebuilds the bundle in the background with `Deno.bundle` (deno.json
 *   enables it with `"unstable": ["bundle"]`), when it may write the cache
 *   folder; on exit it waits for that build. A file that changes while it is
 *   being bundled leaves no bundle.
 * - **Concurrent starts** never see half a file: the bundle and the manifest
 *   are written under temporary names and renamed into place. A bundle that
 *   fails to load means a start from source, never a failed start.
 * - `serve --from-source` skips the cache, and builds nothing.
 *
 * @module
 */

import type { ServeDeps } from "./serve_main.ts";

/** What `serve`'s command module exports (`serve_main.ts`, or its bundle). */
export interface ServeModule {
  /** Runs the command line; resolves with the exit status. */
  main(args: readonly string[], deps?: ServeDeps): Promise<number>;
}

/**
 * A file's stamps as the manifest keeps them (`missing` when there was no
 * file, `unreadable` when it could not be looked at).
 */
export interface FileStamp {
  /** Absolute path. */
  path: string;
  /** The file was not there. */
  missing?: true;
  /** The file could not be looked at (why); never the same as a kept stamp. */
  unreadable?: string;
  /** Inode number. */
  ino?: number | null;
  /** Size in bytes. */
  size?: number;
  /** Modification time, ms since the epoch. */
  mtime?: number | null;
  /** Status change time, ms since the epoch. */
  ctime?: number | null;
  /**
   * The file's text, kept for a file changed within a second before the
   * build (see {@linkcode buildBundle}): its stamps alone could miss a later
   * change in that same second.
   */
  text?: string;
}

/** The manifest of a bundle (`manifest.json` in the cache folder). */
export interface BundleManifest {
  /** Manifest format. */
  format: 1;
  /** The Deno version that built the bundle. */
  deno: string;
  /** Absolute path of the entry module the bundle was built from. */
  entry: string;
  /** The bundle's file name in the cache folder. */
  bundle: string;
  /** Every file the bundle depends on, with its stamps. */
  files: FileStamp[];
}

/** Where the command module came from, and why not from the bundle. */
export interface LoadedServe {
  /** The command module. */
  module: ServeModule;
  /** `bundle` or `source`. */
  from: "bundle" | "source";
  /** Why the bundle was not used (undefined when it was). */
  reason?: string;
}

/** Where `serve`'s command module and its cache are. */
export interface ServeCacheOptions {
  /** The command module (`serve_main.ts`). */
  entry: URL;
  /** The cache folder (`.cache/serve/` of the checkout). */
  dir: URL;
}

/**
 * Outcome of {@linkcode buildBundle}; `unwritable` when the cache folder
 * cannot be written (a read-only checkout: nothing to say about it).
 */
export type BuildOutcome =
  | { built: true; manifest: BundleManifest }
  | { built: false; reason: string; unwritable?: true };

/** Leftovers of a build killed between writing and renaming, removed after this long. */
const TMP_MAX_AGE_MS = 60_000;

const MANIFEST = "manifest.json";
/** A bundle's file name in the cache folder. */
const BUNDLE_NAME = /^serve-[\w-]+\.js$/;
/** A temporary file of {@linkcode writeAtomically} or of the writability probe. */
const TMP_NAME = /\.tmp-\d+-[\w-]+$/;

const tmpName = (name: string) => `${name}.tmp-${Deno.pid}-${crypto.randomUUID()}`;

// A relative specifier after `from` or `import` (static, side-effect and
// dynamic imports, re-exports). Comments are scanned too: that can only add
// files to the manifest, never leave one out.
const RELATIVE_IMPORT = /(?:^|[^\w$.])(?:from|import)\s*\(?\s*(["'`])(\.{1,2}\/[^"'`\n]+)\1/g;
const SCANNED = /\.(?:[cm]?[jt]s|[jt]sx)$/;

/**
 * The text of a file, or undefined when it cannot be read for any reason
 * (its stamp then says missing or unreadable, so the bundle is not used).
 */
function textOrUndefined(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Every file a bundle of `entry` depends on: the entry, the files its
 * relative imports name (followed through every file; a name that is not
 * there is listed too), and the nearest `deno.json` (or `deno.jsonc`) with the
 * `deno.lock` beside it.
 *
 * @example
 * ```ts
 * import { sourceFiles } from "./serve_cache.ts";
 * const files = sourceFiles(new URL("./serve_main.ts", import.meta.url));
 * if (!files.some((f) => f.endsWith("/model/machine.ts"))) throw new Error("the model is in it");
 * ```
 */
export function sourceFiles(entry: URL): string[] {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const url = todo.pop()!;
    const path = decodeURIComponent(url.pathname);
    if (seen.has(path)) continue;
    seen.add(path);
    if (!SCANNED.test(path)) continue;
    const text = textOrUndefined(path);
    if (text === undefined) continue;
    for (const m of text.matchAll(RELATIVE_IMPORT)) todo.push(new URL(m[2]!, url));
  }
  for (let dir = new URL("./", entry);; dir = new URL("../", dir)) {
    const found = ["deno.json", "deno.jsonc"].map((n) => new URL(n, dir)).find((u) =>
      textOrUndefined(decodeURIComponent(u.pathname)) !== undefined
    );
    if (found !== undefined) {
      seen.add(decodeURIComponent(found.pathname));
      seen.add(decodeURIComponent(new URL("deno.lock", dir).pathname));
      break;
    }
    if (dir.pathname === "/") break;
  }
  return [...seen].sort();
}

/** The stamps of each path (see {@linkcode FileStamp}). */
export function stampFiles(paths: readonly string[]): FileStamp[] {
  return paths.map((path) => {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return { path, missing: true };
      return { path, unreadable: (e as Error).message };
    }
    return {
      path,
      ino: info.ino,
      size: info.size,
      mtime: info.mtime?.getTime() ?? null,
      ctime: info.ctime?.getTime() ?? null,
    };
  });
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  if (a.unreadable !== undefined || b.unreadable !== undefined) return false;
  return a.path === b.path && a.missing === b.missing && a.ino === b.ino && a.size === b.size &&
    a.mtime === b.mtime && a.ctime === b.ctime;
}

/** Whether a file is unchanged since its stamp was taken (its text too, when kept). */
function unchanged(kept: FileStamp, now: FileStamp): boolean {
  return sameStamp(kept, now) &&
    (kept.text === undefined || textOrUndefined(kept.path) === kept.text);
}

/**
 * Stamps at the time of a build started at `startMs`: a file whose
 * modification or change time is within a second of it keeps its text too
 * (the change time has whole-second precision here, so another change in
 * that second could leave every stamp as it was; git calls such index
 * entries "racily clean" and compares their content too).
 */
function buildStamps(paths: readonly string[], startMs: number): FileStamp[] {
  const racyFrom = (Math.floor(startMs / 1000) - 1) * 1000;
  return stampFiles(paths).map((st) => {
    if (st.missing || Math.max(st.mtime ?? Infinity, st.ctime ?? Infinity) < racyFrom) return st;
    const text = textOrUndefined(st.path);
    return text === undefined ? st : { ...st, text };
  });
}

/** The manifest in `dir`, or undefined when there is none or it is not one. */
export function readManifest(dir: URL): BundleManifest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Deno.readTextFileSync(new URL(MANIFEST, dir)));
  } catch {
    return undefined;
  }
  const m = value as Partial<BundleManifest> | null;
  if (
    m === null || typeof m !== "object" || m.format !== 1 || typeof m.deno !== "string" ||
    typeof m.entry !== "string" || typeof m.bundle !== "string" ||
    !BUNDLE_NAME.test(m.bundle) ||
    !Array.isArray(m.files) || !m.files.every((f) => typeof f?.path === "string")
  ) {
    return undefined;
  }
  return m as BundleManifest;
}

/**
 * Why the bundle a manifest describes cannot stand for `entry` now, or
 * undefined when it can (same Deno, same entry, every file's stamps the same).
 */
export function staleness(manifest: BundleManifest | undefined, entry: URL): string | undefined {
  if (manifest === undefined) return "no bundle built yet";
  if (manifest.deno !== Deno.version.deno) {
    return `built by Deno ${manifest.deno}, this is ${Deno.version.deno}`;
  }
  if (manifest.entry !== decodeURIComponent(entry.pathname)) {
    return `built from ${manifest.entry}`;
  }
  const now = stampFiles(manifest.files.map((f) => f.path));
  const changed = manifest.files.findIndex((f, i) => !unchanged(f, now[i]!));
  if (changed >= 0) return `${manifest.files[changed]!.path} changed`;
  return undefined;
}

async function importModule(href: string): Promise<ServeModule> {
  const mod = await import(href) as Partial<ServeModule>;
  if (typeof mod.main !== "function") throw new TypeError(`${href} exports no main()`);
  return mod as ServeModule;
}

/**
 * Loads `serve`'s command module: from the bundle when it is fresh (see
 * {@linkcode staleness}), else from source. A bundle that fails to load
 * means the source, with the reason.
 */
export async function loadServe(
  options: ServeCacheOptions & { fromSource?: boolean },
): Promise<LoadedServe> {
  let reason = "--from-source";
  if (options.fromSource !== true && options.entry.protocol === "file:") {
    let manifest: BundleManifest | undefined;
    try {
      manifest = readManifest(options.dir);
      reason = staleness(manifest, options.entry) ?? "";
    } catch (e) {
      reason = `cannot check the bundle: ${(e as Error).message}`;
    }
    if (reason === "") {
      try {
        return {
          module: await importModule(new URL(manifest!.bundle, options.dir).href),
          from: "bundle",
        };
      } catch (e) {
        reason = `the bundle did not load: ${(e as Error).message}`;
      }
    }
  } else if (options.fromSource !== true) {
    reason = `${options.entry.protocol} modules are not cached`;
  }
  return { module: await importModule(options.entry.href), from: "source", reason };
}

type BundleFn = (options: {
  entrypoints: string[];
  write: false;
  platform: "deno";
  format: "esm";
}) => Promise<{
  success: boolean;
  errors: { text?: string }[];
  outputFiles?: { hash?: string; text(): string }[];
}>;

function bundleApi(): BundleFn | undefined {
  const fn = (Deno as unknown as { bundle?: unknown }).bundle;
  return typeof fn === "function" ? fn as BundleFn : undefined;
}

/**
 * Whether this process can build the bundle: `Deno.bundle` is there
 * (deno.json's `"unstable": ["bundle"]`) and it may write `dir`.
 */
export function canBuild(options: ServeCacheOptions): boolean {
  if (bundleApi() === undefined || options.entry.protocol !== "file:") return false;
  const path = decodeURIComponent(options.dir.pathname);
  return Deno.permissions.querySync({ name: "write", path }).state === "granted" &&
    Deno.permissions.querySync({ name: "read", path }).state === "granted";
}

function writeAtomically(dir: URL, name: string, text: string): void {
  const tmp = new URL(tmpName(name), dir);
  Deno.writeTextFileSync(tmp, text);
  try {
    Deno.renameSync(tmp, new URL(name, dir));
  } catch (e) {
    Deno.removeSync(tmp);
    throw e;
  }
}

/**
 * Bundles `options.entry` into `options.dir` and writes its manifest; older
 * bundles there are removed, and temporary files older than a minute (of a
 * build that was killed). Nothing is written when the folder cannot be
 * written, when `Deno.bundle` fails, when the bundle reads `import.meta` (it
 * would mean the cache folder, not the module's own place), when it holds a
 * module the import scan did not find (it would not be stamped), or when a
 * file changed while it was bundled.
 *
 * @example
 * ```ts ignore
 * import { buildBundle } from "./serve_cache.ts";
 * const r = await buildBundle({
 *   entry: new URL("./serve_main.ts", import.meta.url),
 *   dir: new URL("../.cache/serve/", import.meta.url),
 * });
 * console.log(r.built ? r.manifest.bundle : r.reason);
 * ```
 */
export async function buildBundle(options: ServeCacheOptions): Promise<BuildOutcome> {
  const bundle = bundleApi();
  if (bundle === undefined) {
    return {
      built: false,
      reason: 'Deno.bundle is not enabled (deno.json: "unstable": ["bundle"])',
    };
  }
  try {
    Deno.mkdirSync(options.dir, { recursive: true });
    const probe = new URL(tmpName(".probe"), options.dir);
    Deno.writeTextFileSync(probe, "");
    Deno.removeSync(probe);
  } catch (e) {
    return {
      built: false,
      reason: `cannot write ${decodeURIComponent(options.dir.pathname)}: ${(e as Error).message}`,
      unwritable: true,
    };
  }
  const paths = sourceFiles(options.entry);
  const before = buildStamps(paths, Date.now());
  let result;
  try {
    result = await bundle({
      entrypoints: [decodeURIComponent(options.entry.pathname)],
      write: false,
      platform: "deno",
      format: "esm",
    });
  } catch (e) {
    return { built: false, reason: `Deno.bundle failed: ${(e as Error).message}` };
  }
  const out = result.outputFiles?.[0];
  if (!result.success || out === undefined) {
    const first = result.errors[0]?.text ?? "no output";
    return { built: false, reason: `Deno.bundle failed: ${first}` };
  }
  const text = out.text();
  if (text.includes("import.meta")) {
    return {
      built: false,
      reason: "the bundle reads import.meta, which would mean the cache folder",
    };
  }
  // Every module the bundler took (its `// path` markers, relative to the
  // working directory) must be one the manifest stamps.
  const stamped = new Set(paths);
  const cwd = new URL(`file://${Deno.cwd().replace(/\/?$/, "/")}`);
  for (const m of text.matchAll(/^\/\/ (\S.*\.(?:[cm]?[jt]sx?|json))$/gm)) {
    const p = decodeURIComponent(new URL(m[1]!, cwd).pathname);
    if (!stamped.has(p)) {
      return { built: false, reason: `the bundle holds ${p}, which the import scan did not find` };
    }
  }
  // Unchanged files import what they imported: the same files, stamped again.
  const after = stampFiles(paths);
  if (after.some((s, i) => !unchanged(before[i]!, s))) {
    return { built: false, reason: "a source file changed while it was bundled" };
  }
  const hash = (out.hash ?? crypto.randomUUID()).replace(/[^\w-]/g, "").slice(0, 24);
  const name = `serve-${hash}.js`;
  const manifest: BundleManifest = {
    format: 1,
    deno: Deno.version.deno,
    entry: decodeURIComponent(options.entry.pathname),
    bundle: name,
    files: before,
  };
  writeAtomically(options.dir, name, text);
  writeAtomically(options.dir, MANIFEST, JSON.stringify(manifest, null, 1) + "\n");
  const now = Date.now();
  for (const e of Deno.readDirSync(options.dir)) {
    if (!e.isFile || e.name === name) continue;
    const file = new URL(e.name, options.dir);
    try {
      if (BUNDLE_NAME.test(e.name)) Deno.removeSync(file);
      else if (TMP_NAME.test(e.name)) {
        const mtime = Deno.statSync(file).mtime?.getTime() ?? now;
        if (now - mtime > TMP_MAX_AGE_MS) Deno.removeSync(file);
      }
    } catch { /* another serve removed it */ }
  }
  return { built: true, manifest };
}

/** How long `serve` waits on exit for a bundle build it started. */
export const BUILD_WAIT_MS = 10_000;

/**
 * Runs `serve`: loads its command module (see {@linkcode loadServe}) and
 * runs it; after a start from source it rebuilds the bundle once the server
 * listens (see {@linkcode buildBundle}), and waits for that build on exit.
 * A build that fails is said on stderr (unless `--quiet`; a cache folder that
 * cannot be written is not said); the exit status is the command's.
 */
export async function runServe(
  args: readonly string[],
  options: ServeCacheOptions,
): Promise<number> {
  const dash = args.indexOf("--");
  const own = dash < 0 ? args : args.slice(0, dash);
  const fromSource = own.includes("--from-source");
  const quiet = own.includes("--quiet");
  const loaded = await loadServe({ ...options, fromSource });
  let build: Promise<void> | undefined;
  const deps: ServeDeps = {};
  if (loaded.from === "source" && !fromSource && canBuild(options)) {
    deps.onListening = () => {
      build ??= buildBundle(options).then(
        (r) => {
          if (!r.built && r.unwritable !== true && !quiet) {
            console.error(`serve: bundle cache not refreshed: ${r.reason}`);
          }
        },
        (e) => {
          if (!quiet) console.error(`serve: bundle cache not refreshed: ${(e as Error).message}`);
        },
      );
    };
  }
  const status = await loaded.module.main(args, deps);
  if (build !== undefined) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([build, new Promise((r) => timer = setTimeout(r, BUILD_WAIT_MS))]);
    clearTimeout(timer);
  }
  return status;
}
