/**
 * The mailbox command table of the model's CXL type-3 device, with QEMU
 * 10.0.2's input-length rules:
 *
 * | Opcode | Command | Input length |
 * |---|---|---|
 * | 0x0100 | Get Event Records | exactly 1 |
 * | 0x0101 | Clear Event Records | variable (>= 6 + 2n) |
 * | 0x0102 | Get Event Interrupt Policy | exactly 0 |
 * | 0x0103 | Set Event Interrupt Policy | variable (>= 4) |
 * | 0x0300 | Get Timestamp | exactly 0 |
 * | 0x0301 | Set Timestamp | exactly 8 |
 * | 0x4000 | Identify Memory Device | exactly 0 |
 * | 0x4100 | Get Partition Info | exactly 0 |
 * | 0x4800 | Get Dynamic Capacity Configuration | exactly 2 (DC devices only) |
 * | 0x4801 | Get Dynamic Capacity Extent List | exactly 8 (DC devices only) |
 * | 0x4802 | Add Dynamic Capacity Response | variable (DC devices only) |
 * | 0x4803 | Release Dynamic Capacity | variable (DC devices only) |
 *
 * A fixed-size command with another input length returns 0x16 Invalid
 * Payload Length. Any other opcode, and the 0x48xx opcodes on a device with
 * no DC regions, return 0x03 Unsupported. QEMU 10.0.2 implements more
 * opcodes (logs, features, LSA, poison, sanitize...) that the model does not.
 *
 * Like QEMU 10.0.2, the model does not compare the input length with the
 * 2048-byte payload area: a variable-length command given a longer input
 * runs normally (observed: 0x4803 and 0x0101 with a command length of 2049
 * and of 0x1FFFFF), and a fixed-size one returns 0x16 as for any other
 * wrong length.
 *
 * @module
 */

import { type MailboxReply, mailboxReply, Opcode, ReturnCode } from "../host_interface.ts";
import { PayloadReader, PayloadWriter } from "./bytes.ts";
import type { DcDevice } from "./dc_device.ts";

/** Opcode for Get Partition Info (not in the shared {@linkcode Opcode} table). */
export const OPCODE_GET_PARTITION_INFO = 0x4100;

/** Fixed input lengths; opcodes absent here take a variable-length input. */
export const FIXED_INPUT_LENGTH: Readonly<Record<number, number>> = {
  [Opcode.EVENTS_GET_RECORDS]: 1,
  [Opcode.EVENTS_GET_INTERRUPT_POLICY]: 0,
  [Opcode.TIMESTAMP_GET]: 0,
  [Opcode.TIMESTAMP_SET]: 8,
  [Opcode.IDENTIFY_MEMORY_DEVICE]: 0,
  [OPCODE_GET_PARTITION_INFO]: 0,
  [Opcode.DC_GET_CONFIG]: 2,
  [Opcode.DC_GET_EXTENT_LIST]: 8,
};

const IMPLEMENTED = new Set<number>([
  Opcode.EVENTS_GET_RECORDS,
  Opcode.EVENTS_CLEAR_RECORDS,
  Opcode.EVENTS_GET_INTERRUPT_POLICY,
  Opcode.EVENTS_SET_INTERRUPT_POLICY,
  Opcode.TIMESTAMP_GET,
  Opcode.TIMESTAMP_SET,
  Opcode.IDENTIFY_MEMORY_DEVICE,
  OPCODE_GET_PARTITION_INFO,
  Opcode.DC_GET_CONFIG,
  Opcode.DC_GET_EXTENT_LIST,
  Opcode.DC_ADD_RESPONSE,
  Opcode.DC_RELEASE,
]);

/**
 * Whether the device implements an opcode (DCD opcodes only with DC regions).
 *
 * @example
 * ```ts
 * import { implementsOpcode } from "@cxl-dcd/conformance/model";
 * if (!implementsOpcode(0x4802, 1) || implementsOpcode(0x4802, 0)) throw new Error("dcd");
 * ```
 */
export function implementsOpcode(opcode: number, regionCount: number): boolean {
  if (!IMPLEMENTED.has(opcode)) return false;
  return (opcode & 0xff00) !== 0x4800 || regionCount > 0;
}

/**
 * Runs one mailbox command against a device. Used by {@linkcode DcDevice.mailbox}.
 *
 * @example
 * ```ts
 * import { DcDevice } from "@cxl-dcd/conformance/model";
 * import { dispatchMailbox } from "@cxl-dcd/conformance/model";
 * import { SEED } from "@cxl-dcd/conformance/model";
 * const dev = new DcDevice({
 *   id: "d", profile: SEED, clock: () => 0n, lazy: false, hpaBase: 0n,
 *   geometry: { regionCount: 1, regionLength: 1n << 30n, firstRegionBase: 0n, blockSize: 2n << 20n },
 *   backends: { findByTag: () => undefined },
 * });
 * if (dispatchMailbox(dev, 0x4000, new Uint8Array(1)).rc !== 0x16) throw new Error("length rule");
 * if (dispatchMailbox(dev, 0x7777, new Uint8Array(0)).rc !== 0x03) throw new Error("unsupported");
 * ```
 */
export function dispatchMailbox(
  device: DcDevice,
  opcode: number,
  payload: Uint8Array,
): MailboxReply {
  if (!implementsOpcode(opcode, device.config.geometry.regionCount)) {
    return mailboxReply(ReturnCode.UNSUPPORTED);
  }
  const fixed = FIXED_INPUT_LENGTH[opcode];
  if (fixed !== undefined && payload.length !== fixed) {
    return mailboxReply(ReturnCode.INVALID_PAYLOAD_LENGTH);
  }
  switch (opcode) {
    case Opcode.EVENTS_GET_RECORDS:
      return device.events.getRecords(payload);
    case Opcode.EVENTS_CLEAR_RECORDS:
      return device.events.clearRecords(payload);
    case Opcode.EVENTS_GET_INTERRUPT_POLICY:
      return device.events.getInterruptPolicy();
    case Opcode.EVENTS_SET_INTERRUPT_POLICY:
      return device.events.setInterruptPolicy(payload);
    case Opcode.TIMESTAMP_GET:
      return {
        rc: ReturnCode.SUCCESS,
        payload: new PayloadWriter(8).u64(0, device.timestamp()).bytes,
      };
    case Opcode.TIMESTAMP_SET:
      device.setTimestamp(new PayloadReader(payload).u64(0));
      return mailboxReply(ReturnCode.SUCCESS);
    case Opcode.IDENTIFY_MEMORY_DEVICE:
      return device.identify();
    case OPCODE_GET_PARTITION_INFO:
      return device.partitionInfo();
    case Opcode.DC_GET_CONFIG:
      return device.getDcConfig(payload);
    case Opcode.DC_GET_EXTENT_LIST:
      return device.getExtentList(payload);
    case Opcode.DC_ADD_RESPONSE:
      return device.addResponse(payload);
    case Opcode.DC_RELEASE:
      return device.releaseResponse(payload);
    default:
      return mailboxReply(ReturnCode.UNSUPPORTED);
  }
}
