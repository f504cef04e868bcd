/**
 * The built-in targets by their command-line spelling: `model`,
 * `model-socket`, `qemu`, `qmp:ADDR`.
 *
 * @module
 */

import type { ProfileRef } from "../../model/profile_ref.ts";
import type { Bringup } from "../qemu/bringup.ts";
import type { Target } from "../target_types.ts";
import { modelTarget } from "./model.ts";
import { modelSocketTarget } from "./model_socket.ts";
import { qemuTarget } from "./qemu.ts";
import { qmpTarget } from "./qmp.ts";

export { modelTarget, type ModelTargetOptions } from "./model.ts";
export { modelSocketTarget, type ModelSocketTargetOptions } from "./model_socket.ts";
export { qemuTarget, type QemuTargetOptions } from "./qemu.ts";
export { qmpTarget, type QmpTargetOptions } from "./qmp.ts";
export { MessageQueue } from "./message_queue.ts";

/** Options for {@linkcode createTargets}. */
export interface CreateTargetOptions {
  /** Profiles (or their names) for model targets (one target per profile). */
  profiles: readonly ProfileRef[];
  /** QEMU binary for the `qemu` target. */
  qemu?: string;
  /** PCI bring-up of the `qemu` target (default `direct`). */
  bringup?: Bringup;
  /** The machine a `qmp:` endpoint runs: fixtures on other machines are skipped. */
  endpointMachine?: { name: string; args: readonly string[] };
}

/**
 * The targets one `--target` value names: `model` and `model-socket` give
 * one target per profile; `qemu` one (its profile is detected); `qmp:ADDR`
 * one.
 *
 * @example
 * ```ts ignore
 * import { createTargets } from "@cxl-dcd/conformance/conformance";
 * import { PROFILES } from "@cxl-dcd/conformance";
 * const targets = await createTargets("model", { profiles: Object.values(PROFILES) });
 * ```
 *
 * @throws {TypeError} for an unknown target name, listing the known ones.
 */
export function createTargets(spec: string, options: CreateTargetOptions): Promise<Target[]> {
  if (spec === "model") {
    return Promise.resolve(options.profiles.map((profile) => modelTarget({ profile })));
  }
  if (spec === "qemu") {
    return Promise.resolve([
      qemuTarget({
        ...(options.qemu === undefined ? {} : { binary: options.qemu }),
        ...(options.bringup === undefined ? {} : { bringup: options.bringup }),
      }),
    ]);
  }
  if (spec.startsWith("qmp:")) {
    const m = options.endpointMachine;
    return Promise.resolve([
      qmpTarget(spec.slice(4), m === undefined ? {} : { machine: m.args, machineName: m.name }),
    ]);
  }
  if (spec === "model-socket") {
    return Promise.resolve(options.profiles.map((profile) => modelSocketTarget({ profile })));
  }
  return Promise.reject(
    new TypeError(`unknown target '${spec}': expected model, model-socket, qemu or qmp:ADDR`),
  );
}
