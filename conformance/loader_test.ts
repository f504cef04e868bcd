import assert from "node:assert/strict";
import {
  filterFixtures,
  findFixtureFiles,
  globToRegExp,
  loadFixtures,
  parseShard,
  shardFixtures,
} from "./loader.ts";

const dir = new URL("./testdata/fixtures", import.meta.url).pathname;

Deno.test("loadFixtures walks directories recursively and names fixtures relative to the root", async () => {
  const fx = await loadFixtures([dir], dir);
  assert.deepEqual(fx.map((f) => f.name), [
    "fails.qmp",
    "status.qmp",
    "sub/needs_feature.qmp",
    "sub/qemu_only.qmp",
  ]);
  assert.ok(fx.every((f) => !(f.transcript instanceof Error)));
});

Deno.test("findFixtureFiles expands globs and rejects paths that do not exist", async () => {
  const files = await findFixtureFiles([`${dir}/sub/*.qmp`]);
  assert.equal(files.length, 2);
  const all = await findFixtureFiles([`${dir}/**/*.qmp`]);
  assert.equal(all.length, 4);
  await assert.rejects(() => findFixtureFiles([`${dir}/nope.qmp`]), /does not exist/);
  await assert.rejects(() => findFixtureFiles([`${dir}/*.nothing`]), /no fixture matches/);
});

Deno.test("globToRegExp handles *, ** and ?", () => {
  assert.ok(globToRegExp("a/*.qmp").test("a/b.qmp"));
  assert.ok(!globToRegExp("a/*.qmp").test("a/b/c.qmp"));
  assert.ok(globToRegExp("a/**/*.qmp").test("a/c.qmp"));
  assert.ok(globToRegExp("a/**/*.qmp").test("a/b/c.qmp"));
  assert.ok(globToRegExp("?.qmp").test("x.qmp"));
});

Deno.test("filterFixtures matches globs on names and substrings on names or titles", async () => {
  const fx = await loadFixtures([dir], dir);
  assert.deepEqual(filterFixtures(fx, "sub/*").map((f) => f.name), [
    "sub/needs_feature.qmp",
    "sub/qemu_only.qmp",
  ]);
  assert.deepEqual(filterFixtures(fx, "REPORTS RUNNING").map((f) => f.name), ["status.qmp"]);
});

Deno.test("shards are disjoint, cover every fixture and ignore input order", () => {
  const names = Array.from({ length: 11 }, (_, k) => ({ name: `f${String(k).padStart(2, "0")}` }));
  const shuffled = [...names].reverse();
  const shards = [1, 2, 3].map((i) => shardFixtures(shuffled, i, 3).map((f) => f.name));
  assert.deepEqual(shards.flat().sort(), names.map((n) => n.name));
  assert.equal(new Set(shards.flat()).size, 11);
  assert.deepEqual(shards[0], shardFixtures(names, 1, 3).map((f) => f.name));
});

Deno.test("parseShard accepts i/n and rejects out-of-range values", () => {
  assert.deepEqual(parseShard("2/4"), { index: 2, count: 4 });
  assert.throws(() => parseShard("0/4"), /expected i\/n with 1 <= i <= n/);
  assert.throws(() => parseShard("5/4"), RangeError);
  assert.throws(() => parseShard("x"), RangeError);
});
