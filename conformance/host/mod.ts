/**
 * The host side of a CXL memory device: the named mailbox command vocabulary
 * transcripts use (`HOST_COMMANDS`, encode fields / decode output), typed
 * payload layouts, return codes by name, and host procedures (read the DC
 * configuration, list extents, drain events, accept offers, release) written
 * once against {@linkcode HostInterface}.
 *
 * @example
 * ```ts
 * import { decodeHostReply, encodeHostRequest } from "@cxl-dcd/conformance/conformance";
 * const req = encodeHostRequest("get-dc-extent-list", { count: 10 });
 * const reply = decodeHostReply("get-dc-extent-list", { rc: 0, payload: new Uint8Array(16) });
 * if (req.opcode !== 0x4801 || reply.output["returned"] !== 0) throw new Error();
 * ```
 *
 * @module
 */

export type { HostInterface, MailboxReply } from "../../model/host_interface.ts";
export type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
export * from "./bytes.ts";
export * from "./codec.ts";
export * from "./helpers.ts";
export * from "./layouts.ts";
export * from "./return_codes.ts";
