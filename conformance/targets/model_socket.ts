/**
 * The `model-socket` target: the reference model served over a private unix
 * socket in-process ({@linkcode QmpServer}) and reached with
 * {@linkcode QmpClient}, so every fixture crosses the real wire layer (the
 * same bytes a QEMU would send). Host steps go through the
 * `__io.github.cxl-dcd-conformance_mailbox` extension command on a second,
 * negotiated connection, leaving the runner's channel untouched.
 *
 * @module
 */

import { TARGET_MONITORS } from "../qemu/args.ts";
import { createMachine } from "../../model/mod.ts";
import type { HostInterface, MailboxReply } from "../../model/host_interface.ts";
import type { Machine, MachineOptions } from "../../model/machine_types.ts";
import { StartupError } from "../../model/machine_types.ts";
import { type ProfileRef, resolveProfile } from "../../model/profile_ref.ts";
import { QmpClient } from "../../qmp/client.ts";
import {
  FM_API_COMMAND,
  fromHex,
  HostExtension,
  MAILBOX_COMMAND,
  toHex,
} from "../../qmp/extension.ts";
import { QmpServer } from "../../qmp/server.ts";
import type { Target, TargetCapabilities, TargetExit, TargetInstance } from "../target_types.ts";
import { TargetStartupError } from "../target_types.ts";
import { onInterrupt } from "../interrupt.ts";
import { modelTarget } from "./model.ts";

/** Options of {@linkcode modelSocketTarget}. */
export interface ModelSocketTargetOptions {
  /** Behaviour profile, or its name (default: `seed`). */
  profile?: ProfileRef;
  /** Clock for the machine (nanoseconds since the epoch). */
  clock?: () => bigint;
  /** Display name (default `model-socket`). */
  name?: string;
  /** Timeouts of the client connections (default 5000 ms each). */
  timeoutMs?: number;
}

/**
 * Runs one command through an extension command that takes and answers the
 * raw form (`{device, opcode, payload-hex}` -> `{rc, payload-hex}`).
 */
async function rawExtensionCall(
  client: QmpClient,
  command: string,
  device: string,
  opcode: number,
  payload: Uint8Array,
): Promise<MailboxReply> {
  const r = await client.execute(command, { device, opcode, "payload-hex": toHex(payload) });
  if (r === null || typeof r !== "object" || Array.isArray(r)) {
    throw new TypeError(`${command} returned ${String(r)}: expected {rc, payload-hex}`);
  }
  const rc = r.rc;
  const hex = r["payload-hex"];
  if (typeof rc !== "number" || typeof hex !== "string") {
    throw new TypeError(`${command} returned no rc/payload-hex: expected {rc, payload-hex}`);
  }
  return { rc, payload: fromHex(hex) };
}

/** A {@linkcode HostInterface} that runs mailbox commands through the QMP extension command. */
export function extensionHost(client: QmpClient, device: string): HostInterface {
  return {
    mailbox(opcode: number, payload: Uint8Array): Promise<MailboxReply> {
      return rawExtensionCall(client, MAILBOX_COMMAND, device, opcode, payload);
    },
    fm(opcode: number, payload: Uint8Array): Promise<MailboxReply> {
      return rawExtensionCall(client, FM_API_COMMAND, device, opcode, payload);
    },
    async switchCci(opcode: number, payload: Uint8Array): Promise<MailboxReply> {
      const r = await client.execute(FM_API_COMMAND, {
        device,
        command: "fm-switch-cci-raw",
        fields: { opcode, "payload-hex": toHex(payload) },
      });
      const out = r !== null && typeof r === "object" && !Array.isArray(r) ? r : {};
      if (typeof out.rc !== "number" || typeof out["payload-hex"] !== "string") {
        throw new TypeError(
          `${FM_API_COMMAND} (fm-switch-cci-raw) returned ${
            JSON.stringify(r)
          }: expected {rc, payload-hex, output}`,
        );
      }
      return { rc: out.rc, payload: fromHex(out["payload-hex"]) };
    },
  };
}

/**
 * Builds the `model-socket` target.
 *
 * @example
 * ```ts ignore
 * import { modelSocketTarget } from "@cxl-dcd/conformance/conformance";
 * const target = modelSocketTarget();
 * const instance = await target.start(["-M", "q35,cxl=on"]);
 * await instance.close();
 * ```
 */
export function modelSocketTarget(options?: ModelSocketTargetOptions): Target {
  options ??= {};
  const profile = resolveProfile(options.profile);
  const machineOptions: MachineOptions = { profile, extraMonitors: TARGET_MONITORS };
  if (options.clock !== undefined) machineOptions.clock = options.clock;
  const timeoutMs = options.timeoutMs ?? 5000;
  const inProcess = modelTarget({ profile, name: "model" });
  return {
    name: options.name ?? "model-socket",
    async capabilities(machine: readonly string[]): Promise<TargetCapabilities> {
      const caps = await inProcess.capabilities(machine);
      // Replies cross a local socket: allow a short window before "nothing more".
      return { ...caps, quietMs: 50 };
    },
    async start(machine: readonly string[]): Promise<TargetInstance> {
      let m: Machine;
      try {
        m = createMachine([...machine], machineOptions);
      } catch (e) {
        if (e instanceof StartupError) throw new TargetStartupError(e.stderr, 1);
        throw e;
      }
      const dir = await Deno.makeTempDir({ prefix: "cxl-model-socket-" });
      // A signal ending the runner mid-fixture removes the directory too.
      const undoInterrupt = onInterrupt(() => Deno.removeSync(dir, { recursive: true }));
      await Deno.chmod(dir, 0o700);
      let quit = false;
      let server: QmpServer | undefined;
      const clients: QmpClient[] = [];
      const cleanup = async () => {
        await Promise.allSettled(clients.map((c) => c.close()));
        await server?.close();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        undoInterrupt();
      };
      try {
        server = await QmpServer.listen({
          machine: m,
          listen: [`unix:${dir}/qmp.sock`],
          extension: new HostExtension(m, "manual"),
          // The fixture's client and the device view's control client share the socket.
          concurrentClients: true,
          onQuit: () => quit = true,
        });
        const opts = {
          connectTimeoutMs: timeoutMs,
          greetingTimeoutMs: timeoutMs,
          commandTimeoutMs: timeoutMs,
        };
        const control = await QmpClient.connect(`unix:${dir}/qmp.sock`, opts);
        clients.push(control);
        await control.negotiate();
        const qmp = await QmpClient.connect(`unix:${dir}/qmp.sock`, opts);
        clients.push(qmp);
        const exit = (unexpected: boolean): TargetExit => ({
          code: 0,
          signal: null,
          unexpected,
          stderrTail: "",
        });
        return {
          qmp,
          host: (device: string) => extensionHost(control, device),
          exited: () => (quit ? exit(true) : undefined),
          async close(): Promise<TargetExit> {
            const e = exit(quit);
            await cleanup();
            return e;
          },
        };
      } catch (e) {
        await cleanup();
        throw e;
      }
    },
  };
}
