import assert from "node:assert/strict";
import { expectationsFileName, loadExpectations, parseExpectations } from "./expectations.ts";

Deno.test("parseExpectations reads fixture names and reasons", () => {
  const e = parseExpectations('{"host/a.qmp": "segfaults"}', "x.json");
  assert.equal(e.get("host/a.qmp"), "segfaults");
});

Deno.test("parseExpectations rejects non-objects and empty reasons, naming the file", () => {
  assert.throws(() => parseExpectations("[]", "x.json"), /x\.json: expected a JSON object/);
  assert.throws(() => parseExpectations('{"a.qmp": ""}', "x.json"), /reason for 'a\.qmp'/);
  assert.throws(() => parseExpectations("{", "x.json"), /x\.json: not JSON/);
});

Deno.test("expectations files are named TARGET-PROFILE.json and may be absent", async () => {
  assert.equal(expectationsFileName("qemu", "qemu-10.0"), "qemu-qemu-10.0.json");
  const dir = new URL("./testdata/expectations", import.meta.url).pathname;
  assert.equal((await loadExpectations(dir, "fake", "seed")).size, 1);
  assert.equal((await loadExpectations(dir, "fake", "other")).size, 0);
});
