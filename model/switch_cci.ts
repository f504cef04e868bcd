/**
 * The model's `cxl-switch-mailbox-cci`: the one command a fabric manager
 * needs from it, 0x5300 Tunnel Management Command, delivered to the FM-owned
 * LD CCI of the type-3 device below the addressed downstream port (see
 * `fm_tunnel.ts` for the envelope and `dcd/fm_api.ts` for what the device
 * answers), and the switch's own commands (Identify, background operation
 * status and abort, logs, Identify Switch Device, Get Physical Port State;
 * see `switch_commands.ts`) computed from the switch's ports.
 *
 * @module
 */

import { type MailboxReply, mailboxReply, ReturnCode } from "./host_interface.ts";
import {
  decodeTunnelResponse,
  encodeTunnelRequest,
  encodeTunnelResponse,
  parseTunnelRequest,
  TUNNEL_MANAGEMENT_COMMAND,
} from "./fm_tunnel.ts";
import { switchCommand } from "./switch_commands.ts";
import type { SwitchCci, Topology, Type3 } from "./topology.ts";

/**
 * The switch CCI whose target is the switch above a device, and the number
 * of the downstream port its tunnel reaches the device through.
 *
 * @throws {RangeError} when the device is not below a switch with a mailbox CCI.
 */
export function switchCciAbove(
  topology: Topology,
  device: Type3,
): { cci: SwitchCci; port: number } {
  const route = device.fmRoute;
  if (route !== undefined) {
    const cci = topology.switchCcis.find((c) => c.target === route.upstream);
    if (cci !== undefined) return { cci, port: route.port };
  }
  throw new RangeError(noFmPathMessage(device.id));
}

/**
 * What a host is told when it asks for the FM path of a device that has
 * none (the model and the qtest driver say the same).
 *
 * @example
 * ```ts
 * import { noFmPathMessage } from "./switch_cci.ts";
 * if (!noFmPathMessage("cxl-vmem0").startsWith("device 'cxl-vmem0' has no FM path")) throw new Error();
 * ```
 */
export function noFmPathMessage(device: string): string {
  return `device '${device}' has no FM path: expected it below a cxl-downstream port of a ` +
    "cxl-upstream that a cxl-switch-mailbox-cci targets (target=UPSTREAM-ID)";
}

/**
 * Runs one command on a switch mailbox CCI of the topology. For 0x5300 the
 * tunnel checks of `parseTunnelRequest` come first; then a port number that
 * no downstream port of the switch has, or a port with no type-3 device
 * below it, is 0x02 Invalid Input, as in QEMU.
 *
 * @throws {RangeError} when no switch CCI has that id.
 */
export function switchCciMailbox(
  topology: Topology,
  cci: string,
  opcode: number,
  payload: Uint8Array,
): MailboxReply {
  const sw = topology.switchCcis.find((c) => c.id === cci);
  if (sw === undefined) {
    throw new RangeError(
      `no cxl-switch-mailbox-cci '${cci}': expected one of ${
        topology.switchCcis.map((c) => c.id).join(", ") || "(none)"
      }`,
    );
  }
  if (opcode !== TUNNEL_MANAGEMENT_COMMAND) {
    const below = topology.switches.find((s) => s.upstream === sw.target);
    return below === undefined
      ? mailboxReply(ReturnCode.UNSUPPORTED)
      : switchCommand(below, opcode, payload);
  }
  const req = parseTunnelRequest(payload);
  if (typeof req === "number") return mailboxReply(req);
  const target = topology.type3.find((t) =>
    t.fmRoute !== undefined && t.fmRoute.upstream === sw.target && t.fmRoute.port === req.port
  );
  if (target === undefined) return mailboxReply(ReturnCode.INVALID_INPUT);
  const inner = target.device.fmApi(req.opcode, req.payload);
  return { rc: ReturnCode.SUCCESS, payload: encodeTunnelResponse(req, inner) };
}

/**
 * Runs an FM-API command on a type-3 device the way a fabric manager
 * reaches it: tunnelled through the switch mailbox CCI above it to the
 * downstream port it sits below. Returns the tunnelled command's answer.
 *
 * @throws {RangeError} when the device is not below a switch with a mailbox CCI.
 */
export function fmThroughSwitch(
  topology: Topology,
  device: Type3,
  opcode: number,
  payload: Uint8Array,
): MailboxReply {
  const { cci, port } = switchCciAbove(topology, device);
  const outer = switchCciMailbox(
    topology,
    cci.id,
    TUNNEL_MANAGEMENT_COMMAND,
    encodeTunnelRequest(port, opcode, payload),
  );
  return decodeTunnelResponse(outer, opcode);
}
