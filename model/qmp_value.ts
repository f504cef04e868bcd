/**
 * JSON values as QMP carries them, and the result shapes every QMP endpoint
 * (the model, a served model, a real QEMU) produces.
 *
 * Integers that do not fit a JavaScript safe integer arrive as `bigint`, so a
 * u64 such as 18446744073709551615 survives parsing exactly.
 *
 * @module
 */

/** A JSON value; integers outside the safe-integer range are `bigint`. */
export type QmpValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | QmpValue[]
  | QmpObject;

/** A JSON object. */
export interface QmpObject {
  /** Member name to value. */
  [key: string]: QmpValue;
}

/** The body of a QMP error reply: `{"class": ..., "desc": ...}`. */
export interface QmpErrorBody {
  /** QapiErrorClass name, e.g. `GenericError`. */
  class: string;
  /** Human-readable description, byte-exact with QEMU. */
  desc: string;
}

/** What one command produces: a return value or an error. */
export type QmpResult = { return: QmpValue } | { error: QmpErrorBody };

/** An asynchronous QMP event as sent on the wire. */
export interface QmpEvent {
  /** Event name, e.g. `STOP`. */
  event: string;
  /** Event payload, when the event has one. */
  data?: QmpObject;
  /** Wall-clock time the event was emitted. */
  timestamp: { seconds: number; microseconds: number };
}

/**
 * Builds a QMP error result.
 *
 * @example
 * ```ts
 * import { qmpError } from "@cxl-dcd/conformance/model";
 * const r = qmpError("GenericError", "region id is too large");
 * if (!("error" in r)) throw new Error("expected an error");
 * ```
 */
export function qmpError(errorClass: string, desc: string): QmpResult {
  return { error: { class: errorClass, desc } };
}

/**
 * Builds a QMP success result.
 *
 * @example
 * ```ts
 * import { qmpReturn } from "@cxl-dcd/conformance/model";
 * const r = qmpReturn({});
 * if (!("return" in r)) throw new Error("expected a return");
 * ```
 */
export function qmpReturn(value: QmpValue): QmpResult {
  return { return: value };
}
