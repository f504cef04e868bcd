import { deepStrictEqual as assertEquals } from "node:assert";
import {
  binaryKey,
  detectCapabilities,
  fetchProbe,
  readCachedCapabilities,
  schemaFacts,
  writeCachedCapabilities,
} from "./capabilities.ts";
import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import { createMachine } from "../../model/mod.ts";
import { QEMU_10_0, SEED } from "../../model/profile.ts";
import { modelFeatures } from "../features.ts";
import { QmpClient } from "../../qmp/client.ts";
import { QmpServer } from "../../qmp/server.ts";
import { DCD_1X2G } from "./test_util.ts";

/** A schema shaped like QEMU 10.0.2's: masked type names, object-add's boxed union. */
function schema(options: { tagged: boolean; status: boolean }): QmpValue {
  const backends = ["memory-backend-file", "memory-backend-ram"];
  if (options.tagged) backends.push("memory-backend-tagged");
  const entries: QmpValue[] = [
    { name: "query-version", "meta-type": "command", "arg-type": "0", "ret-type": "1" },
    { name: "object-add", "meta-type": "command", "arg-type": "190", "ret-type": "0" },
    {
      name: "190",
      "meta-type": "object",
      tag: "qom-type",
      members: [{ name: "qom-type", type: "461" }, { name: "id", type: "str" }],
      variants: backends.map((b, i) => ({ case: b, type: `${500 + i}` })),
    },
    { name: "461", "meta-type": "enum", values: ["authz-list", ...backends] },
    {
      name: "cxl-add-dynamic-capacity",
      "meta-type": "command",
      "arg-type": "7",
      "ret-type": "0",
      features: ["unstable"],
    },
    {
      name: "cxl-release-dynamic-capacity",
      "meta-type": "command",
      "arg-type": "8",
      "ret-type": "0",
      features: ["unstable"],
    },
  ];
  if (options.status) {
    entries.push({
      name: "cxl-release-dynamic-capacity-status",
      "meta-type": "command",
      "arg-type": "9",
      "ret-type": "10",
    });
  }
  return entries;
}

const V10_0 = { qemu: { major: 10, minor: 0, micro: 2 }, package: "Debian" };

Deno.test("object-add's qom-type values are reached through its arg-type", () => {
  const facts = schemaFacts(schema({ tagged: true, status: false }));
  assertEquals(facts.objectTypes.has("memory-backend-tagged"), true);
  assertEquals(facts.objectTypes.has("authz-list"), true);
  assertEquals(facts.commands.has("object-add"), true);
  assertEquals(facts.commands.has("190"), false);
});

Deno.test("a variant case counts as an object type even when the enum misses it", () => {
  const facts = schemaFacts([
    { name: "object-add", "meta-type": "command", "arg-type": "1" },
    {
      name: "1",
      "meta-type": "object",
      tag: "qom-type",
      members: [],
      variants: [{ case: "x", type: "2" }],
    },
  ]);
  assertEquals([...facts.objectTypes], ["x"]);
});

Deno.test("stock QEMU 10.0 is profile qemu-10.0 with dcd and no seed features", () => {
  const caps = detectCapabilities({
    version: V10_0,
    schema: schema({ tagged: false, status: false }),
    type3Properties: [{ name: "num-dc-regions", type: "uint8" }],
  }, { hostSide: true });
  assertEquals(caps.profile, "qemu-10.0");
  assertEquals([...caps.features].sort(), ["compat-policy", "dcd", "host"]);
  assertEquals(caps.hostSide, true);
});

Deno.test("a build with tagged backends and release status on a 10.1.50 tree is the seed profile, with a development-tree note", () => {
  const caps = detectCapabilities({
    version: { qemu: { major: 10, minor: 1, micro: 50 }, package: "" },
    schema: schema({ tagged: true, status: true }),
    type3Properties: [{ name: "dc-regions-total-size", type: "size" }],
  }, { hostSide: false });
  assertEquals(caps.profile, "seed");
  assertEquals(caps.release, { major: 10, minor: 1 });
  assertEquals(caps.version, { major: 10, minor: 1, micro: 50, package: "" });
  assertEquals(
    caps.profileNote,
    "QEMU 10.1.50 is a development tree after 10.1: judged as seed (the seed's features on qemu-10.1)",
  );
  assertEquals([...caps.features].sort(), [
    "compat-policy",
    "dc-regions-total-size",
    "dcd",
    "fm-api-dcd",
    "memory-backend-tagged",
    "release-status",
    "tag-based-release",
    "tags-in-events",
  ]);
});

Deno.test("a seed build on another base is that release plus seed; a newer release gets the nearest older profile and a note", () => {
  const seed11 = detectCapabilities({
    version: { qemu: { major: 11, minor: 1, micro: 3 }, package: "" },
    schema: schema({ tagged: true, status: true }),
    type3Properties: [],
  }, { hostSide: true });
  assertEquals(seed11.profile, "qemu-11.1+seed");
  assertEquals(seed11.profileNote, undefined);
  const future = detectCapabilities({
    version: { qemu: { major: 12, minor: 0, micro: 1 }, package: "" },
    schema: schema({ tagged: false, status: false }),
    type3Properties: [],
  }, { hostSide: true });
  assertEquals(future.profile, "qemu-11.1");
  assertEquals(future.release, { major: 11, minor: 1 });
  assertEquals(
    future.profileNote,
    "QEMU 12.0.1 is newer than every profile: judged as qemu-11.1, the nearest older release; differences since are not modelled yet",
  );
});

Deno.test("half a seed build is not seed: tag-based release stays undetected", () => {
  const caps = detectCapabilities({
    version: { qemu: { major: 10, minor: 2, micro: 2 } },
    schema: schema({ tagged: true, status: false }),
    type3Properties: undefined,
  }, { hostSide: true });
  assertEquals(caps.profile, "qemu-10.2");
  assertEquals(caps.features.has("tag-based-release"), false);
  assertEquals(caps.features.has("fm-api-dcd"), true);
});

Deno.test("capabilities round-trip through the cache, keyed by binary", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const caps = detectCapabilities({
      version: V10_0,
      schema: schema({ tagged: false, status: false }),
      type3Properties: [],
    }, { hostSide: true });
    assertEquals(await readCachedCapabilities("k1", dir), undefined);
    await writeCachedCapabilities("k1", caps, dir);
    assertEquals(await readCachedCapabilities("k1", dir), caps);
    assertEquals(await readCachedCapabilities("k2", dir), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the cache key changes with the binary's size and mtime", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bin = `${dir}/qemu`;
    await Deno.writeTextFile(bin, "a");
    const k1 = await binaryKey(bin);
    await Deno.writeTextFile(bin, "ab");
    const k2 = await binaryKey(bin);
    assertEquals(typeof k1, "string");
    assertEquals(k1 === k2, false);
    assertEquals(await binaryKey(`${dir}/missing`), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("detection over the model's own QMP answers finds each profile's features", () => {
  for (const profile of [QEMU_10_0, SEED]) {
    const machine = createMachine(DCD_1X2G, { profile });
    const ask = (command: string, args?: QmpObject): QmpValue | undefined => {
      const r = machine.execute(command, args);
      return "return" in r ? r.return : undefined;
    };
    const caps = detectCapabilities({
      version: ask("query-version") ?? null,
      schema: ask("query-qmp-schema") ?? null,
      type3Properties: ask("device-list-properties", { typename: "cxl-type3" }),
    }, { hostSide: true });
    assertEquals(caps.profile, profile.name);
    const expected = [...modelFeatures(profile)].filter((f) => f !== "model").sort();
    // FM-API DCD is not visible over QMP: detection infers it from the version (10.1 and
    // later), which is where the model's profiles offer it.
    assertEquals([...caps.features].sort(), expected);
  }
});

Deno.test("detection over the model served on a QMP socket tells stock 10.0 from a seed build", async () => {
  for (const profile of [QEMU_10_0, SEED]) {
    const dir = await Deno.makeTempDir({ prefix: "caps-served-" });
    const server = await QmpServer.listen({
      machine: createMachine(DCD_1X2G, { profile }),
      listen: [`unix:${dir}/qmp.sock`],
    });
    const client = await QmpClient.connect(`unix:${dir}/qmp.sock`);
    try {
      await client.negotiate();
      const caps = detectCapabilities(
        await fetchProbe((command, args) => client.execute(command, args)),
        { hostSide: true },
      );
      assertEquals(caps.profile, profile.name);
      assertEquals(caps.features.has("memory-backend-tagged"), profile.tagged.taggedBackends);
      assertEquals(caps.features.has("release-status"), profile.tagged.releaseStatus);
      assertEquals(caps.features.has("dc-regions-total-size"), profile.tagged.lazyDevices);
      assertEquals(caps.features.has("dcd"), true);
    } finally {
      await client.close();
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  }
});
