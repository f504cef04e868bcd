/**
 * An asynchronous queue of QMP messages with a timed receive: what a target's
 * {@linkcode QmpChannel.receive} is built on.
 *
 * @module
 */

import type { QmpObject } from "../../model/qmp_value.ts";
import { TargetClosedError, TargetTimeoutError } from "../target_types.ts";

interface Waiter {
  resolve(m: QmpObject): void;
  reject(e: Error): void;
}

/**
 * Messages in arrival order; `receive` waits for the next one.
 *
 * @example
 * ```ts
 * import { MessageQueue } from "@cxl-dcd/conformance/conformance";
 * const q = new MessageQueue();
 * q.push({ return: {} });
 * const m = await q.receive(100);
 * if (!("return" in m)) throw new Error();
 * ```
 */
export class MessageQueue {
  #items: QmpObject[] = [];
  #head = 0;
  #waiters: Waiter[] = [];
  #closed: string | undefined;

  /** Messages waiting to be received. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Adds a message (ignored after close). */
  push(m: QmpObject): void {
    if (this.#closed !== undefined) return;
    const w = this.#waiters.shift();
    if (w !== undefined) {
      w.resolve(m);
      return;
    }
    this.#items.push(m);
  }

  /** No more messages will come; waiting and later receives reject once the queue is empty. */
  close(reason: string): void {
    if (this.#closed !== undefined) return;
    this.#closed = reason;
    for (const w of this.#waiters.splice(0)) w.reject(new TargetClosedError(reason));
  }

  /**
   * The next message. Rejects with {@linkcode TargetTimeoutError} after
   * `timeoutMs`, with {@linkcode TargetClosedError} when closed and empty.
   */
  receive(timeoutMs: number): Promise<QmpObject> {
    if (this.#head < this.#items.length) {
      const m = this.#items[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve(m);
    }
    if (this.#closed !== undefined) return Promise.reject(new TargetClosedError(this.#closed));
    return new Promise<QmpObject>((resolve, reject) => {
      const timer = setTimeout(() => {
        const k = this.#waiters.indexOf(w);
        if (k >= 0) this.#waiters.splice(k, 1);
        reject(new TargetTimeoutError(`no message within ${timeoutMs} ms`));
      }, timeoutMs);
      const w: Waiter = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.#waiters.push(w);
    });
  }
}
