/**
 * The `model` target: the reference model in-process. Each fixture gets a
 * fresh machine from the QEMU arguments and a QMP session fed with text;
 * replies are parsed back; host steps go straight to `machine.host(id)`.
 * Capabilities come from the profile.
 *
 * @module
 */

import { TARGET_MONITORS } from "../qemu/args.ts";
import { createMachine } from "../../model/mod.ts";
import type { Machine, MachineOptions } from "../../model/machine_types.ts";
import { StartupError } from "../../model/machine_types.ts";
import { type ProfileRef, resolveProfile } from "../../model/profile_ref.ts";
import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import { HostExtension } from "../../qmp/extension.ts";
import { type CommandExtension, QmpSession } from "../../qmp/session.ts";
import { modelFeatures } from "../features.ts";
import type {
  QmpChannel,
  Target,
  TargetCapabilities,
  TargetExit,
  TargetInstance,
} from "../target_types.ts";
import { TargetStartupError } from "../target_types.ts";
import { parseJson } from "../transcript/json.ts";
import { MessageQueue } from "./message_queue.ts";

/** Options of the model target. */
export interface ModelTargetOptions {
  /** Behaviour profile, or its name (default: `seed`). */
  profile?: ProfileRef;
  /** Clock for the machine (nanoseconds since the epoch). */
  clock?: () => bigint;
  /**
   * Extension commands for the session (default: the project's extension
   * commands, `__io.github.cxl-dcd-conformance_query-state` and `_mailbox`,
   * with the host played by the transcript: mode `manual`).
   */
  extension?: (machine: Machine) => CommandExtension;
  /** Display name (default `model`). */
  name?: string;
}

function isObject(v: QmpValue): v is QmpObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Builds the in-process model target.
 *
 * @example
 * ```ts ignore
 * import { modelTarget } from "@cxl-dcd/conformance/conformance";
 * import { QEMU_10_0 } from "@cxl-dcd/conformance";
 * const target = modelTarget({ profile: QEMU_10_0 });
 * ```
 */
export function modelTarget(opts?: ModelTargetOptions): Target {
  const options = opts ?? {};
  const profile = resolveProfile(options.profile);
  const machineOptions: MachineOptions = { profile, extraMonitors: TARGET_MONITORS };
  if (options.clock !== undefined) machineOptions.clock = options.clock;
  const features = modelFeatures(profile);
  const capsCache = new Map<string, TargetCapabilities>();
  return {
    name: options.name ?? "model",
    capabilities(machine: readonly string[]): Promise<TargetCapabilities> {
      const key = machine.join("\u0000");
      let caps = capsCache.get(key);
      if (caps === undefined) {
        const commands = new Set<string>();
        try {
          const m = createMachine([...machine], machineOptions);
          const r = m.execute("query-commands", undefined);
          if ("return" in r && Array.isArray(r.return)) {
            for (const c of r.return) {
              if (isObject(c) && typeof c.name === "string") commands.add(c.name);
            }
          }
        } catch {
          // A machine that does not start has no commands; the fixture pins that.
        }
        caps = {
          commands,
          features,
          profile: profile.name,
          release: profile.release,
          version: { ...profile.version, package: profile.package },
          hostSide: true,
          quietMs: 0,
        };
        capsCache.set(key, caps);
      }
      return Promise.resolve(caps);
    },
    start(machine: readonly string[]): Promise<TargetInstance> {
      let m: Machine;
      try {
        m = createMachine([...machine], machineOptions);
      } catch (e) {
        if (e instanceof StartupError) return Promise.reject(new TargetStartupError(e.stderr, 1));
        return Promise.reject(e);
      }
      const queue = new MessageQueue();
      let greeting: QmpObject | undefined;
      let quit = false;
      let closed = false;
      const write = (text: string) => {
        const v = parseJson(text);
        if (!isObject(v)) throw new Error(`the session wrote a non-object: ${text}`);
        if (greeting === undefined) greeting = v;
        else queue.push(v);
      };
      const extension = options.extension?.(m) ?? new HostExtension(m, "manual");
      const session = new QmpSession(m, write, { extension });
      session.onClose(() => {
        quit = true;
        queue.close("the model quit");
      });
      session.start();
      const qmp: QmpChannel = {
        greeting: greeting!,
        async sendRaw(text: string): Promise<void> {
          if (closed || quit) throw new Error("the model session is closed");
          session.feed(text);
          await session.idle();
        },
        receive: (ms: number) => queue.receive(ms),
      };
      const exit = (unexpected: boolean): TargetExit => ({
        code: 0,
        signal: null,
        unexpected,
        stderrTail: "",
      });
      return Promise.resolve({
        qmp,
        host: (device: string) => m.host(device),
        exited: () => (quit ? exit(true) : undefined),
        close(): Promise<TargetExit> {
          const e = exit(quit);
          closed = true;
          session.close();
          queue.close("closed");
          return Promise.resolve(e);
        },
      });
    },
  };
}
