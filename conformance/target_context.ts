/**
 * What a fixture's expectations are evaluated against on one target: the
 * release line and features that per-release alternatives select on, and
 * the values `$version.*` matchers take from the target.
 *
 * @module
 */

import { type TargetValues, targetValues } from "./matchers.ts";
import type { TargetCapabilities } from "./target_types.ts";
import type { SelectorContext } from "./transcript/selector.ts";

/** The evaluation context of a target. */
export interface TargetContext extends SelectorContext {
  /** The profile name (for messages). */
  profile: string;
  /** Values `$version.*` matchers compare with. */
  values: TargetValues;
}

/**
 * The context of a target with these capabilities.
 *
 * @example
 * ```ts
 * import { targetContext } from "@cxl-dcd/conformance/conformance";
 * const ctx = targetContext({
 *   commands: new Set(), features: new Set(["dcd"]), profile: "qemu-11.1", hostSide: true,
 *   release: { major: 11, minor: 1 }, version: { major: 11, minor: 1, micro: 3, package: "" },
 * });
 * if (ctx.values["version.micro"] !== 3) throw new Error();
 * ```
 */
export function targetContext(caps: TargetCapabilities): TargetContext {
  return {
    profile: caps.profile,
    release: caps.release,
    features: caps.features,
    values: targetValues(caps.version),
  };
}
