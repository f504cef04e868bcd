/**
 * Feature names a fixture can require (`# requires:`), and the features a
 * model target has for a profile.
 *
 * @module
 */

import type { Profile } from "../model/profile.ts";

/** Every feature name FORMAT.md defines, with what it means. */
export const FEATURES: Readonly<Record<string, string>> = {
  "dcd": "cxl-add-dynamic-capacity and cxl-release-dynamic-capacity exist",
  "memory-backend-tagged": "object-add accepts qom-type memory-backend-tagged",
  "dc-regions-total-size": "cxl-type3 accepts dc-regions-total-size (no backing memdev)",
  "release-status": "cxl-release-dynamic-capacity-status exists",
  "tag-based-release": "removal-policy tag-based is implemented",
  "tags-in-events": "a QMP tag must be a UUID and is carried in event records and extents",
  "host": "the target can run host mailbox steps",
  "model": "the target is the model (state-query extension commands)",
  "compat-policy": "-compat is accepted",
  "fm-api-dcd": "the FM-API DCD opcodes 0x5600-0x5605 through a switch mailbox CCI's tunnel",
};

/**
 * The features a model target has under a profile: derived from the
 * profile's switches, plus `dcd`, `host`, `model` and `compat-policy`.
 *
 * @example
 * ```ts
 * import { modelFeatures } from "@cxl-dcd/conformance/conformance";
 * import { QEMU_10_0, SEED } from "@cxl-dcd/conformance";
 * if (!modelFeatures(SEED).has("release-status")) throw new Error();
 * if (modelFeatures(QEMU_10_0).has("release-status")) throw new Error();
 * ```
 */
export function modelFeatures(profile: Profile): Set<string> {
  const f = new Set(["dcd", "host", "model", "compat-policy"]);
  if (profile.tagged.taggedBackends) f.add("memory-backend-tagged");
  if (profile.tagged.lazyDevices) f.add("dc-regions-total-size");
  if (profile.tagged.releaseStatus) f.add("release-status");
  if (profile.tagged.tagBasedRelease) f.add("tag-based-release");
  if (profile.tagged.tagsInEvents) f.add("tags-in-events");
  if (profile.dcd.fmApi) f.add("fm-api-dcd");
  return f;
}
