/**
 * What a differential program is made of: QMP commands and host mailbox
 * steps, and what a target answered to each.
 *
 * @module
 */

import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import { stringifyJson } from "../transcript/json.ts";

/** A QMP command of a program (sent as `{"execute": ..., "arguments": ...}`). */
export interface QmpStep {
  /** Step kind. */
  kind: "qmp";
  /** Command name. */
  execute: string;
  /** Its arguments. */
  arguments: QmpObject;
}

/** A host mailbox step of a program, in the catalogue's host vocabulary (conformance/host). */
export interface HostStep {
  /** Step kind. */
  kind: "host";
  /** `-device` id of the type-3 device. */
  device: string;
  /** Host command name (e.g. `get-dc-config`, `add-dc-response`). */
  command: string;
  /** Its decoded input fields. */
  input: QmpObject;
}

/** One step of a program. */
export type DiffStep = QmpStep | HostStep;

/** What a target answered to a QMP step: the events before the reply, then the reply. */
export interface QmpAnswer {
  /** Answer kind. */
  kind: "qmp";
  /** Every message received up to and including the reply. */
  messages: QmpObject[];
}

/** What a target answered to a host step. */
export interface HostAnswer {
  /** Answer kind. */
  kind: "host";
  /** CXL return code. */
  rc: number;
  /** Output payload. */
  payload: Uint8Array;
}

/** The target died or stopped answering at this step. */
export interface LostAnswer {
  /** Answer kind. */
  kind: "lost";
  /** How: `SIGSEGV`, `exit code 1`, `timeout`, `closed`. */
  how: string;
  /** The signal, when a signal ended the process. */
  signal: string | null;
  /** What the failure said. */
  message: string;
  /** Last lines of the target's stderr. */
  stderrTail: string;
}

/** An answer to one step. */
export type Answer = QmpAnswer | HostAnswer | LostAnswer;

/** A step as one line of text (`-> {...}` or `=> DEVICE COMMAND {...}`). */
export function stepText(step: DiffStep): string {
  return step.kind === "qmp"
    ? `-> ${stringifyJson({ execute: step.execute, arguments: step.arguments })}`
    : `=> ${step.device} ${step.command} ${stringifyJson(step.input)}`;
}

/** The reply (last message) of a QMP answer. */
export function replyOf(answer: QmpAnswer): QmpObject | undefined {
  return answer.messages[answer.messages.length - 1];
}

/** Whether a QMP answer's reply is a success (`return`). */
export function qmpSucceeded(answer: Answer): boolean {
  if (answer.kind !== "qmp") return false;
  const r = replyOf(answer);
  return r !== undefined && "return" in r;
}

/** The list-valued field of a step that shrinking may drop entries from, if any. */
export function entryList(step: DiffStep): QmpValue[] | undefined {
  const v = step.kind === "qmp"
    ? step.arguments["extents"]
    : step.input["extents"] ?? step.input["handles"];
  return Array.isArray(v) ? v : undefined;
}
