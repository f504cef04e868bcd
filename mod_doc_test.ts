import assert from "node:assert/strict";
import {
  callables,
  CHECKOUT,
  declarations,
  denoDoc,
  entryPoints,
  hiddenDefaults,
} from "./testing/deno_doc.ts";
import { exampleImports, exampleImportsOf } from "./testing/jsdoc_examples.ts";

/** Root functions whose trailing parameter is optional: deno doc must say so (`name?`). */
const OPTIONAL_PARAMETERS: Record<string, string> = {
  listAllExtents: "chunk",
  acceptOffer: "opts",
  loadFixtures: "root",
  formatJson: "options",
  modelTarget: "opts",
  qmpTarget: "opts",
};

interface DocParam {
  kind: string;
  name?: string;
  optional?: boolean;
}

Deno.test("optional parameters of root functions are documented as optional, not as required with a hidden default", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", new URL("./mod.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const doc = JSON.parse(new TextDecoder().decode(out.stdout));
  const symbols: { name: string; declarations: { kind: string; def: { params: DocParam[] } }[] }[] =
    Object.values(doc.nodes as Record<string, { symbols: unknown[] }>).flatMap((n) =>
      n.symbols as never[]
    );
  for (const [fn, param] of Object.entries(OPTIONAL_PARAMETERS)) {
    const decl = symbols.find((s) => s.name === fn)?.declarations.find((d) =>
      d.kind === "function"
    );
    assert.ok(decl !== undefined, `${fn} is a root function`);
    const p = decl.def.params.find((x) => x.name === param);
    assert.ok(
      p !== undefined,
      `${fn} has a parameter ${param}: ${JSON.stringify(decl.def.params)}`,
    );
    assert.deepEqual(
      { kind: p.kind, optional: p.optional },
      { kind: "identifier", optional: true },
      fn,
    );
  }
});

Deno.test("no parameter of the public API is documented as required while it has a default", async () => {
  const symbols = await denoDoc(Object.values(await entryPoints()));
  const all = callables(symbols);
  // Not vacuous: the four entry points declare a few hundred callables.
  assert.ok(all.length > 200, `only ${all.length} functions, methods and constructors found`);
  const offenders = all.flatMap((c) =>
    hiddenDefaults(c).map((p) => `${c.where}: ${c.name}(${p} = ...): write ${p}?: T`)
  );
  assert.deepEqual(offenders, []);
});

Deno.test("a parameter with a default is what the hidden-default check finds, and x?: T is not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cxl-dcd-doc-" });
  try {
    const file = `${dir}/m.ts`;
    await Deno.writeTextFile(
      file,
      [
        "/** f */",
        "export function f(a: number, b: { x?: number } = {}, c?: string): void {}",
        "/** C */",
        "export class C {",
        "  /** c */",
        "  constructor(o: number = 1) {}",
        "  /** m */",
        "  m(n?: number): void {}",
        "}",
      ].join("\n"),
    );
    const found = callables(await denoDoc([file])).map((c) => [c.name, hiddenDefaults(c)]);
    assert.deepEqual(found.sort(), [["C.constructor", ["o"]], ["C.m", []], ["f", ["b"]]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("JSDoc examples import what an entry point exports from that entry point, not by a relative path", async () => {
  const entries = Object.entries(await entryPoints());
  const exported = declarations(await denoDoc(entries.map(([, file]) => file)));
  const imports = await exampleImports(CHECKOUT.pathname);
  const relative = imports.filter((i) => i.resolved !== undefined);
  const moduleUrl = (path: string) => new URL(path, CHECKOUT).href;
  const modules = [...new Set(relative.map((i) => i.resolved!))];
  const declared = declarations(await denoDoc(modules.map((m) => new URL(m, CHECKOUT).pathname)));
  const offenders: string[] = [];
  for (const i of relative) {
    for (const name of i.names) {
      const at = declared.get(`${moduleUrl(i.resolved!)}#${name}`);
      assert.ok(at !== undefined, `${i.file}:${i.line}: ${i.resolved} exports no ${name}`);
      const publicAt = entries.filter(([, file]) =>
        [...exported.get(`${new URL(`file://${file}`).href}#${name}`) ?? []].some((w) => at.has(w))
      ).map(([pub]) => pub);
      if (publicAt.length > 0) {
        offenders.push(
          `${i.file}:${i.line}: ${name} is imported from "${i.specifier}"; import it from "${
            publicAt.join('" or "')
          }"`,
        );
      }
    }
  }
  // Not vacuous: most examples import public paths, the rest internal helpers.
  const fromPublic = imports.filter((i) => i.specifier.startsWith("@cxl-dcd/conformance"));
  assert.ok(fromPublic.length > 100, `${fromPublic.length} examples import a public path`);
  assert.ok(relative.length > 50, `${relative.length} examples import an internal module`);
  assert.deepEqual(offenders, []);
});

Deno.test("the example scan finds imports in fenced blocks of JSDoc comments only, with their line", () => {
  const text = [
    "/**", // 1
    ' * Prose: import { notCode } from "./x.ts" is not an example.', // 2
    " *", // 3
    " * @example", // 4
    " * ```ts", // 5
    ' * import { a, type B as C } from "./a.ts";', // 6
    " * import {", // 7
    " *   d,", // 8
    ' * } from "@cxl-dcd/conformance";', // 9
    " * ```", // 10
    " */", // 11
    'import { real } from "./real.ts";', // 12
  ].join("\n");
  assert.deepEqual(exampleImportsOf("dir/f.ts", text), [
    { file: "dir/f.ts", line: 6, names: ["a", "B"], specifier: "./a.ts", resolved: "dir/a.ts" },
    { file: "dir/f.ts", line: 7, names: ["d"], specifier: "@cxl-dcd/conformance" },
  ]);
});
