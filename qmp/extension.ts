/**
 * The project's QMP extension commands and the simulated host modes of a
 * served model.
 *
 * Extension commands follow QAPI's rule for downstream extensions
 * (`__RFQDN_name`) with the prefix {@linkcode EXTENSION_PREFIX}. They exist
 * in every host mode and are listed by `query-commands` (after the machine's
 * own commands), so a client can detect them:
 *
 * - `__io.github.cxl-dcd-conformance_fm-api` `{device, opcode, payload-hex?}`
 *   → `{rc, payload-hex}`: one FM-API command (0x5600-0x5605) on a type-3
 *   device below a switch, through the switch mailbox CCI's 0x5300 tunnel;
 *   or, decoded, `{device, command, fields?}` → `{rc, payload-hex, output}`
 *   with `command` one of the transcripts' `fm-` commands
 *   (`fm-initiate-dc-add`, ..., `fm-switch-cci-raw` to the switch CCI
 *   itself) and `fields`/`output` their named fields (see
 *   `model/dcd/fm_codec.ts`);
 * - `__io.github.cxl-dcd-conformance_mailbox` `{device, opcode, payload-hex?}`
 *   → `{rc, payload-hex}`: one mailbox command on a type-3 device (by id or
 *   QOM path), as a host would run it;
 * - `__io.github.cxl-dcd-conformance_query-state` → the machine's plain-data
 *   state snapshot.
 *
 * Host modes: `none` (nobody answers the device; the default), `manual` (the
 * client plays the host through the mailbox command; behaves as `none`
 * otherwise) and `accept` (after each successful
 * `cxl-add-dynamic-capacity` / `cxl-release-dynamic-capacity`, and each FM
 * Initiate DC Add / Release (0x5604 / 0x5605) the FM-API command returned
 * 0x00 for, the device's
 * one {@linkcode DeviceHost} answers through the mailbox, synchronously,
 * before the next command of any session is processed).
 *
 * Every command here runs synchronously: nothing of another session can run
 * in the middle of a mailbox command or a host run.
 *
 * @module
 */

import { fromHex, toHex } from "../model/hex.ts";
import { encodeFmRequest, fmCommand, FmFieldError } from "../model/dcd/fm_codec.ts";
import { FmOpcode } from "../model/dcd/fm_api.ts";
import { TUNNEL_MANAGEMENT_COMMAND } from "../model/fm_tunnel.ts";

import type { Machine } from "../model/machine_types.ts";
import type { MailboxReply } from "../model/host_interface.ts";
import type { QmpObject, QmpResult, QmpValue } from "../model/qmp_value.ts";
import { type DeviceHost, DeviceHosts } from "./device_host.ts";
import type { HostAction } from "./host_accept.ts";
import type { CommandExtension } from "./session.ts";

/** Reverse-domain prefix of the project's QMP extension commands. */
export const EXTENSION_PREFIX = "__io.github.cxl-dcd-conformance_";
/** The mailbox extension command. */
export const MAILBOX_COMMAND: string = `${EXTENSION_PREFIX}mailbox`;
/**
 * The FM-API extension command: `{device, opcode, payload-hex?}` →
 * `{rc, payload-hex}`, one FM-API command (0x5600-0x5605) on a type-3
 * device, tunnelled through the switch mailbox CCI above it as a fabric
 * manager would send it; or `{device, command, fields?}` →
 * `{rc, payload-hex, output}`, an `fm-` command of the transcripts with
 * named fields in and out.
 */
export const FM_API_COMMAND: string = `${EXTENSION_PREFIX}fm-api`;
/** The state-snapshot extension command. */
export const STATE_COMMAND: string = `${EXTENSION_PREFIX}query-state`;

/** Host modes of a served model. */
export type HostMode = "none" | "accept" | "manual";
/** Every host mode, for option parsing. */
export const HOST_MODES: readonly HostMode[] = ["none", "accept", "manual"];

const err = (desc: string, cls = "GenericError"): QmpResult => ({ error: { class: cls, desc } });

export { fromHex, toHex } from "../model/hex.ts";

function checkMembers(
  args: QmpObject | undefined,
  spec: Record<string, "str" | "int" | "str?" | "int?" | "obj?">,
): QmpResult | undefined {
  const a = args ?? {};
  for (const [name, type] of Object.entries(spec)) {
    const v = Object.hasOwn(a, name) ? a[name] : undefined;
    if (v === undefined) {
      if (type.endsWith("?")) continue;
      return err(`Parameter '${name}' is missing`);
    }
    if (type.startsWith("str") && typeof v !== "string") {
      return err(`Invalid parameter type for '${name}', expected: string`);
    }
    if (type.startsWith("int") && !(typeof v === "number" && Number.isInteger(v))) {
      return err(`Invalid parameter type for '${name}', expected: integer`);
    }
    if (type === "obj?" && (v === null || typeof v !== "object" || Array.isArray(v))) {
      return err(`Invalid parameter type for '${name}', expected: object`);
    }
  }
  for (const key of Object.keys(a)) {
    // own members only: `constructor`, `toString` or `__proto__` are unknown members too
    if (!Object.hasOwn(spec, key)) return err(`Parameter '${key}' is unexpected`);
  }
  return undefined;
}

/**
 * Whether an FM-API extension command ran an Initiate DC Add or Release that
 * succeeded (directly, decoded, or as a 0x5300 envelope sent to the switch
 * CCI whose tunnelled command succeeded): the device then has records for
 * its host.
 */
function fmChangedCapacity(args: QmpObject | undefined, result: QmpResult): boolean {
  if (args === undefined || !("return" in result)) return false;
  const r = result.return as QmpObject;
  if (r.rc !== 0) return false;
  const initiates = (op: number) =>
    op === FmOpcode.INITIATE_DC_ADD || op === FmOpcode.INITIATE_DC_RELEASE;
  let opcode: number;
  let envelope = false;
  if (typeof args.command === "string") {
    const fields = (args.fields ?? {}) as QmpObject;
    const cmd = fmCommand(args.command);
    opcode = cmd.opcode ?? (typeof fields.opcode === "number" ? fields.opcode : -1);
    envelope = cmd.route === "switch-cci";
  } else {
    opcode = typeof args.opcode === "number" ? args.opcode : -1;
  }
  if (!envelope) return initiates(opcode);
  if (opcode !== TUNNEL_MANAGEMENT_COMMAND) return false;
  // The switch's response envelope: the tunnelled command at [7..8], its return code at [12..13].
  const out = fromHex(String(r["payload-hex"] ?? ""));
  return out.length >= 14 && initiates(out[8]! << 8 | out[7]!) && (out[12]! | out[13]! << 8) === 0;
}

/** The extension of a served machine in a host mode. */
export class HostExtension implements CommandExtension {
  /** Extension command names. */
  readonly commands: readonly string[] = [MAILBOX_COMMAND, FM_API_COMMAND, STATE_COMMAND];
  /** The host mode. */
  readonly mode: HostMode;
  readonly #machine: Machine;
  readonly #hosts: DeviceHosts;

  /**
   * Creates the extension of a served machine.
   *
   * @param machine the served machine.
   * @param mode the host mode.
   */
  constructor(machine: Machine, mode: HostMode) {
    this.#machine = machine;
    this.mode = mode;
    this.#hosts = DeviceHosts.of(machine);
  }

  #fm(device: string, opcode: number, payload: Uint8Array, switchCci = false): MailboxReply {
    const m = this.#machine;
    if (switchCci) {
      if (m.switchCciOf === undefined || m.switchCciMailboxSync === undefined) {
        throw new Error(`${FM_API_COMMAND}: this machine has no switch CCI above '${device}'`);
      }
      return m.switchCciMailboxSync(m.switchCciOf(device), opcode, payload);
    }
    if (m.fmSync === undefined) {
      throw new Error(`${FM_API_COMMAND}: this machine has no FM path to '${device}'`);
    }
    return m.fmSync(device, opcode, payload);
  }

  /** The decoded form of the FM-API command: `{device, command, fields?}`. */
  #fmDecoded(args: QmpObject): QmpResult {
    const bad = checkMembers(args, { device: "str", command: "str", fields: "obj?" });
    if (bad !== undefined) return bad;
    const name = args.command as string;
    let cmd;
    try {
      cmd = fmCommand(name);
    } catch (e) {
      return err(`Parameter 'command': ${(e as Error).message}`);
    }
    try {
      const req = encodeFmRequest(name, (args.fields ?? {}) as QmpObject);
      const r = this.#fm(args.device as string, req.opcode, req.payload, req.switchCci === true);
      return {
        return: { rc: r.rc, "payload-hex": toHex(r.payload), output: cmd.decode(r.payload) },
      };
    } catch (e) {
      if (e instanceof FmFieldError) return err(`Parameter 'fields': ${e.message}`);
      return err(e instanceof Error ? e.message : String(e));
    }
  }

  /** What the machine's `accept` hosts did, most recent last (bounded to 1000 entries). */
  get actions(): HostAction[] {
    return this.#hosts.actions;
  }

  /**
   * Runs an extension command. In `accept` mode, an FM Initiate DC Add or
   * Release that succeeded is answered by the device's host before this
   * returns (extension commands get no {@linkcode afterCommand} call), so
   * before any session's next command, as after a QMP add or release.
   */
  execute(command: string, args: QmpObject | undefined): QmpResult {
    const result = this.#execute(command, args);
    if (
      command === FM_API_COMMAND && this.mode === "accept" && fmChangedCapacity(args, result) &&
      typeof args?.device === "string"
    ) {
      this.hostOf(args.device).settle();
    }
    return result;
  }

  #execute(command: string, args: QmpObject | undefined): QmpResult {
    if (command === STATE_COMMAND) {
      const bad = checkMembers(args, {});
      if (bad !== undefined) return bad;
      return { return: this.#machine.state() as unknown as QmpValue };
    }
    if (command === FM_API_COMMAND && args !== undefined && Object.hasOwn(args, "command")) {
      return this.#fmDecoded(args);
    }
    if (command === MAILBOX_COMMAND || command === FM_API_COMMAND) {
      const bad = checkMembers(args, { device: "str", opcode: "int", "payload-hex": "str?" });
      if (bad !== undefined) return bad;
      const a = args!;
      const opcode = a.opcode as number;
      if (opcode < 0 || opcode > 0xffff) return err("Parameter 'opcode' expects uint16_t");
      let payload: Uint8Array;
      try {
        payload = fromHex((a["payload-hex"] as string | undefined) ?? "");
      } catch (e) {
        return err(`Parameter 'payload-hex': ${(e as Error).message}`);
      }
      try {
        const device = a.device as string;
        const r = command === MAILBOX_COMMAND
          ? this.#machine.mailboxSync(device, opcode, payload)
          : this.#fm(device, opcode, payload);
        return { return: { rc: r.rc, "payload-hex": toHex(r.payload) } };
      } catch (e) {
        return err(e instanceof Error ? e.message : String(e));
      }
    }
    return err(`The command ${command} has not been found`, "CommandNotFound");
  }

  /**
   * In `accept` mode, lets the device's host answer a successful DC add or
   * release at once (synchronously: before the session, or any other
   * session, processes its next command).
   */
  afterCommand(command: string, args: QmpObject | undefined, result: QmpResult): void {
    if (this.mode !== "accept" || !("return" in result)) return;
    if (command !== "cxl-add-dynamic-capacity" && command !== "cxl-release-dynamic-capacity") {
      return;
    }
    const path = args?.path;
    if (typeof path !== "string") return;
    this.hostOf(path).settle();
  }

  /** The one host of a device of the served machine (by id or QOM path). */
  hostOf(device: string): DeviceHost {
    return this.#hosts.forDevice(device);
  }
}
