/**
 * Comparing two targets' answers to one step: QMP messages exactly (event
 * timestamps aside, which are wall-clock time); mailbox answers by return
 * code and output bytes, where only the timestamps of Get Event Records
 * (each record's and the overflow ones) are masked, and only after the host
 * set the device's timestamp (before that both must say 0). A divergence
 * carries a signature: the command and what differs (the return code, the
 * decoded fields, the QMP error), so equal causes are reported once.
 *
 * @module
 */

import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import { decodeHostReply } from "../host/codec.ts";
import { EVENT_RECORD_SIZE, EVENT_RECORDS_HEADER_SIZE } from "../host/layouts.ts";
import { returnCodeName } from "../host/return_codes.ts";
import type { Answer, DiffStep, HostAnswer, QmpAnswer } from "./program.ts";
import { replyOf } from "./program.ts";

/** Two answers to one step that differ. */
export interface Divergence {
  /** What differs, independent of the values (the class of the divergence). */
  signature: string;
  /** The differing decoded fields or QMP members (`records[].validity`, ...). */
  fields: string[];
}

/** A canonical text of a JSON value: keys sorted, integers by value. */
export function canonical(v: QmpValue): string {
  if (v === null || typeof v !== "object") {
    return typeof v === "bigint" ? v.toString() : JSON.stringify(v) ?? "null";
  }
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  return `{${
    Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k]!)}`).join(",")
  }}`;
}

function withoutEventTime(m: QmpObject): QmpObject {
  if (!("event" in m)) return m;
  const { timestamp: _t, ...rest } = m;
  return rest;
}

/** Paths (array indices as `[]`) where two values differ. */
export function differingPaths(a: QmpValue, b: QmpValue, at = ""): string[] {
  if (canonical(a) === canonical(b)) return [];
  const isObj = (v: QmpValue): v is QmpObject =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => {
      const x = a[k], y = b[k];
      if (x === undefined || y === undefined) return [`${at}${at === "" ? "" : "."}${k}`];
      return differingPaths(x, y, `${at}${at === "" ? "" : "."}${k}`);
    });
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    const out = new Set<string>();
    a.forEach((x, i) => differingPaths(x, b[i]!, `${at}[]`).forEach((p) => out.add(p)));
    return [...out];
  }
  return [at === "" ? "$" : at];
}

/**
 * An event-records payload with its timestamps zeroed (the overflow
 * timestamps of the header and each record's timestamp).
 *
 * @example
 * ```ts
 * import { maskEventTimestamps } from "./compare.ts";
 * const p = new Uint8Array(0x20 + 0x80);
 * p[0x14] = 1;
 * p[0x20 + 0x18] = 9;
 * if (maskEventTimestamps(p)[0x20 + 0x18] !== 0) throw new Error();
 * ```
 */
export function maskEventTimestamps(payload: Uint8Array): Uint8Array {
  const out = payload.slice();
  if (out.length < EVENT_RECORDS_HEADER_SIZE) return out;
  out.fill(0, 4, 0x14);
  const count = out[0x14]! | (out[0x15]! << 8);
  for (let i = 0; i < count; i++) {
    const at = EVENT_RECORDS_HEADER_SIZE + i * EVENT_RECORD_SIZE + 0x18;
    if (at + 8 <= out.length) out.fill(0, at, at + 8);
  }
  return out;
}

function shape(answer: QmpAnswer): string {
  const r = replyOf(answer);
  if (r === undefined) return "nothing";
  if ("return" in r) return "return";
  const e = r["error"];
  const desc = e !== null && typeof e === "object" && !Array.isArray(e) ? e["desc"] : undefined;
  return `error '${String(desc).replace(/[0-9]+/g, "N")}'`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function compareHost(
  step: Extract<DiffStep, { kind: "host" }>,
  a: HostAnswer,
  b: HostAnswer,
  maskTimestamps: boolean,
): Divergence | undefined {
  const mask = maskTimestamps && step.command === "get-event-records";
  const pa = mask ? maskEventTimestamps(a.payload) : a.payload;
  const pb = mask ? maskEventTimestamps(b.payload) : b.payload;
  if (a.rc === b.rc && sameBytes(pa, pb)) return undefined;
  const da = decodeHostReply(step.command, { rc: a.rc, payload: pa });
  const db = decodeHostReply(step.command, { rc: b.rc, payload: pb });
  const fields = differingPaths(da.output, db.output).sort();
  const rc = a.rc === b.rc ? "" : `rc ${returnCodeName(a.rc)}/${returnCodeName(b.rc)} `;
  const what = fields.length > 0 ? `fields ${fields.join(", ")}` : "payload bytes";
  return { signature: `${step.command}: ${rc}${what}`, fields };
}

/**
 * The divergence of two answers to one step, if they differ. Lost answers
 * are not compared (a lost target is a finding of its own).
 *
 * @param maskTimestamps the host set the device's timestamp (record timestamps follow its clock)
 *
 * @example
 * ```ts
 * import { compareAnswers } from "./compare.ts";
 * const step = { kind: "host" as const, device: "d", command: "get-dc-config", input: {} };
 * const a = { kind: "host" as const, rc: 0, payload: new Uint8Array(8) };
 * if (compareAnswers(step, a, { ...a, rc: 2 }, false) === undefined) throw new Error();
 * ```
 */
export function compareAnswers(
  step: DiffStep,
  a: Answer,
  b: Answer,
  maskTimestamps: boolean,
): Divergence | undefined {
  if (a.kind === "lost" || b.kind === "lost") return undefined;
  if (step.kind === "host" && a.kind === "host" && b.kind === "host") {
    return compareHost(step, a, b, maskTimestamps);
  }
  if (step.kind === "qmp" && a.kind === "qmp" && b.kind === "qmp") {
    const ma = a.messages.map(withoutEventTime);
    const mb = b.messages.map(withoutEventTime);
    if (canonical(ma) === canonical(mb)) return undefined;
    return {
      signature: `${step.execute}: A ${shape(a)}, B ${shape(b)}`,
      fields: differingPaths(ma, mb),
    };
  }
  return { signature: `${a.kind}/${b.kind} answers`, fields: [] };
}
