/**
 * The two sides of a run from their command-line spelling: `model`
 * (optionally `model:PROFILE`), `qemu` (optionally `qemu:PATH`). A model
 * side without a profile takes the profile the runner would pick for the
 * other side's QEMU (`profileOfBuild`: `profileForVersion` of its reported
 * version, with that version and package), else the default profile.
 *
 * @module
 */

import {
  DEFAULT_PROFILE,
  type Profile,
  profileByName,
  profileOfBuild,
} from "../../model/profile.ts";
import { MachinePresets } from "../machines.ts";
import { DEFAULT_MACHINES_DIR } from "../machines.ts";
import { modelTarget } from "../targets/model.ts";
import { qemuTarget } from "../targets/qemu.ts";
import type { Target, TargetCapabilities } from "../target_types.ts";
import type { DiffPair, DiffSide } from "./execute.ts";

/** A side as the command line gives it. */
export type SideSpec =
  | { kind: "model"; profile?: Profile }
  | { kind: "qemu"; binary?: string };

/**
 * Parses `model`, `model:PROFILE`, `qemu` or `qemu:PATH`.
 *
 * @example
 * ```ts
 * import { parseSide } from "./sides.ts";
 * const s = parseSide("qemu:/usr/bin/qemu-system-x86_64");
 * if (s.kind !== "qemu" || s.binary !== "/usr/bin/qemu-system-x86_64") throw new Error();
 * ```
 *
 * @throws {RangeError} for anything else, or an unknown profile.
 */
export function parseSide(text: string): SideSpec {
  if (text === "model") return { kind: "model" };
  if (text.startsWith("model:")) return { kind: "model", profile: profileByName(text.slice(6)) };
  if (text === "qemu") return { kind: "qemu" };
  if (text.startsWith("qemu:") && text.length > 5) return { kind: "qemu", binary: text.slice(5) };
  throw new RangeError(
    `unknown side '${text}': expected model, model:PROFILE, qemu or qemu:PATH`,
  );
}

/**
 * The model profile the runner picks for a QEMU with these capabilities,
 * reporting the QEMU's own version and package string.
 *
 * @example
 * ```ts
 * import { profileForCapabilities } from "./sides.ts";
 * const p = profileForCapabilities({
 *   commands: new Set(), features: new Set(["dcd"]), profile: "qemu-11.1", hostSide: true,
 *   release: { major: 11, minor: 1 }, version: { major: 11, minor: 1, micro: 3, package: "x" },
 * });
 * if (p.name !== "qemu-11.1" || p.package !== "x") throw new Error(p.name);
 * ```
 */
export function profileForCapabilities(caps: TargetCapabilities): Profile {
  const seed = caps.features.has("memory-backend-tagged") && caps.features.has("release-status");
  return profileOfBuild(caps.version, { seed });
}

async function qemuSide(spec: { binary?: string }, probe: readonly string[]) {
  const target: Target = qemuTarget(spec.binary === undefined ? {} : { binary: spec.binary });
  const caps = await target.capabilities(probe);
  const v = caps.version;
  const side: DiffSide = {
    label: `qemu ${v.major}.${v.minor}.${v.micro}${
      spec.binary === undefined ? "" : ` (${spec.binary})`
    }`,
    target,
  };
  return { side, caps };
}

/**
 * Builds the pair of a run.
 *
 * @example
 * ```ts ignore
 * import { buildPair, parseSide } from "./sides.ts";
 * const pair = await buildPair(parseSide("model"), parseSide("qemu:/usr/bin/qemu-system-x86_64"));
 * console.log(pair.a.label); // model[qemu-10.0]
 * ```
 */
export async function buildPair(
  a: SideSpec,
  b: SideSpec,
  presets: MachinePresets = new MachinePresets(DEFAULT_MACHINES_DIR),
): Promise<DiffPair> {
  const probe = await presets.preset("dcd-1x2g");
  const qa = a.kind === "qemu" ? await qemuSide(a, probe) : undefined;
  const qb = b.kind === "qemu" ? await qemuSide(b, probe) : undefined;
  const model = (spec: { profile?: Profile }, other: TargetCapabilities | undefined): DiffSide => {
    const profile = spec.profile ??
      (other === undefined ? DEFAULT_PROFILE : profileForCapabilities(other));
    return { label: `model[${profile.name}]`, target: modelTarget({ profile }) };
  };
  return {
    a: qa?.side ?? model(a as { profile?: Profile }, qb?.caps),
    b: qb?.side ?? model(b as { profile?: Profile }, qa?.caps),
  };
}
