import assert from "node:assert/strict";

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
