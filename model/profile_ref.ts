/**
 * A profile as the public APIs take it: a {@linkcode Profile} record, or its
 * name (`qemu-10.0`, `seed`, `qemu-11.1+seed`, ...), resolved by
 * {@linkcode profileByName}.
 *
 * @module
 */

import { DEFAULT_PROFILE, type Profile, profileByName } from "./profile.ts";

/** A profile record or its name (see {@linkcode profileByName}). */
export type ProfileRef = Profile | string;

/**
 * The profile `ref` names or is; `DEFAULT_PROFILE` (seed) when undefined.
 *
 * @example
 * ```ts
 * import { resolveProfile } from "@cxl-dcd/conformance/model";
 * import { QEMU_10_0 } from "@cxl-dcd/conformance/model";
 * if (resolveProfile("qemu-10.0") !== QEMU_10_0) throw new Error("by name");
 * if (resolveProfile(QEMU_10_0) !== QEMU_10_0) throw new Error("as given");
 * ```
 *
 * @throws {RangeError} for an unknown name, listing the known profiles.
 * @throws {TypeError} for anything else that is not a profile record.
 */
export function resolveProfile(ref: ProfileRef | undefined): Profile {
  if (ref === undefined) return DEFAULT_PROFILE;
  if (typeof ref === "string") return profileByName(ref);
  const looks = typeof ref === "object" && ref !== null && typeof ref.name === "string" &&
    ref.release !== undefined && ref.memoryBackendTypes !== undefined;
  if (!looks) {
    throw new TypeError(
      `profile: expected a profile name (e.g. "qemu-10.0") or a Profile record such as PROFILES["seed"], got ${
        describe(ref)
      }`,
    );
  }
  return ref;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v !== "object") return `${typeof v} ${String(v)}`;
  const keys = Object.keys(v as object);
  return `an object with ${
    keys.length === 0 ? "no members" : `members ${keys.slice(0, 4).join(", ")}`
  }`;
}
