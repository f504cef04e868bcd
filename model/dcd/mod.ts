/**
 * The Dynamic Capacity device of the model: state, QMP operations, event
 * logs and mailbox.
 *
 * @example
 * ```ts
 * import { DcDevice } from "@cxl-dcd/conformance/model";
 * import { SEED } from "@cxl-dcd/conformance/model";
 * const dev = new DcDevice({
 *   id: "cxl-vmem0", profile: SEED, clock: () => 0n, lazy: false, hpaBase: 0n,
 *   geometry: { regionCount: 1, regionLength: 1n << 30n, firstRegionBase: 0n, blockSize: 2n << 20n },
 *   backends: { findByTag: () => undefined },
 * });
 * if (dev.add({ hostId: 0, region: 1, tag: undefined, extents: [] }) !== "region id is too large") {
 *   throw new Error("expected the region check");
 * }
 * ```
 *
 * @module
 */

export { CAPACITY_MULTIPLIER } from "./bytes.ts";
export { DcDevice, MAX_EXTENTS_PER_LIST, type ReleaseStatus } from "./dc_device.ts";
export { type DcExtent, ExtentStore, type PendingGroup } from "./dc_extents.ts";
export {
  buildDcEventRecord,
  DC_EVENT_UUID_TEXT,
  type DcEventFields,
  DcEventType,
  EVENT_LOG_COUNT,
  EVENT_PAYLOAD_HEADER_SIZE,
  EVENT_RECORD_SIZE,
  EventLog,
  EventLogId,
  EventLogs,
  GET_EVENTS_FLAG_MORE_RECORDS,
  GET_EVENTS_FLAG_OVERFLOW,
  MAX_RECORDS_PER_GET,
} from "./event_log.ts";
export {
  dispatchMailbox,
  FIXED_INPUT_LENGTH,
  implementsOpcode,
  OPCODE_GET_PARTITION_INFO,
} from "./mailbox.ts";
export { dispatchFmApi, FM_FIXED_INPUT_LENGTH, FmOpcode, implementsFmOpcode } from "./fm_api.ts";
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
} from "./fm_codec.ts";
export type { TableCommand } from "./field_codec.ts";
export { PayloadReader, PayloadWriter } from "./bytes.ts";
export type * from "./types.ts";
