/**
 * What the switch mailbox CCI answers differently per release line, as data
 * for the profiles.
 *
 * The Command Effects Log (what Get Supported Logs sizes and Get Log returns):
 * - 11.1.3 (read from the binary): 11 commands, with 0x5102 Get Virtual
 *   CXL Switch Info.
 * - 10.1 and 10.2: 10 commands, without 0x5102: the seed's 10.1.50 build
 *   answers Get Supported Logs with a 40-byte log, and the 10.2.50 source
 *   (`cxl_cmd_set_sw` in hw/cxl/cxl-mailbox-utils.c) has no 0x5102.
 *
 * Get Physical Port State's port blocks (0x5101):
 *
 * - 10.1 and 10.2: connected device CXL version 2 and version bitmask 2 on
 *   every port, link state 0 (the seed's 10.1.50 build; the 10.2.50 source
 *   writes these constants).
 * - 11.1.3: a downstream port reports connected version 3 when a device is
 *   below it (else 0) and bitmask 6, the upstream port bitmask 2; link
 *   state 2 on every port.
 *
 * @module
 */

/** One Command Effects Log entry. */
export interface CelEntry {
  /** The opcode. */
  readonly opcode: number;
  /** Command effect bits (0x08: immediate policy change). */
  readonly effect: number;
}

/** The switch CCI's Command Effects Log of 10.1 and 10.2 (opcode order). */
export const QEMU_10_1_SWITCH_CEL: readonly CelEntry[] = [
  { opcode: 0x0001, effect: 0 },
  { opcode: 0x0002, effect: 0 },
  { opcode: 0x0005, effect: 0 },
  { opcode: 0x0300, effect: 0 },
  { opcode: 0x0301, effect: 0x08 },
  { opcode: 0x0400, effect: 0 },
  { opcode: 0x0401, effect: 0 },
  { opcode: 0x5100, effect: 0 },
  { opcode: 0x5101, effect: 0 },
  { opcode: 0x5300, effect: 0 },
];

/** The switch CCI's Command Effects Log of 11.1.3: 10.1's plus 0x5102 (opcode order). */
export const QEMU_11_1_SWITCH_CEL: readonly CelEntry[] = [
  ...QEMU_10_1_SWITCH_CEL.filter((e) => e.opcode < 0x5102),
  { opcode: 0x5102, effect: 0 },
  ...QEMU_10_1_SWITCH_CEL.filter((e) => e.opcode > 0x5102),
];

/** Get Physical Port State's release-varying fields. */
export interface PortStateEncoding {
  /** Connected device CXL version: the same on every port, or undefined for 11.1's rule (3 when a device is below a downstream port, else 0). */
  readonly connectedVersion: number | undefined;
  /** A downstream port's CXL version bitmask (the upstream port's is 2 on every release). */
  readonly downstreamVersionBitmask: number;
  /** The link state field of every port. */
  readonly linkState: number;
}

/** What a release's switch CCI answers differently. */
export interface SwitchCciRelease {
  /** Its Command Effects Log. */
  readonly cel: readonly CelEntry[];
  /** Its Get Physical Port State fields. */
  readonly portState: PortStateEncoding;
}

/** 10.1 and 10.2 (and 10.0, not recorded: the suite has no FM path there). */
export const QEMU_10_1_SWITCH_CCI: SwitchCciRelease = {
  cel: QEMU_10_1_SWITCH_CEL,
  portState: { connectedVersion: 2, downstreamVersionBitmask: 2, linkState: 0 },
};

/** 11.1.3. */
export const QEMU_11_1_SWITCH_CCI: SwitchCciRelease = {
  cel: QEMU_11_1_SWITCH_CEL,
  portState: { connectedVersion: undefined, downstreamVersionBitmask: 6, linkState: 2 },
};
