/**
 * The one host interface of the project: a CXL device mailbox seen from the
 * host. Mailbox opcode and input payload in; return code and output payload
 * out. The model implements it in-process; the qtest driver implements it for
 * a real QEMU. Host helpers (accept, release, read events...) are written once
 * against this interface and serve both.
 *
 * @module
 */

/** The device's answer to one mailbox command. */
export interface MailboxReply {
  /** CXL return code (0 = success), from the mailbox status register. */
  rc: number;
  /** Output payload, exactly the output length the device reported. */
  payload: Uint8Array;
}

/** A host's view of one CXL memory device mailbox. */
export interface HostInterface {
  /**
   * Runs one mailbox command.
   *
   * @param opcode 16-bit opcode, command set in the high byte (e.g. 0x4802).
   * @param payload input payload (at most 2048 bytes).
   */
  mailbox(opcode: number, payload: Uint8Array): Promise<MailboxReply>;
  /**
   * Runs one FM-API command (e.g. 0x5604 Initiate DC Add) on the device the
   * way a fabric manager reaches it: through the 0x5300 tunnel of the switch
   * mailbox CCI above it. Resolves to the tunnelled command's return code
   * and output. Absent, or rejecting with the reason, when the device has no
   * FM path (not below a switch with a mailbox CCI).
   *
   * @param opcode 16-bit FM-API opcode.
   * @param payload its input payload.
   */
  fm?(opcode: number, payload: Uint8Array): Promise<MailboxReply>;
  /**
   * Runs one command on the switch mailbox CCI above the device (the one
   * whose 0x5300 tunnel reaches it), as a fabric manager sends it: e.g.
   * 0x0001 Identify, 0x5100 Identify Switch Device, or a 0x5300 envelope
   * written byte by byte. Absent, or rejecting with the reason, when the
   * device has no FM path.
   *
   * @param opcode 16-bit opcode.
   * @param payload its input payload.
   */
  switchCci?(opcode: number, payload: Uint8Array): Promise<MailboxReply>;
}

const NO_PAYLOAD = new Uint8Array(0);

/**
 * A command's answer: its return code and output payload (none by default).
 *
 * @example
 * ```ts
 * import { mailboxReply } from "./host_interface.ts";
 * const r = mailboxReply(0x03);
 * if (r.rc !== 0x03 || r.payload.length !== 0) throw new Error();
 * ```
 */
export function mailboxReply(rc: number, payload: Uint8Array = NO_PAYLOAD): MailboxReply {
  return { rc, payload };
}

/** CXL mailbox return codes used by QEMU's DCD and event commands. */
export const ReturnCode = {
  SUCCESS: 0x00,
  BACKGROUND_STARTED: 0x01,
  INVALID_INPUT: 0x02,
  UNSUPPORTED: 0x03,
  INTERNAL_ERROR: 0x04,
  RETRY_REQUIRED: 0x05,
  BUSY: 0x06,
  INVALID_HANDLE: 0x0e,
  INVALID_PA: 0x0f,
  INVALID_PAYLOAD_LENGTH: 0x16,
  RESOURCES_EXHAUSTED: 0x1d,
  INVALID_EXTENT_LIST: 0x1e,
} as const;

/** Name of a CXL return code. */
export type ReturnCodeName = keyof typeof ReturnCode;

/** Mailbox opcodes the project knows by name. */
export const Opcode = {
  EVENTS_GET_RECORDS: 0x0100,
  EVENTS_CLEAR_RECORDS: 0x0101,
  EVENTS_GET_INTERRUPT_POLICY: 0x0102,
  EVENTS_SET_INTERRUPT_POLICY: 0x0103,
  TIMESTAMP_GET: 0x0300,
  TIMESTAMP_SET: 0x0301,
  IDENTIFY_MEMORY_DEVICE: 0x4000,
  DC_GET_CONFIG: 0x4800,
  DC_GET_EXTENT_LIST: 0x4801,
  DC_ADD_RESPONSE: 0x4802,
  DC_RELEASE: 0x4803,
} as const;

/**
 * Largest mailbox payload QEMU's primary mailbox accepts (2^11); the switch
 * mailbox CCI and a device's FM-owned LD CCI have the same payload area.
 */
export const MAILBOX_PAYLOAD_MAX = 2048;
