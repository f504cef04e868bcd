/**
 * Host-side procedures written once against {@linkcode HostInterface}, so they
 * run identically on the model and on a real QEMU: reading the DC
 * configuration, listing every extent (paging), reading and clearing event
 * logs, accepting an offer (all or part) and releasing capacity.
 *
 * @module
 */

import { type HostInterface, Opcode, ReturnCode } from "../../model/host_interface.ts";
import {
  type DcConfig,
  type DcExtent,
  decodeDcConfig,
  decodeDcExtentList,
  decodeEventRecords,
  type DpaRange,
  encodeClearEventRecords,
  encodeExtentResponse,
  encodeGetDcConfig,
  encodeGetDcExtentList,
  encodeGetEventRecords,
  EVENT_LOGS,
  type EventRecord,
  type EventRecordsPage,
} from "./layouts.ts";
import { returnCodeName } from "./return_codes.ts";

/** A mailbox command the helper needed did not succeed. */
export class HostCommandError extends Error {
  /** Opcode of the failed command. */
  readonly opcode: number;
  /** Return code the device gave. */
  readonly rc: number;
  /** Creates the error for a command (`what`), its opcode and return code. */
  constructor(what: string, opcode: number, rc: number) {
    super(
      `${what} (opcode 0x${opcode.toString(16).padStart(4, "0")}) returned ${
        returnCodeName(rc)
      }; expected SUCCESS`,
    );
    this.name = "HostCommandError";
    this.opcode = opcode;
    this.rc = rc;
  }
}

async function run(
  host: HostInterface,
  what: string,
  opcode: number,
  payload: Uint8Array,
): Promise<Uint8Array> {
  const reply = await host.mailbox(opcode, payload);
  if (reply.rc !== ReturnCode.SUCCESS) throw new HostCommandError(what, opcode, reply.rc);
  return reply.payload;
}

function logId(log: number | string): number {
  if (typeof log === "number") return log;
  const id = EVENT_LOGS[log];
  if (id === undefined) {
    throw new RangeError(
      `unknown event log ${JSON.stringify(log)}; expected one of ${
        Object.keys(EVENT_LOGS).join(", ")
      }`,
    );
  }
  return id;
}

/**
 * Reads the whole DC configuration (every region, asking again from the next
 * region when the device returns fewer than it has).
 *
 * @example
 * ```ts
 * import { readDcConfig } from "@cxl-dcd/conformance/conformance";
 * // A device with one region answering Get DC Config.
 * const payload = new Uint8Array(8 + 0x28 + 16);
 * payload[0] = 1;
 * payload[1] = 1;
 * const host = { mailbox: () => Promise.resolve({ rc: 0, payload }) };
 * const config = await readDcConfig(host);
 * if (config.regions.length !== 1) throw new Error("expected one region");
 * ```
 */
export async function readDcConfig(host: HostInterface): Promise<DcConfig> {
  const first = decodeDcConfig(
    await run(host, "Get DC Config", Opcode.DC_GET_CONFIG, encodeGetDcConfig(8, 0)),
  );
  const regions = [...first.regions];
  while (regions.length < first.numRegions) {
    const next = decodeDcConfig(
      await run(host, "Get DC Config", Opcode.DC_GET_CONFIG, encodeGetDcConfig(8, regions.length)),
    );
    if (next.regions.length === 0) break;
    regions.push(...next.regions);
  }
  return { ...first, regionsReturned: regions.length, regions };
}

/**
 * Lists every accepted extent, paging through Get DC Extent List in chunks
 * of `chunk` extents (QEMU returns at most 50 per call).
 *
 * @example
 * ```ts
 * import { listAllExtents } from "@cxl-dcd/conformance/conformance";
 * // A device with no accepted extent: returned 0, total 0.
 * const host = { mailbox: () => Promise.resolve({ rc: 0, payload: new Uint8Array(16) }) };
 * if ((await listAllExtents(host)).length !== 0) throw new Error("expected no extent");
 * ```
 */
export async function listAllExtents(host: HostInterface, chunk?: number): Promise<DcExtent[]> {
  const perPage = chunk ?? 50;
  const out: DcExtent[] = [];
  for (;;) {
    const page = decodeDcExtentList(
      await run(
        host,
        "Get DC Extent List",
        Opcode.DC_GET_EXTENT_LIST,
        encodeGetDcExtentList(perPage, out.length),
      ),
    );
    out.push(...page.extents);
    if (page.returned === 0 || out.length >= page.total) return out;
  }
}

/**
 * Reads one page of an event log (records stay in the log until cleared).
 *
 * @example
 * ```ts
 * import { readEvents } from "@cxl-dcd/conformance/conformance";
 * // An empty log: a bare 0x20-byte header.
 * const host = { mailbox: () => Promise.resolve({ rc: 0, payload: new Uint8Array(0x20) }) };
 * const page = await readEvents(host, "dynamic-capacity");
 * if (page.recordCount !== 0) throw new Error("expected an empty log");
 * ```
 */
export async function readEvents(
  host: HostInterface,
  log: number | string,
): Promise<EventRecordsPage> {
  return decodeEventRecords(
    await run(
      host,
      "Get Event Records",
      Opcode.EVENTS_GET_RECORDS,
      encodeGetEventRecords(logId(log)),
    ),
  );
}

/**
 * Clears records of an event log by handle (they must be the oldest, in order).
 *
 * @example
 * ```ts
 * import { clearEvents } from "@cxl-dcd/conformance/conformance";
 * const sent: Uint8Array[] = [];
 * const host = {
 *   mailbox: (_opcode: number, payload: Uint8Array) => {
 *     sent.push(payload);
 *     return Promise.resolve({ rc: 0, payload: new Uint8Array(0) });
 *   },
 * };
 * await clearEvents(host, "dynamic-capacity", [1, 2]);
 * if (sent[0]?.length !== 10) throw new Error("expected 6 header bytes and 2 handles");
 * ```
 */
export async function clearEvents(
  host: HostInterface,
  log: number | string,
  handles: readonly number[],
): Promise<void> {
  if (handles.length === 0) return;
  await run(
    host,
    "Clear Event Records",
    Opcode.EVENTS_CLEAR_RECORDS,
    encodeClearEventRecords(logId(log), handles),
  );
}

/**
 * Reads and clears the Dynamic Capacity event log until it is empty; returns
 * every record read, oldest first.
 *
 * @example
 * ```ts
 * import { drainDcEvents } from "@cxl-dcd/conformance/conformance";
 * const host = { mailbox: () => Promise.resolve({ rc: 0, payload: new Uint8Array(0x20) }) };
 * if ((await drainDcEvents(host)).length !== 0) throw new Error("expected an empty log");
 * ```
 */
export async function drainDcEvents(host: HostInterface): Promise<EventRecord[]> {
  const all: EventRecord[] = [];
  for (;;) {
    const page = await readEvents(host, EVENT_LOGS["dynamic-capacity"] ?? 4);
    if (page.records.length === 0) return all;
    all.push(...page.records);
    await clearEvents(host, "dynamic-capacity", page.records.map((r) => r.handle));
  }
}

/** What {@linkcode acceptOffer} offered and answered. */
export interface OfferAnswer {
  /** Extents offered by the add-capacity records drained from the DC log. */
  offered: DcExtent[];
  /** Ranges accepted (sent in the Add DC Response). */
  accepted: DpaRange[];
}

/** Options of {@linkcode acceptOffer}. */
export interface AcceptOptions {
  /**
   * Chooses the ranges to accept from the offered extents (default: all of
   * them). Returning an empty list rejects the whole front offer.
   */
  select?: (offered: readonly DcExtent[]) => DpaRange[];
}

/**
 * Answers the pending offer: drains the DC event log, collects the extents of
 * its add-capacity records and sends an Add DC Response accepting all of them
 * or the subset `select` picks. Throws when the log held no add-capacity
 * record (an empty response with nothing pending crashes QEMU 10.0.2).
 *
 * @example
 * ```ts ignore
 * import { acceptOffer } from "@cxl-dcd/conformance/conformance";
 * declare const host: import("../../model/host_interface.ts").HostInterface;
 * await acceptOffer(host, { select: (o) => o.slice(0, 1) });
 * ```
 */
export async function acceptOffer(
  host: HostInterface,
  opts?: AcceptOptions,
): Promise<OfferAnswer> {
  const options = opts ?? {};
  const records = await drainDcEvents(host);
  const offered = records
    .filter((r) => r.type === "add-capacity" && r.extent !== undefined)
    .map((r) => r.extent as DcExtent);
  if (offered.length === 0) {
    throw new Error(
      "acceptOffer: the Dynamic Capacity event log holds no add-capacity record; " +
        "expected a pending offer (a QMP cxl-add-dynamic-capacity before accepting)",
    );
  }
  const accepted = options.select?.(offered) ??
    offered.map((e) => ({ dpa: e.dpa, len: e.len }));
  await respond(host, accepted);
  return { offered, accepted };
}

/**
 * Sends an Add DC Response for exactly these ranges (an empty list rejects
 * the front pending group).
 *
 * @example
 * ```ts
 * import { respond } from "@cxl-dcd/conformance/conformance";
 * const host = { mailbox: () => Promise.resolve({ rc: 0, payload: new Uint8Array(0) }) };
 * await respond(host, [{ dpa: 0n, len: 64n << 20n }]);
 * ```
 */
export async function respond(host: HostInterface, ranges: readonly DpaRange[]): Promise<void> {
  await run(host, "Add DC Response", Opcode.DC_ADD_RESPONSE, encodeExtentResponse(ranges));
}

/**
 * Releases DPA ranges with Release Dynamic Capacity (ranges may split or span
 * accepted extents).
 *
 * @example
 * ```ts
 * import { release } from "@cxl-dcd/conformance/conformance";
 * const host = { mailbox: () => Promise.resolve({ rc: 0, payload: new Uint8Array(0) }) };
 * await release(host, [{ dpa: 16n << 20n, len: 16n << 20n }]);
 * ```
 */
export async function release(host: HostInterface, ranges: readonly DpaRange[]): Promise<void> {
  await run(host, "Release DC", Opcode.DC_RELEASE, encodeExtentResponse(ranges));
}
