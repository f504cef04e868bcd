/**
 * The switch mailbox CCI's own commands besides the tunnel, as QEMU 11.1.3
 * answers them on a `cxl-switch-mailbox-cci` (recorded from the binary; see
 * `fixtures/fm/switch-cci-commands.qmp`). QEMU's command set of that CCI is
 * the Command Effects Log below; the model answers each of them from the
 * switch's topology, except:
 *
 * - 0x0300 Get Timestamp / 0x0301 Set Timestamp: QEMU casts the switch's
 *   upstream port to a type-3 device and aborts (a QOM cast failure), so
 *   there is nothing to reproduce; the model answers 0x03 Unsupported;
 * - 0x5102 Get Virtual CXL Switch Info: not modelled (0x03 Unsupported).
 *
 * Every opcode outside the log is 0x03 Unsupported, as in QEMU. A command
 * of fixed input length given another length is 0x16.
 *
 * @module
 */

import {
  MAILBOX_PAYLOAD_MAX,
  type MailboxReply,
  mailboxReply as reply,
  ReturnCode,
} from "./host_interface.ts";
import { PayloadReader, PayloadWriter } from "./dcd/bytes.ts";
import type { CxlSwitch } from "./topology.ts";
import { parseUuid } from "./uuid.ts";

export type { CelEntry } from "./switch_release_tables.ts";

/** The CEL's UUID (Get Supported Logs, Get Log). */
const CEL_UUID = parseUuid("0da9c0b5-bf41-4b78-8f79-96b1623b3f17");
/** QEMU's CEL array: 65536 entries of 4 bytes; Get Log's bound check is against its size. */
const CEL_ARRAY_BYTES = 65536 * 4;
/** Return codes QEMU uses here that the model has no name for. */
const INVALID_LOG = 0x17;
const REQUEST_ABORT_NOT_SUPPORTED = 0x20;
/** The switch's PCI ids (the upstream port's: Huawei 19e5:a128). */
const USP_VENDOR = 0x19e5;
const USP_DEVICE = 0xa128;
/** Link fields of QEMU's ports with default `x-speed`/`x-width`. */
const LINK_WIDTH = 16;
const DSP_MAX_SPEED = 6; // 64 GT/s
const USP_MAX_SPEED = 5; // 32 GT/s
const TYPE3_SPEED = 5; // a cxl-type3 link: 32 GT/s

const FIXED_INPUT: Readonly<Record<number, number>> = {
  0x0001: 0,
  0x0002: 0,
  0x0005: 0,
  0x0400: 0,
  0x0401: 0x18,
  0x5100: 0,
};

/**
 * Runs one of the switch CCI's own commands (anything but 0x5300) for a
 * switch.
 *
 * @example
 * ```ts
 * import { switchCommand } from "./switch_commands.ts";
 * import { QEMU_11_1_SWITCH_CCI } from "@cxl-dcd/conformance/model";
 * const sw = { upstream: "us0", port: 33, sn: (1n << 64n) - 1n,
 *   downstream: [{ id: "dsp0", port: 2, below: "type3" as const }], release: QEMU_11_1_SWITCH_CCI };
 * const id = switchCommand(sw, 0x5100, new Uint8Array(0));
 * if (id.rc !== 0 || id.payload.length !== 0x49 || id.payload[2] !== 2) throw new Error();
 * const logs = switchCommand(sw, 0x0400, new Uint8Array(0));
 * if (logs.payload[0x18] !== 4 * 11) throw new Error("11.1.3's log has 11 entries");
 * ```
 */
export function switchCommand(sw: CxlSwitch, opcode: number, payload: Uint8Array): MailboxReply {
  const fixed = FIXED_INPUT[opcode];
  if (fixed !== undefined && payload.length !== fixed) {
    return reply(ReturnCode.INVALID_PAYLOAD_LENGTH);
  }
  switch (opcode) {
    case 0x0001:
      return identify(sw);
    case 0x0002:
      // Background Operation Status: nothing ever runs in the background here.
      return reply(ReturnCode.SUCCESS, new Uint8Array(8));
    case 0x0005:
      // Background Operation Abort: the (never run) last command cannot be aborted.
      return reply(REQUEST_ABORT_NOT_SUPPORTED);
    case 0x0400: {
      const w = new PayloadWriter(0x1c);
      w.u16(0, 1).copy(8, CEL_UUID).u32(0x18, 4 * sw.release.cel.length);
      return reply(ReturnCode.SUCCESS, w.bytes);
    }
    case 0x0401:
      return getLog(sw, payload);
    case 0x5100:
      return identifySwitch(sw);
    case 0x5101:
      return physicalPortState(sw, payload);
    default:
      return reply(ReturnCode.UNSUPPORTED);
  }
}

/** 0x0001: the upstream port's ids, no subsystem ids, its `sn`, log2 of 2048, type 0 (switch). */
function identify(sw: CxlSwitch): MailboxReply {
  const w = new PayloadWriter(18);
  w.u16(0, USP_VENDOR).u16(2, USP_DEVICE).u64(8, sw.sn).u8(16, Math.log2(MAILBOX_PAYLOAD_MAX)).u8(
    17,
    0,
  );
  return reply(ReturnCode.SUCCESS, w.bytes);
}

/**
 * 0x0401, as QEMU reads it: a length above the payload size is 0x02, a log
 * other than the CEL 0x17, an offset plus length at or past QEMU's CEL array
 * 0x02; the offset counts 4-byte entries (QEMU adds it to an entry pointer),
 * and bytes past the log's entries are zero.
 */
function getLog(sw: CxlSwitch, payload: Uint8Array): MailboxReply {
  const r = new PayloadReader(payload);
  const offset = r.u32(0x10);
  const length = r.u32(0x14);
  if (length > MAILBOX_PAYLOAD_MAX) return reply(ReturnCode.INVALID_INPUT);
  const uuid = payload.subarray(0, 16);
  if (!uuid.every((b, i) => b === CEL_UUID[i])) return reply(INVALID_LOG);
  if (offset + length >= CEL_ARRAY_BYTES) return reply(ReturnCode.INVALID_INPUT);
  const cel = new PayloadWriter(4 * sw.release.cel.length);
  sw.release.cel.forEach((e, i) => cel.u16(4 * i, e.opcode).u16(4 * i + 2, e.effect));
  const out = new Uint8Array(length);
  out.set(cel.bytes.subarray(Math.min(4 * offset, cel.bytes.length)).subarray(0, length));
  return reply(ReturnCode.SUCCESS, out);
}

/**
 * 0x5100: ingress port 0 (the CCI is no port), one physical port per
 * downstream port plus the upstream one, one VCS, the active-port bitmask of
 * every downstream port and the upstream port, vPPBs as many as physical
 * ports, 4 HDM decoders.
 */
function identifySwitch(sw: CxlSwitch): MailboxReply {
  const n = sw.downstream.length + 1;
  const w = new PayloadWriter(0x49);
  w.u8(0, 0).u8(2, n).u8(3, 1);
  const bits = new Uint8Array(0x20);
  for (const p of [...sw.downstream.map((d) => d.port), sw.port]) {
    bits[p >> 3] = bits[p >> 3]! | (1 << (p & 7));
  }
  w.copy(4, bits).u8(0x24, 1).u16(0x44, n).u16(0x46, n).u8(0x48, 4);
  return reply(ReturnCode.SUCCESS, w.bytes);
}

/**
 * 0x5101, in QEMU's order: no input is 0x16; more ports than 2048 bytes
 * hold is 0x02; then each requested port in turn, a number that is neither
 * a downstream port nor the upstream port 0x02 (nothing returned). The port
 * numbers past the given input read as zero (QEMU reads its buffer).
 */
function physicalPortState(sw: CxlSwitch, payload: Uint8Array): MailboxReply {
  if (payload.length < 1) return reply(ReturnCode.INVALID_PAYLOAD_LENGTH);
  const count = payload[0]!;
  if (4 + 16 * count > MAILBOX_PAYLOAD_MAX) return reply(ReturnCode.INVALID_INPUT);
  const w = new PayloadWriter(4 + 16 * count);
  w.u8(0, count);
  for (let i = 0; i < count; i++) {
    const id = payload[1 + i] ?? 0;
    const o = 4 + 16 * i;
    const dsp = sw.downstream.find((d) => d.port === id);
    const enc = sw.release.portState;
    w.u8(o, id).u8(o + 6, LINK_WIDTH).u8(o + 7, LINK_WIDTH).u8(o + 11, 7);
    w.u16(o + 13, enc.linkState);
    if (enc.connectedVersion !== undefined) w.u8(o + 2, enc.connectedVersion);
    if (dsp !== undefined) {
      const linked = dsp.below !== "none";
      w.u8(o + 1, 3);
      if (enc.connectedVersion === undefined) w.u8(o + 2, linked ? 3 : 0);
      w.u8(o + 4, dsp.below === "type3" ? 5 : dsp.below === "other" ? 1 : 0);
      w.u8(o + 5, enc.downstreamVersionBitmask);
      w.u8(o + 8, 0x3f).u8(o + 9, DSP_MAX_SPEED);
      w.u8(o + 10, dsp.below === "type3" ? TYPE3_SPEED : DSP_MAX_SPEED).u8(o + 15, 3);
    } else if (id === sw.port) {
      w.u8(o + 1, 4).u8(o + 5, 2).u8(o + 8, 0x1f).u8(o + 9, USP_MAX_SPEED).u8(
        o + 10,
        USP_MAX_SPEED,
      );
    } else {
      return reply(ReturnCode.INVALID_INPUT);
    }
  }
  return reply(ReturnCode.SUCCESS, w.bytes);
}
