import assert from "node:assert/strict";
import { QEMU_10_0, SEED } from "../model/profile.ts";
import { FEATURES, modelFeatures } from "./features.ts";

Deno.test("the seed profile has every tagged-memory feature, qemu-10.0 none", () => {
  const seed = modelFeatures(SEED);
  const stock = modelFeatures(QEMU_10_0);
  for (
    const f of [
      "memory-backend-tagged",
      "dc-regions-total-size",
      "release-status",
      "tag-based-release",
    ]
  ) {
    assert.ok(seed.has(f), f);
    assert.ok(!stock.has(f), f);
  }
  for (const f of ["dcd", "host", "model", "compat-policy"]) {
    assert.ok(seed.has(f) && stock.has(f), f);
  }
  for (const f of seed) assert.ok(f in FEATURES, `${f} is documented`);
});
