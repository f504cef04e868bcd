/**
 * The switch mailbox CCI's 0x5300 Tunnel Management Command, as QEMU 10.0 to
 * 11.1 implement it on a `cxl-switch-mailbox-cci` function: the envelope a
 * fabric manager writes (port number, target type, size, then a CCI message
 * carrying the tunnelled command), the checks the switch makes, and the
 * response envelope. The model's switch CCI and the qtest driver share these
 * layouts, so a fixture's FM step is the same bytes on both.
 *
 * Request (input payload of 0x5300):
 * - [0] port number of the downstream port, [1] target type (0: the FM-owned
 *   LD of the device below it), [2..3] size of the CCI message that follows;
 * - CCI message: [4] category (0 request), [5] tag, [7] command, [8] command
 *   set, [9..11] payload length (24-bit), [12..13] return code, [14..15]
 *   vendor status, [16..] payload.
 *
 * Response: [0..1] response length (12 + inner payload), [4..] the CCI
 * message with category 1, the request's tag, command and set, the inner
 * payload length, return code and payload.
 *
 * @module
 */

import { setU16 } from "./dcd/bytes.ts";
import { type MailboxReply, ReturnCode } from "./host_interface.ts";

/** Opcode of the Tunnel Management Command. */
export const TUNNEL_MANAGEMENT_COMMAND = 0x5300;
/** Bytes of the tunnel header before the CCI message. */
export const TUNNEL_HEADER_SIZE = 4;
/** Bytes of a CCI message header before its payload. */
export const CCI_MESSAGE_HEADER_SIZE = 12;
/** Where the CCI message's payload starts in an envelope. */
const PAYLOAD_START = TUNNEL_HEADER_SIZE + CCI_MESSAGE_HEADER_SIZE;

/**
 * An envelope with its tunnel header (and the message's return code) left
 * zero: a CCI message of `category` with `tag`, `opcode` and the 24-bit
 * length of `payload`, then `payload`.
 */
function envelope(category: number, tag: number, opcode: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(PAYLOAD_START + payload.length);
  const n = payload.length;
  out[4] = category;
  out[5] = tag;
  out[7] = opcode & 0xff;
  out[8] = opcode >> 8;
  out[9] = n & 0xff;
  out[10] = (n >> 8) & 0xff;
  out[11] = (n >> 16) & 0xff;
  out.set(payload, PAYLOAD_START);
  return out;
}

/** The 16-bit opcode (set << 8 | command) of an envelope's CCI message. */
function messageOpcode(p: Uint8Array): number {
  return p[8]! << 8 | p[7]!;
}

/** The 24-bit payload length an envelope's CCI message header states. */
function messageLength(p: Uint8Array): number {
  return p[9]! | p[10]! << 8 | p[11]! << 16;
}

/** A tunnelled command as the switch reads it. */
export interface TunnelRequest {
  /** Downstream port number. */
  port: number;
  /** Target type (0: the FM-owned LD). */
  targetType: number;
  /** The CCI message's tag. */
  tag: number;
  /** 16-bit opcode of the tunnelled command (set << 8 | command). */
  opcode: number;
  /** The tunnelled payload, of the length the message header says. */
  payload: Uint8Array;
}

/**
 * Encodes a tunnel request for the command `opcode` with `payload` to the
 * device below downstream port `port`.
 *
 * @example
 * ```ts
 * import { encodeTunnelRequest } from "./fm_tunnel.ts";
 * const p = encodeTunnelRequest(2, 0x5600, new Uint8Array(0));
 * if (p.length !== 16 || p[0] !== 2 || p[2] !== 12 || p[7] !== 0x00 || p[8] !== 0x56) throw new Error();
 * ```
 */
export function encodeTunnelRequest(
  port: number,
  opcode: number,
  payload: Uint8Array,
  tag = 0,
): Uint8Array {
  const out = envelope(0, tag, opcode, payload);
  out[0] = port;
  setU16(out, 2, CCI_MESSAGE_HEADER_SIZE + payload.length);
  return out;
}

/**
 * Reads a tunnel request with the switch's checks, in QEMU's order: input
 * shorter than the two headers, a size shorter than a CCI message header, or
 * a size other than the input length less the tunnel header is 0x16; a
 * category other than request, or a target type other than 0, is 0x02.
 * Returns the request or the return code.
 */
export function parseTunnelRequest(input: Uint8Array): TunnelRequest | number {
  if (input.length < PAYLOAD_START) return ReturnCode.INVALID_PAYLOAD_LENGTH;
  const v = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const size = v.getUint16(2, true);
  if (size < CCI_MESSAGE_HEADER_SIZE) return ReturnCode.INVALID_PAYLOAD_LENGTH;
  if (size !== input.length - TUNNEL_HEADER_SIZE) return ReturnCode.INVALID_PAYLOAD_LENGTH;
  if (v.getUint8(4) !== 0) return ReturnCode.INVALID_INPUT;
  const targetType = v.getUint8(1);
  if (targetType !== 0) return ReturnCode.INVALID_INPUT;
  const length = messageLength(input);
  // The tunnelled command is given the length its header states; bytes past the input read as 0.
  const payload = new Uint8Array(length);
  payload.set(
    input.subarray(PAYLOAD_START, PAYLOAD_START + Math.min(length, input.length - PAYLOAD_START)),
  );
  return {
    port: v.getUint8(0),
    targetType,
    tag: v.getUint8(5),
    opcode: messageOpcode(input),
    payload,
  };
}

/** Encodes the switch's response envelope around the tunnelled command's answer. */
export function encodeTunnelResponse(request: TunnelRequest, inner: MailboxReply): Uint8Array {
  const out = envelope(1, request.tag, request.opcode, inner.payload);
  setU16(out, 0, CCI_MESSAGE_HEADER_SIZE + inner.payload.length);
  setU16(out, 12, inner.rc);
  return out;
}

/** The tunnel answered, but not with a response to the request sent. */
export class TunnelResponseError extends Error {
  /** Creates the error with its message. */
  constructor(message: string) {
    super(message);
    this.name = "TunnelResponseError";
  }
}

/**
 * Decodes the switch's answer to a tunnel request into the tunnelled
 * command's return code and payload. Throws {@linkcode TunnelResponseError}
 * when the switch itself refused the tunnel (its return code is not 0) or
 * the envelope is not a response to `opcode`.
 *
 * @example
 * ```ts
 * import { decodeTunnelResponse, encodeTunnelResponse, parseTunnelRequest, encodeTunnelRequest } from "./fm_tunnel.ts";
 * const req = parseTunnelRequest(encodeTunnelRequest(0, 0x5601, new Uint8Array(4)));
 * if (typeof req === "number") throw new Error();
 * const out = encodeTunnelResponse(req, { rc: 2, payload: new Uint8Array(0) });
 * if (decodeTunnelResponse({ rc: 0, payload: out }, 0x5601).rc !== 2) throw new Error();
 * ```
 */
export function decodeTunnelResponse(outer: MailboxReply, opcode: number): MailboxReply {
  const hex = (n: number) => `0x${n.toString(16).padStart(2, "0")}`;
  if (outer.rc !== ReturnCode.SUCCESS) {
    throw new TunnelResponseError(
      `the switch CCI refused the tunnel (0x5300 returned ${
        hex(outer.rc)
      }): expected 0x00 and the tunnelled command's answer inside`,
    );
  }
  const p = outer.payload;
  if (p.length < PAYLOAD_START) {
    throw new TunnelResponseError(
      `tunnel response of ${p.length} bytes: expected at least ${PAYLOAD_START} (the two headers)`,
    );
  }
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const got = messageOpcode(p);
  if (v.getUint8(4) !== 1 || got !== opcode) {
    throw new TunnelResponseError(
      `tunnel response category ${v.getUint8(4)} for opcode 0x${
        got.toString(16).padStart(4, "0")
      }: expected a response (1) to 0x${opcode.toString(16).padStart(4, "0")}`,
    );
  }
  return {
    rc: v.getUint16(12, true),
    payload: p.slice(PAYLOAD_START, PAYLOAD_START + messageLength(p)),
  };
}
