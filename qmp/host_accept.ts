/**
 * The `accept` simulated host: reads a device's Dynamic Capacity event log
 * through its mailbox, accepts every offered extent in full (0x4802 Add
 * Dynamic Capacity Response, one response per offered group, in order),
 * releases every extent a release event names (0x4803 Release Dynamic
 * Capacity), then clears the records it handled (0x0101). It uses nothing but
 * the {@linkcode HostInterface}, so it drives the model and a real QEMU alike.
 *
 * Record layout (QEMU 10.0.2): Get Event Records (0x0100) output has the
 * record count at 0x14 and 128-byte records from 0x20; in a record, the
 * handle is at 0x14, the event type at 0x30 (0 add, 1 release), the flags at
 * 0x35 (bit 0: more records of this request follow) and the extent (DPA,
 * length) at 0x38/0x40.
 *
 * @module
 */

import {
  type HostInterface,
  type MailboxReply,
  Opcode,
  ReturnCode,
} from "../model/host_interface.ts";

/** Event log id of the Dynamic Capacity log. */
export const DC_EVENT_LOG = 4;
const RECORD = 0x80;
const HEADER = 0x20;

/** One extent named by an event record. */
export interface EventExtent {
  /** Device physical address. */
  dpa: bigint;
  /** Length in bytes. */
  len: bigint;
}

/** What the host did, for logs and tests. */
export interface HostAction {
  /** `add-response`, `release` or `clear`. */
  action: "add-response" | "release" | "clear";
  /** The extents answered (empty for `clear`). */
  extents: EventExtent[];
  /** Mailbox return code. */
  rc: number;
}

function extentPayload(extents: readonly EventExtent[]): Uint8Array {
  const b = new Uint8Array(8 + 24 * extents.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, extents.length, true);
  extents.forEach((e, i) => {
    v.setBigUint64(8 + 24 * i, e.dpa, true);
    v.setBigUint64(16 + 24 * i, e.len, true);
  });
  return b;
}

/** One mailbox command the host wants to run. */
export interface MailboxRequest {
  /** Opcode. */
  opcode: number;
  /** Input payload. */
  payload: Uint8Array;
}

/**
 * The accept host as a sequence of mailbox requests: yields each request,
 * takes the device's reply, returns what it did. Driven by
 * {@linkcode acceptAll} (asynchronous mailbox, e.g. a real QEMU) or
 * {@linkcode acceptAllSync} (the model's synchronous mailbox).
 *
 * @param maxRounds bound on Get/Clear rounds (the log holds at most a few records).
 */
export function* acceptSteps(
  maxRounds?: number,
): Generator<MailboxRequest, HostAction[], MailboxReply> {
  maxRounds ??= 64;
  const actions: HostAction[] = [];
  let addGroup: EventExtent[] = [];
  let releaseGroup: EventExtent[] = [];
  function* flushAdd(): Generator<MailboxRequest, void, MailboxReply> {
    if (addGroup.length === 0) return;
    const r = yield { opcode: Opcode.DC_ADD_RESPONSE, payload: extentPayload(addGroup) };
    actions.push({ action: "add-response", extents: addGroup, rc: r.rc });
    addGroup = [];
  }
  function* flushRelease(): Generator<MailboxRequest, void, MailboxReply> {
    if (releaseGroup.length === 0) return;
    const r = yield { opcode: Opcode.DC_RELEASE, payload: extentPayload(releaseGroup) };
    actions.push({ action: "release", extents: releaseGroup, rc: r.rc });
    releaseGroup = [];
  }
  for (let round = 0; round < maxRounds; round++) {
    const got = yield { opcode: Opcode.EVENTS_GET_RECORDS, payload: Uint8Array.of(DC_EVENT_LOG) };
    if (got.rc !== ReturnCode.SUCCESS || got.payload.length < HEADER) break;
    const p = got.payload;
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const count = Math.min(v.getUint16(0x14, true), Math.floor((p.length - HEADER) / RECORD));
    if (count === 0) break;
    const handles: number[] = [];
    for (let i = 0; i < count; i++) {
      const at = HEADER + i * RECORD;
      handles.push(v.getUint16(at + 0x14, true));
      const type = p[at + 0x30]!;
      const more = (p[at + 0x35]! & 1) !== 0;
      const extent = { dpa: v.getBigUint64(at + 0x38, true), len: v.getBigUint64(at + 0x40, true) };
      if (type === 0) {
        yield* flushRelease();
        addGroup.push(extent);
        if (!more) yield* flushAdd();
      } else if (type === 1) {
        yield* flushAdd();
        releaseGroup.push(extent);
        if (!more) yield* flushRelease();
      }
    }
    const clear = new Uint8Array(6 + 2 * handles.length);
    clear[0] = DC_EVENT_LOG;
    clear[2] = handles.length;
    handles.forEach((h, i) => new DataView(clear.buffer).setUint16(6 + 2 * i, h, true));
    const cleared = yield { opcode: Opcode.EVENTS_CLEAR_RECORDS, payload: clear };
    actions.push({ action: "clear", extents: [], rc: cleared.rc });
    if (cleared.rc !== ReturnCode.SUCCESS) break;
  }
  // A request whose last records overflowed the log never shows More=0:
  // answer what was offered.
  yield* flushAdd();
  yield* flushRelease();
  return actions;
}

/**
 * Handles every record in the device's DC event log: accepts offers in full,
 * performs releases, clears the records. Returns what it did.
 *
 * @example
 * ```ts ignore
 * import { acceptAll } from "@cxl-dcd/conformance/qmp";
 * const actions = await acceptAll(machine.host("cxl-vmem0"));
 * ```
 *
 * @param host the device's mailbox.
 * @param maxRounds bound on Get/Clear rounds (the log holds at most a few records).
 */
export async function acceptAll(host: HostInterface, maxRounds?: number): Promise<HostAction[]> {
  const steps = acceptSteps(maxRounds);
  let next = steps.next();
  while (!next.done) {
    next = steps.next(await host.mailbox(next.value.opcode, next.value.payload));
  }
  return next.value;
}

/**
 * {@linkcode acceptAll} over a synchronous mailbox (the model's
 * `mailboxSync`): runs to completion without yielding to other tasks, so no
 * QMP command of any client can run in between.
 *
 * @example
 * ```ts ignore
 * import { acceptAllSync } from "@cxl-dcd/conformance/qmp";
 * const actions = acceptAllSync((op, p) => machine.mailboxSync("cxl-vmem0", op, p));
 * ```
 *
 * @param mailbox runs one mailbox command synchronously.
 * @param maxRounds bound on Get/Clear rounds.
 */
export function acceptAllSync(
  mailbox: (opcode: number, payload: Uint8Array) => MailboxReply,
  maxRounds?: number,
): HostAction[] {
  const steps = acceptSteps(maxRounds);
  let next = steps.next();
  while (!next.done) next = steps.next(mailbox(next.value.opcode, next.value.payload));
  return next.value;
}
