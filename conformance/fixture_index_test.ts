/**
 * fixtures/README.md indexes the catalogue: its total, each area's count,
 * and one row per fixture whose "pins" text is the fixture's title. The
 * index cannot drift from the files.
 */
import assert from "node:assert/strict";
import { loadFixtures } from "./loader.ts";

const ROOT = new URL("../fixtures", import.meta.url).pathname;

Deno.test("fixtures/README.md lists every fixture once, under its area, with its title, and counts them right", async () => {
  const text = await Deno.readTextFile(`${ROOT}/README.md`);
  const fixtures = await loadFixtures([ROOT], ROOT);
  const titles = new Map(
    fixtures.map((f) => [f.name, f.transcript instanceof Error ? "" : f.transcript.header.title]),
  );
  const areas = [...text.matchAll(/^### ([^ ]+)\/ — .*\((\d+)\)$/gm)].map((m) => ({
    area: m[1]!,
    count: Number(m[2]),
  }));
  const total = /^(\d+) fixtures in (\d+) areas\.$/m.exec(text);
  assert.ok(total !== null, "the index says 'N fixtures in M areas.'");
  assert.equal(Number(total[1]), fixtures.length, "the total");
  assert.equal(Number(total[2]), areas.length, "the number of areas");
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  assert.equal(
    /^(\d+) transcripts in QEMU's own/m.exec(readme)?.[1],
    String(fixtures.length),
    "README.md's count of transcripts",
  );
  const perArea = new Map<string, number>();
  for (const f of fixtures) {
    const area = f.name.slice(0, f.name.lastIndexOf("/"));
    perArea.set(area, (perArea.get(area) ?? 0) + 1);
  }
  assert.deepEqual(
    Object.fromEntries(areas.map((a) => [a.area, a.count])),
    Object.fromEntries(perArea),
    "each area's count, and every area with fixtures has a section",
  );
  const rows = [...text.matchAll(/^\| \[([^\]]+)\]\(([^)]+)\) +\| (.*?) +\|$/gm)];
  const listed = rows.map((r) => r[2]!);
  assert.deepEqual([...listed].sort(), [...titles.keys()].sort(), "one row per fixture");
  for (const r of rows) {
    assert.equal(
      r[1],
      r[2]!.slice(r[2]!.lastIndexOf("/") + 1),
      `${r[2]}: the link text is its file name`,
    );
    assert.equal(r[3], titles.get(r[2]!), `${r[2]}: the row pins what its title says`);
  }
});

Deno.test("README.md counts the seed build's expectations and its NULL-tag crash as the file lists them", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const file = JSON.parse(await Deno.readTextFile(`${ROOT}/expectations/qemu-seed.json`)) as Record<
    string,
    string
  >;
  const reasons = Object.values(file);
  const said = /lists its (\d+) differences with their reasons \((\d+) of them one\s+crash/.exec(
    readme,
  );
  assert.ok(said !== null, "README.md says how many differences the seed build has");
  assert.equal(Number(said[1]), reasons.length, "the number of entries");
  assert.equal(
    Number(said[2]),
    reasons.filter((r) => r.includes("qemu_uuid_parse(NULL)")).length,
    "the entries that are the NULL-tag crash",
  );
});
