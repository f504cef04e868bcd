/**
 * The FM-API step vocabulary of transcripts: `=> DEVICE fm-COMMAND JSON`
 * runs an FM command on the type-3 device `DEVICE` the way a fabric manager
 * reaches it (through the 0x5300 tunnel of the switch mailbox CCI above it,
 * see {@linkcode HostInterface.fm}; or, for `fm-switch-cci-raw`, on that
 * switch CCI itself, see {@linkcode HostInterface.switchCci}), with input
 * written as decoded fields and output decoded to fields, like the host
 * mailbox commands of `codec.ts`. The table, the encoder and the decoders
 * live in the model (`model/dcd/fm_codec.ts`, shared with the served
 * model's FM-API extension command) and are re-exported here; this module
 * adds the return code names and the routing of a step's request.
 *
 * @module
 */

import type { HostInterface, MailboxReply } from "../../model/host_interface.ts";
import type { QmpObject } from "../../model/qmp_value.ts";
import { decodeFmOutput } from "../../model/dcd/fm_codec.ts";
import { returnCodeName } from "./return_codes.ts";

export {
  decodeFmOutput,
  encodeFmRequest,
  FM_COMMANDS,
  type FmCommand,
  fmCommand,
  type FmField,
  FmFieldError,
  type FmFieldType,
  type FmRequest,
  type FmRoute,
  isFmCommand,
} from "../../model/dcd/fm_codec.ts";

/**
 * Decodes the answer of an FM command into a return code name and fields.
 *
 * @example
 * ```ts
 * import { decodeFmReply } from "./fm_codec.ts";
 * const r = decodeFmReply("fm-initiate-dc-add", { rc: 0x1e, payload: new Uint8Array(0) });
 * if (r.rc !== "INVALID_EXTENT_LIST") throw new Error(r.rc);
 * ```
 */
export function decodeFmReply(
  command: string,
  reply: MailboxReply,
): { rc: string; output: QmpObject } {
  return { rc: returnCodeName(reply.rc), output: decodeFmOutput(command, reply.payload) };
}

/**
 * Sends an encoded step request where it belongs: an FM request through the
 * device's FM path (or, marked `switchCci`, to the switch CCI above it), any
 * other to its mailbox.
 *
 * @throws {Error} for an FM request on a device view without that path.
 */
export function sendStepRequest(
  host: HostInterface,
  req: { opcode: number; payload: Uint8Array; fm?: true; switchCci?: true },
): Promise<MailboxReply> {
  if (req.fm !== true) return host.mailbox(req.opcode, req.payload);
  const path = req.switchCci === true ? host.switchCci?.bind(host) : host.fm?.bind(host);
  if (path === undefined) {
    return Promise.reject(
      new Error(
        `this target's device view has no ${
          req.switchCci === true ? "switch CCI" : "FM"
        } path: expected a target that reaches the switch mailbox CCI above the device ` +
          "(fixtures with FM steps require fm-api-dcd)",
      ),
    );
  }
  return path(req.opcode, req.payload);
}
