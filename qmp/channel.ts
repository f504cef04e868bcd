/**
 * A QMP text channel and the errors of a connection, shared by the QMP client
 * (which implements the channel) and the conformance targets (which hand it to
 * the runner). The wire layer owns them; `conformance/target_types.ts`
 * re-exports them.
 *
 * @module
 */

import type { QmpObject } from "../model/qmp_value.ts";

/** A bidirectional QMP text channel, after the greeting was read. */
export interface QmpChannel {
  /** The greeting the server sent on connect. */
  readonly greeting: QmpObject;
  /** Sends text exactly as given (normally one JSON object and a newline). */
  sendRaw(text: string): Promise<void>;
  /**
   * The next message the server sent (a reply, an error or an event), in
   * wire order. Rejects with {@linkcode TargetTimeoutError} after `timeoutMs`,
   * and with {@linkcode TargetClosedError} when the peer closed.
   */
  receive(timeoutMs: number): Promise<QmpObject>;
}

/** The target did not answer in time. */
export class TargetTimeoutError extends Error {
  /**
   * Creates the error.
   *
   * @param message what did not answer, and within how long
   */
  constructor(message: string) {
    super(message);
    this.name = "TargetTimeoutError";
  }
}

/** The peer closed the connection. */
export class TargetClosedError extends Error {
  /**
   * Creates the error.
   *
   * @param message who closed, and why when known
   */
  constructor(message: string) {
    super(message);
    this.name = "TargetClosedError";
  }
}
