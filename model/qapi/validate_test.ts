import { deepStrictEqual, ok, throws } from "node:assert";
import { QEMU_10_0 } from "../profile.ts";
import { buildSchema } from "./schema.ts";
import { QapiError, Validator } from "./validate.ts";
import type { QmpObject } from "../qmp_value.ts";

const v = new Validator(buildSchema(QEMU_10_0));
const P = "/machine/peripheral/cxl-vmem0";

function addArgs(over: QmpObject = {}): QmpObject {
  return {
    path: P,
    "host-id": 0,
    "selection-policy": "prescriptive",
    region: 0,
    extents: [{ offset: 0, len: 2097152 }],
    ...over,
  };
}

function message(argType: string | undefined, args: QmpObject | undefined): string {
  try {
    v.validateArguments(argType, args);
  } catch (e) {
    if (e instanceof QapiError) return e.desc;
    throw e;
  }
  return "(accepted)";
}

const ADD = "cxl-add-dynamic-capacity:args";

/** Messages observed on QEMU 10.0.2 for cxl-add-dynamic-capacity. */
const CASES: [string, QmpObject | undefined, string][] = [
  ["absent arguments", undefined, "Parameter 'path' is missing"],
  ["empty arguments", {}, "Parameter 'path' is missing"],
  ["only path", { path: P }, "Parameter 'host-id' is missing"],
  ["string for a uint8", addArgs({ region: "x" }), "Parameter 'region' expects uint64"],
  ["fraction for a uint8", addArgs({ region: 1.5 }), "Parameter 'region' expects uint64"],
  ["boolean for a uint8", addArgs({ region: true }), "Parameter 'region' expects uint64"],
  [
    "negative uint8 wraps then overflows",
    addArgs({ region: -1 }),
    "Parameter 'region' expects uint8_t",
  ],
  ["256 for a uint8", addArgs({ region: 256 }), "Parameter 'region' expects uint8_t"],
  [
    "u64 max for a uint8",
    addArgs({ region: 18446744073709551615n }),
    "Parameter 'region' expects uint8_t",
  ],
  ["1e30 for a uint8", addArgs({ region: 1e30 }), "Parameter 'region' expects uint64"],
  [
    "below int64 for a uint8",
    addArgs({ region: -9223372036854775809n }),
    "Parameter 'region' expects uint64",
  ],
  ["65536 for a uint16", addArgs({ "host-id": 65536 }), "Parameter 'host-id' expects uint16_t"],
  ["-1 for a uint16", addArgs({ "host-id": -1 }), "Parameter 'host-id' expects uint16_t"],
  ["string for a uint16", addArgs({ "host-id": "a" }), "Parameter 'host-id' expects uint64"],
  [
    "bad enum value",
    addArgs({ "selection-policy": "bogus" }),
    "Parameter 'selection-policy' does not accept value 'bogus'",
  ],
  [
    "number for an enum",
    addArgs({ "selection-policy": 5 }),
    "Invalid parameter type for 'selection-policy', expected: string",
  ],
  [
    "number for a string",
    addArgs({ path: 5 }),
    "Invalid parameter type for 'path', expected: string",
  ],
  [
    "null for a string",
    addArgs({ path: null }),
    "Invalid parameter type for 'path', expected: string",
  ],
  [
    "null for an optional string",
    addArgs({ tag: null }),
    "Invalid parameter type for 'tag', expected: string",
  ],
  [
    "object for a list",
    addArgs({ extents: {} }),
    "Invalid parameter type for 'extents', expected: array",
  ],
  [
    "string for a list",
    addArgs({ extents: "x" }),
    "Invalid parameter type for 'extents', expected: array",
  ],
  [
    "number in a list of structs",
    addArgs({ extents: [1] }),
    "Invalid parameter type for 'extents[0]', expected: object",
  ],
  [
    "string for a nested uint64",
    addArgs({ extents: [{ offset: "a", len: 1 }] }),
    "Parameter 'extents[0].offset' expects uint64",
  ],
  [
    "2^64 for a uint64",
    addArgs({ extents: [{ offset: 18446744073709551616n, len: 2097152 }] }),
    "Parameter 'extents[0].offset' expects uint64",
  ],
  [
    "missing nested member",
    addArgs({ extents: [{ len: 2097152 }] }),
    "Parameter 'extents[0].offset' is missing",
  ],
  [
    "unexpected nested member",
    addArgs({ extents: [{ offset: 0, len: 2097152, x: 1 }] }),
    "Parameter 'extents[0].x' is unexpected",
  ],
  [
    "second element checked after the first",
    addArgs({ extents: [{ offset: 0, len: 2097152 }, { offset: "b" }] }),
    "Parameter 'extents[1].offset' expects uint64",
  ],
  ["one unexpected member", addArgs({ foo: 1 }), "Parameter 'foo' is unexpected"],
  [
    "two unexpected members: QEMU's hash order",
    addArgs({ foo: 1, bar: 2 }),
    "Parameter 'bar' is unexpected",
  ],
  [
    "a type error wins over an unexpected member",
    addArgs({ foo: 1, region: "x" }),
    "Parameter 'region' expects uint64",
  ],
];

for (const [what, args, expected] of CASES) {
  Deno.test(`validation message matches QEMU: ${what}`, () => {
    deepStrictEqual(message(ADD, args), expected);
  });
}

Deno.test("validation message matches QEMU: int16 out of range and wrong type", () => {
  const base: QmpObject = {
    path: P,
    log: "informational",
    flags: 0,
    type: 0,
    "health-status": 0,
    "media-status": 0,
    "additional-status": 0,
    "life-used": 0,
    temperature: 4,
    "dirty-shutdown-count": 0,
    "corrected-volatile-error-count": 0,
    "corrected-persistent-error-count": 0,
  };
  const t = "cxl-inject-memory-module-event:args";
  deepStrictEqual(
    message(t, { ...base, temperature: "x" }),
    "Invalid parameter type for 'temperature', expected: integer",
  );
  deepStrictEqual(
    message(t, { ...base, temperature: 40000 }),
    "Parameter 'temperature' expects int16_t",
  );
  deepStrictEqual(message(t, base), "(accepted)");
});

Deno.test("validation message matches QEMU: booleans and size", () => {
  const rel: QmpObject = {
    path: P,
    "host-id": 0,
    "removal-policy": "prescriptive",
    region: 0,
    extents: [],
  };
  const t = "cxl-release-dynamic-capacity:args";
  deepStrictEqual(
    message(t, { ...rel, "forced-removal": 1 }),
    "Invalid parameter type for 'forced-removal', expected: boolean",
  );
  deepStrictEqual(
    message("cxl-inject-poison:args", { path: P, start: 0, length: "x" }),
    "Parameter 'length' expects uint64",
  );
});

Deno.test("a command without arguments rejects any member", () => {
  deepStrictEqual(message(undefined, { a: 1 }), "Parameter 'a' is unexpected");
  deepStrictEqual(message(undefined, {}), "(accepted)");
});

Deno.test("a negative u64 wraps modulo 2^64 and small integers stay numbers", () => {
  const out = v.validateArguments(ADD, addArgs({ extents: [{ offset: -1, len: 2097152 }] }));
  deepStrictEqual(out["extents"], [{ offset: 18446744073709551615n, len: 2097152n }]);
  deepStrictEqual(out["region"], 0);
  deepStrictEqual(out["host-id"], 0);
});

Deno.test("flat union: discriminator first, then the variant's members", () => {
  const t = "ObjectOptions";
  deepStrictEqual(message(t, { id: "t0" }), "Parameter 'qom-type' is missing");
  deepStrictEqual(message(t, { "qom-type": "memory-backend-ram" }), "Parameter 'id' is missing");
  deepStrictEqual(
    message(t, { "qom-type": "memory-backend-ram", id: "v" }),
    "Parameter 'size' is missing",
  );
  deepStrictEqual(
    message(t, { "qom-type": "memory-backend-file", id: "f", size: 1 }),
    "Parameter 'mem-path' is missing",
  );
  deepStrictEqual(
    message(t, { "qom-type": "memory-backend-ram", id: "v", size: "1G" }),
    "Parameter 'size' expects uint64",
  );
  deepStrictEqual(
    message(t, { "qom-type": "memory-backend-tagged", id: "t", size: 1 }),
    "Parameter 'qom-type' does not accept value 'memory-backend-tagged'",
  );
  throws(
    () => v.validateArguments(t, { "qom-type": "memory-backend-ram", id: "v", size: 1, foo: 1 }),
    QapiError,
  );
});

Deno.test("small integer members: -0 reads as 0, and a nested bad member is named in full", () => {
  const out = v.validateArguments(ADD, addArgs({ region: -0, "host-id": -0 }));
  ok(Object.is(out["region"], 0) && Object.is(out["host-id"], 0));
  deepStrictEqual(
    message(ADD, addArgs({ extents: [{ offset: 0, len: 2097152 }, { offset: 0, len: "x" }] })),
    "Parameter 'extents[1].len' expects uint64",
  );
  deepStrictEqual(
    message(ADD, addArgs({ extents: {} })),
    "Invalid parameter type for 'extents', expected: array",
  );
});

Deno.test("a union's unexpected member is found beside base and variant members alike", () => {
  const t = "ObjectOptions";
  const ok1 = { "qom-type": "memory-backend-ram", id: "v", size: 1 };
  deepStrictEqual(message(t, ok1), "(accepted)");
  deepStrictEqual(message(t, { ...ok1, foo: 1 }), "Parameter 'foo' is unexpected");
  deepStrictEqual(message(t, { ...ok1, "mem-path": "/x" }), "Parameter 'mem-path' is unexpected");
});
