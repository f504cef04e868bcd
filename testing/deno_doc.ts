/**
 * The package's public API as `deno doc --json` shows it: the entry points
 * deno.json exports, every function, method and constructor reachable from
 * them with its parameters, and every exported name.
 *
 * @module
 */

/** The repository this module is in. */
export const CHECKOUT: URL = new URL("..", import.meta.url);

/** The package's entry points: deno.json's `exports`, by public name. */
export async function entryPoints(): Promise<Record<string, string>> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", CHECKOUT)));
  const name: string = config.name;
  const out: Record<string, string> = {};
  for (const [sub, file] of Object.entries(config.exports as Record<string, string>)) {
    out[sub === "." ? name : `${name}/${sub.replace(/^\.\//, "")}`] =
      new URL(file, CHECKOUT).pathname;
  }
  return out;
}

/** A parameter as deno doc --json (format version 2) writes it. */
export interface DocParam {
  /** `identifier`, `object`, `array`, `rest`, or `assign` for one with a default. */
  kind: string;
  /** The name of an `identifier` parameter. */
  name?: string;
  /** Whether it is marked optional (`x?: T`). */
  optional?: boolean;
  /** For `assign`: the parameter the default is assigned to. */
  left?: DocParam;
}

/** A function, method or constructor of the public API. */
export interface Callable {
  /** `fn`, `Class.method` or `Class.constructor`. */
  name: string;
  /** Where it is declared, relative to the repository (`path:line`). */
  where: string;
  /** Its parameters. */
  params: DocParam[];
}

interface DocLocation {
  filename: string;
  line: number;
}

interface DocDeclaration {
  kind: string;
  location: DocLocation;
  def: {
    params?: DocParam[];
    target?: DocLocation;
    constructors?: { params: DocParam[]; location: DocLocation; accessibility?: string }[];
    methods?: {
      name: string;
      functionDef: { params: DocParam[] };
      location: DocLocation;
      accessibility?: string;
    }[];
  };
}

/** One exported symbol of one documented module. */
export interface DocSymbol {
  /** The module that exports it (a file URL). */
  module: string;
  /** Its exported name. */
  name: string;
  /** Its declarations (a `reference` one for a re-export by name). */
  declarations: DocDeclaration[];
}

/** Runs `deno doc --json` over files and lists every exported symbol of each. */
export async function denoDoc(files: readonly string[]): Promise<DocSymbol[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", ...files],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(`deno doc --json failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const doc = JSON.parse(new TextDecoder().decode(out.stdout));
  if (doc.version !== 2) throw new Error(`deno doc --json format ${doc.version}, expected 2`);
  return Object.entries(doc.nodes as Record<string, { symbols: DocSymbol[] }>).flatMap((
    [module, node],
  ) => node.symbols.map((s) => ({ ...s, module })));
}

function where(loc: DocLocation): string {
  const root = CHECKOUT.href;
  const file = loc.filename.startsWith(root) ? loc.filename.slice(root.length) : loc.filename;
  return `${file}:${loc.line}`;
}

/**
 * Every function, public method and public constructor declared by the
 * symbols (re-exports by name must point at a declaration among them, or
 * this throws: what it cannot see it cannot check).
 */
export function callables(symbols: readonly DocSymbol[]): Callable[] {
  const declared = new Set<string>();
  const out = new Map<string, Callable>();
  for (const s of symbols) {
    for (const d of s.declarations) {
      if (d.kind === "reference") continue;
      declared.add(where(d.location));
      if (d.kind === "function") {
        const c = { name: s.name, where: where(d.location), params: d.def.params ?? [] };
        out.set(`${c.where} ${c.name}`, c);
      }
      if (d.kind !== "class") continue;
      for (const k of d.def.constructors ?? []) {
        if (k.accessibility === "private") continue;
        const c = { name: `${s.name}.constructor`, where: where(k.location), params: k.params };
        out.set(`${c.where} ${c.name}`, c);
      }
      for (const m of d.def.methods ?? []) {
        if (m.accessibility === "private") continue;
        const c = {
          name: `${s.name}.${m.name}`,
          where: where(m.location),
          params: m.functionDef.params,
        };
        out.set(`${c.where} ${c.name}`, c);
      }
    }
  }
  for (const s of symbols) {
    for (const d of s.declarations) {
      if (d.kind !== "reference" || d.def.target === undefined) continue;
      if (!declared.has(where(d.def.target))) {
        throw new Error(
          `${s.name} (re-exported by ${s.module}) points at ${
            where(d.def.target)
          }, which deno doc did not document`,
        );
      }
    }
  }
  return [...out.values()];
}

/**
 * The parameters deno doc shows as required although the source gives them
 * a default (`x: T = v`): deno doc drops the initialiser, so a caller reads
 * the parameter as one to pass.
 */
export function hiddenDefaults(c: Callable): string[] {
  return c.params.filter((p) => p.kind === "assign").map((p) =>
    p.left?.name ?? p.left?.kind ?? "?"
  );
}

/**
 * Where each exported name of each module is declared: `module URL#name` to
 * the `file:line` of its declarations (a re-export by name counts as the
 * declaration it points at), so two paths that export one thing agree.
 */
export function declarations(symbols: readonly DocSymbol[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const s of symbols) {
    const key = `${s.module}#${s.name}`;
    const at = out.get(key) ?? new Set<string>();
    for (const d of s.declarations) {
      at.add(
        where(d.kind === "reference" && d.def.target !== undefined ? d.def.target : d.location),
      );
    }
    out.set(key, at);
  }
  return out;
}
