import { deepStrictEqual } from "node:assert";
import { firstRemainingKey } from "./key_order.ts";

const RELEASE = [
  "path",
  "host-id",
  "removal-policy",
  "forced-removal",
  "sanitize-on-release",
  "region",
  "tag",
  "extents",
];

Deno.test("no unexpected key gives undefined", () => {
  deepStrictEqual(firstRemainingKey(["a", "b"], new Set(["a", "b"])), undefined);
});

Deno.test("a single unexpected key is named", () => {
  deepStrictEqual(firstRemainingKey(["a", "zz"], new Set(["a"])), "zz");
});

/** Unexpected keys given to QEMU 10.0.2 and the one it named. */
const OBSERVED: [string[], string[], string][] = [
  [[], ["foo", "bar"], "bar"],
  [RELEASE, ["foo", "bar"], "bar"],
  [[], ["size", "alpha"], "size"],
  [RELEASE, ["size", "alpha"], "size"],
  [[], ["k1", "k9"], "k1"],
  [RELEASE, ["k1", "k9"], "k1"],
  [[], ["bar", "baz"], "baz"],
  [RELEASE, ["bar", "baz"], "baz"],
  [[], ["k6", "qux", "tag"], "k6"],
  [[], ["k7", "bar", "k5"], "k5"],
  [RELEASE, ["k7", "bar", "k5"], "bar"],
  [[], ["gamma", "bar", "baz"], "baz"],
  [RELEASE, ["gamma", "bar", "baz"], "baz"],
  [[], ["k2", "baz", "x", "k6"], "baz"],
  [RELEASE, ["k2", "baz", "x", "k6"], "k6"],
  [[], ["k2", "bar", "k7", "qux"], "qux"],
  [RELEASE, ["k2", "bar", "k7", "qux"], "bar"],
  [[], ["x", "k9", "k7", "bar"], "bar"],
  [RELEASE, ["x", "k9", "k7", "bar"], "bar"],
  [[], ["k7", "k1", "bar", "x", "k6"], "k6"],
  [RELEASE, ["k7", "k1", "bar", "x", "k6"], "bar"],
  [[], ["alpha", "zeta", "k2", "k6", "qux"], "k6"],
  [RELEASE, ["alpha", "zeta", "k2", "k6", "qux"], "k6"],
  [[], ["k7", "zeta", "k6", "mmm", "beta"], "mmm"],
  [RELEASE, ["k7", "zeta", "k6", "mmm", "beta"], "zeta"],
  [[], ["qux", "k7", "mmm", "gamma", "tag", "abc-def", "baz"], "mmm"],
  [[], ["k7", "bar", "k8", "gamma", "k4", "k6", "k2"], "k6"],
  [RELEASE, ["k7", "bar", "k8", "gamma", "k4", "k6", "k2"], "bar"],
  [[], ["size", "k3", "k7", "mmm", "tag", "zeta", "x"], "mmm"],
  [[], ["beta", "x", "baz", "k7", "zeta", "k5", "k4", "size", "tag"], "tag"],
  [[], ["k3", "zeta", "k8", "baz", "qux", "k5", "k2", "beta", "k1"], "k5"],
  [RELEASE, ["k3", "zeta", "k8", "baz", "qux", "k5", "k2", "beta", "k1"], "qux"],
  [[], ["size", "alpha", "k4", "k2", "bar", "baz", "abc-def", "k5", "tag"], "bar"],
  [[], ["tag", "k8", "k4", "k7", "k3", "baz", "k6", "y", "x", "abc-def", "size", "bar"], "tag"],
  [[], ["bar", "zeta", "k9", "k7", "k3", "mmm", "k1", "tag", "foo", "x", "beta", "baz"], "tag"],
  [
    [],
    ["k8", "qux", "k4", "bar", "gamma", "zeta", "alpha", "x", "k7", "k3", "k9", "abc-def"],
    "bar",
  ],
  [
    RELEASE,
    ["k8", "qux", "k4", "bar", "gamma", "zeta", "alpha", "x", "k7", "k3", "k9", "abc-def"],
    "k7",
  ],
];

for (const [consumed, extra, named] of OBSERVED) {
  Deno.test(`QEMU's choice among ${extra.length} unexpected keys with ${consumed.length} members: ${named}`, () => {
    deepStrictEqual(firstRemainingKey([...consumed, ...extra], new Set(consumed)), named);
  });
}
