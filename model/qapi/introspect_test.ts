import { deepStrictEqual, ok } from "node:assert";
import { QEMU_10_0, SEED } from "../profile.ts";
import type { Profile } from "../profile.ts";
import type { QmpObject } from "../qmp_value.ts";
import { introspect } from "./introspect.ts";
import { buildSchema } from "./schema.ts";

function entries(p: Profile): Map<string, QmpObject> {
  return new Map(introspect(buildSchema(p)).map((e) => [String(e["name"]), e]));
}

/** Feature detection as a client does it against QEMU: object-add's qom-type enum. */
function objectTypes(p: Profile): string[] {
  const s = entries(p);
  const argType = s.get(String(s.get("object-add")?.["arg-type"]));
  const members = argType?.["members"] as QmpObject[];
  const qomType = members.find((m) => m["name"] === "qom-type");
  return s.get(String(qomType?.["type"]))?.["values"] as string[];
}

Deno.test("memory-backend-tagged is in object-add's qom-type enum exactly in seed", () => {
  ok(objectTypes(SEED).includes("memory-backend-tagged"));
  ok(!objectTypes(QEMU_10_0).includes("memory-backend-tagged"));
  ok(objectTypes(QEMU_10_0).includes("memory-backend-ram"));
  deepStrictEqual(objectTypes(QEMU_10_0).length, 49);
});

Deno.test("qemu-10.0 has QEMU's 8 cxl commands; seed adds the release status command", () => {
  const cxl = (p: Profile) =>
    [...entries(p).values()]
      .filter((e) => e["meta-type"] === "command" && String(e["name"]).startsWith("cxl-"))
      .map((e) => e["name"]);
  deepStrictEqual(cxl(QEMU_10_0).length, 8);
  deepStrictEqual(cxl(SEED).length, 9);
  ok(cxl(SEED).includes("cxl-release-dynamic-capacity-status"));
});

Deno.test("entries use QEMU's introspection format (verified against 10.0.2)", () => {
  const s = entries(QEMU_10_0);
  const add = s.get("cxl-add-dynamic-capacity");
  deepStrictEqual(add?.["features"], ["unstable"]);
  deepStrictEqual(s.get(String(add?.["ret-type"])), {
    name: "0",
    members: [],
    "meta-type": "object",
  });
  const args = s.get(String(add?.["arg-type"]));
  const members = args?.["members"] as QmpObject[];
  deepStrictEqual(members.map((m) => m["name"]), [
    "path",
    "host-id",
    "selection-policy",
    "region",
    "tag",
    "extents",
  ]);
  deepStrictEqual(members[1], { name: "host-id", type: "int" });
  deepStrictEqual(members[4], { name: "tag", default: null, type: "str" });
  ok(/^[0-9]+$/.test(String(members[2]?.["type"])), "type names are masked as numbers");
  const policy = s.get(String(members[2]?.["type"]));
  deepStrictEqual(policy?.["values"], [
    "free",
    "contiguous",
    "prescriptive",
    "enable-shared-access",
  ]);
  deepStrictEqual(policy?.["members"], [
    { name: "free" },
    { name: "contiguous" },
    { name: "prescriptive" },
    { name: "enable-shared-access" },
  ]);
  deepStrictEqual(s.get("int"), { name: "int", "json-type": "int", "meta-type": "builtin" });
  deepStrictEqual(s.get("SHUTDOWN")?.["meta-type"], "event");
});
