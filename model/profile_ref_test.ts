import assert from "node:assert/strict";
import { createMachine } from "./machine.ts";
import type { Profile } from "./profile.ts";
import { DCD_1X2G } from "./test_machines.ts";

const TAGGED = {
  "qom-type": "memory-backend-tagged",
  id: "tm0",
  size: 1073741824,
  tag: "5be13bce-ae34-4a77-b6c3-16df975fcf1a",
};

Deno.test("createMachine takes a profile by name, as the record of that name", () => {
  const stock = createMachine(DCD_1X2G, { profile: "qemu-10.0" });
  assert.equal(stock.profile.name, "qemu-10.0");
  assert.ok("error" in stock.execute("object-add", TAGGED), "stock QEMU has no tagged backends");
  const seed = createMachine(DCD_1X2G, { profile: "qemu-11.1+seed" });
  assert.equal(seed.profile.name, "qemu-11.1+seed");
  assert.ok("return" in seed.execute("object-add", TAGGED), "the seed's features on 11.1");
});

Deno.test("an unknown profile name is refused naming the known profiles", () => {
  assert.throws(
    () => createMachine(DCD_1X2G, { profile: "qemu-9.9" }),
    (e: unknown) =>
      e instanceof RangeError &&
      /unknown profile 'qemu-9\.9': expected one of .*qemu-10\.0.*seed/.test(e.message),
  );
});

Deno.test("something that is neither a name nor a profile record is a TypeError that says what is expected", () => {
  assert.throws(
    () => createMachine(DCD_1X2G, { profile: { name: "x" } as unknown as Profile }),
    (e: unknown) =>
      e instanceof TypeError &&
      e.message.startsWith(
        'profile: expected a profile name (e.g. "qemu-10.0") or a Profile record',
      ) &&
      e.message.includes("an object with members name"),
  );
});
