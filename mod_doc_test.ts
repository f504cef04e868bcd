import assert from "node:assert/strict";
import { callables, denoDoc, entryPoints, hiddenDefaults } from "./testing/deno_doc.ts";

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
