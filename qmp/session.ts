/**
 * The QMP protocol state of one client over a {@linkcode Machine}, with no
 * I/O: bytes in through {@linkcode QmpSession.feed}, serialized messages out
 * through a callback, each ending with `"\r\n"` as QEMU writes them. The
 * socket server and the in-process runner target share it, so both produce
 * the same bytes.
 *
 * Behaviour pinned against QEMU 10.0.2 (see `session_test.ts`):
 * greeting on start; before negotiation every command but `qmp_capabilities`
 * gets `CommandNotFound` "Expecting capabilities negotiation with
 * 'qmp_capabilities'"; afterwards `qmp_capabilities` gets "Capabilities
 * negotiation is already complete, command ignored"; top-level members are
 * checked in QEMU's QDict order with QEMU's messages; `id` is echoed verbatim;
 * `exec-oob` is a member like any other until `oob` was enabled; events reach
 * the client only after negotiation, in order with replies (an event a
 * command raises precedes its reply, as in QEMU); `quit` ends the session
 * after its reply. JSON parse errors follow the machine profile's
 * `qmp.jsonErrors` dialect (10.0's texts, or 11.1's with `LINE:COLUMN: `
 * positions counted from the start of the session; see `json_stream.ts`).
 *
 * @module
 */

import type { Machine } from "../model/machine_types.ts";
import type { QmpEvent, QmpObject, QmpResult, QmpValue } from "../model/qmp_value.ts";
import { formatJson, toQdictOrder } from "./json_format.ts";
import { qdictOrder } from "./qemu_order.ts";
import { firstRemainingKey } from "../model/qapi/key_order.ts";
import { type JsonStreamItem, type JsonStreamOptions, JsonStreamParser } from "./json_stream.ts";

/**
 * Commands a session offers beyond the machine's (e.g. the project's
 * `__io.github.cxl-dcd-conformance_*` extension commands), and a hook after
 * each command (used by the simulated host).
 */
export interface CommandExtension {
  /** Extension command names, listed in `query-commands` after the machine's. */
  readonly commands: readonly string[];
  /** Runs an extension command (its `arguments`, undefined when absent). */
  execute(command: string, args: QmpObject | undefined): QmpResult | Promise<QmpResult>;
  /**
   * Called after a machine command replied; the session waits for the
   * returned promise before it processes the next message.
   */
  afterCommand?(
    command: string,
    args: QmpObject | undefined,
    result: QmpResult,
  ): void | Promise<void>;
}

/** Options of a {@linkcode QmpSession}. */
export interface SessionOptions {
  /** Largest input message in bytes (default: QEMU's 64 MiB). */
  maxMessageBytes?: number;
  /** Extension commands and hooks. */
  extension?: CommandExtension;
}

const NEGOTIATE = "Expecting capabilities negotiation with 'qmp_capabilities'";

function isOobRequest(v: QmpValue): boolean {
  return isObject(v) && Object.hasOwn(v, "exec-oob") && !Object.hasOwn(v, "execute");
}

function isObject(v: QmpValue | undefined): v is QmpObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * One client's QMP session.
 *
 * @example
 * ```ts
 * import { QmpSession } from "@cxl-dcd/conformance/qmp";
 * import { FakeMachine } from "./testing/fake_machine.ts";
 * const lines: string[] = [];
 * const s = new QmpSession(new FakeMachine(), (line) => lines.push(line));
 * s.start(); // the greeting
 * s.feed('{"execute": "qmp_capabilities", "id": 1}\n');
 * await s.idle();
 * if (lines[1] !== '{"return": {}, "id": 1}\r\n') throw new Error(lines[1]);
 * ```
 */
export class QmpSession {
  readonly #machine: Machine;
  readonly #write: (text: string) => void;
  readonly #parser: JsonStreamParser;
  readonly #extension: CommandExtension | undefined;
  #queue: JsonStreamItem[] = [];
  #busy: Promise<void> | undefined;
  #negotiated = false;
  #oob = false;
  #closed = false;
  #started = false;
  #unsubscribe: (() => void) | undefined;
  #onClose: (() => void) | undefined;

  /**
   * Creates a session; nothing is written until {@linkcode QmpSession.start}.
   *
   * @param machine the machine commands run on.
   * @param write receives each serialized message, `"\r\n"` included.
   * @param options limits and extensions.
   */
  constructor(machine: Machine, write: (text: string) => void, options?: SessionOptions) {
    options ??= {};
    this.#machine = machine;
    this.#write = write;
    this.#extension = options.extension;
    // Positions in 11.1's errors count from the start of this connection.
    const parserOptions: JsonStreamOptions = { dialect: machine.profile.qmp.jsonErrors };
    if (options.maxMessageBytes !== undefined) {
      parserOptions.maxMessageBytes = options.maxMessageBytes;
    }
    this.#parser = new JsonStreamParser((item) => this.#enqueue(item), parserOptions);
  }

  /** Whether capabilities were negotiated. */
  get negotiated(): boolean {
    return this.#negotiated;
  }

  /** Whether the session ended (after `quit`, or {@linkcode close}). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes of an incomplete message held by the parser. */
  get pendingBytes(): number {
    return this.#parser.pendingBytes;
  }

  /** Registers the callback run once when the session ends because of `quit`. */
  onClose(callback: () => void): void {
    this.#onClose = callback;
  }

  /** Sends the greeting and starts listening to machine events. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#send(this.#machine.greeting());
    this.#unsubscribe = this.#machine.subscribe((e) => this.#event(e));
  }

  /** Feeds client input (bytes, or text encoded as UTF-8). */
  feed(chunk: Uint8Array | string): void {
    if (this.#closed) return;
    this.#parser.feed(chunk);
    this.#kick();
  }

  /** Resolves when every message fed so far has been answered. */
  async idle(): Promise<void> {
    while (this.#busy !== undefined) await this.#busy;
  }

  /** Ends the session: no more output, no more events. */
  close(): void {
    this.#closed = true;
    this.#queue = [];
    this.#parser.release();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #send(obj: QmpObject): void {
    if (!this.#closed) this.#write(formatJson(obj) + "\r\n");
  }

  #event(e: QmpEvent): void {
    if (!this.#negotiated || this.#closed) return;
    const obj: QmpObject = { event: e.event };
    if (e.data !== undefined) obj.data = e.data;
    obj.timestamp = { seconds: e.timestamp.seconds, microseconds: e.timestamp.microseconds };
    this.#send(obj);
  }

  #enqueue(item: JsonStreamItem): void {
    if (this.#closed) return;
    if (this.#oob && "value" in item && isOobRequest(item.value)) {
      // QEMU runs out-of-band requests at once in its I/O thread; in-band
      // requests of the same input wait in the dispatcher queue.
      void this.#handle(item);
      return;
    }
    if (!this.#oob && this.#busy === undefined && this.#queue.length === 0) {
      const pending = this.#handle(item);
      if (pending !== undefined) this.#busy = this.#drain(pending);
      return;
    }
    this.#queue.push(item);
  }

  #kick(): void {
    if (this.#busy === undefined && this.#queue.length > 0 && !this.#closed) {
      this.#busy = this.#drain(Promise.resolve());
    }
  }

  async #drain(first: Promise<void>): Promise<void> {
    try {
      await first;
      while (this.#queue.length > 0 && !this.#closed) {
        const p = this.#handle(this.#queue.shift()!);
        if (p !== undefined) await p;
      }
    } finally {
      this.#busy = undefined;
    }
  }

  /** Handles one message; returns a promise when it must be awaited. */
  #handle(item: JsonStreamItem): Promise<void> | undefined {
    if ("error" in item) {
      this.#send({ error: { class: "GenericError", desc: item.error } });
      return undefined;
    }
    const req = item.value;
    // QEMU echoes the id as its QDict holds it.
    const id = isObject(req) && Object.hasOwn(req, "id") ? toQdictOrder(req.id!) : undefined;
    const reply = (r: QmpResult): void => {
      const rsp: QmpObject = { ...r } as QmpObject;
      if (id !== undefined) rsp.id = id;
      this.#send(rsp);
    };
    const fail = (cls: string, desc: string): undefined => {
      reply({ error: { class: cls, desc } });
      return undefined;
    };

    if (!isObject(req)) return fail("GenericError", "QMP input must be a JSON object");
    let execKey: string | undefined;
    for (const key of qdictOrder(Object.keys(req))) {
      const v = req[key];
      if (key === "execute" || key === "exec-oob" && this.#oob) {
        if (typeof v !== "string") {
          return fail("GenericError", `QMP input member '${key}' must be a string`);
        }
        if (execKey !== undefined) {
          return fail("GenericError", `QMP input member '${key}' clashes with '${execKey}'`);
        }
        execKey = key;
      } else if (key === "arguments") {
        if (!isObject(v)) {
          return fail("GenericError", "QMP input member 'arguments' must be an object");
        }
      } else if (key !== "id") {
        return fail("GenericError", `QMP input member '${key}' is unexpected`);
      }
    }
    if (execKey === undefined) return fail("GenericError", "QMP input lacks member 'execute'");
    const command = req[execKey] as string;
    const oob = execKey === "exec-oob";
    const args = isObject(req.arguments) ? req.arguments : undefined;

    if (command === "qmp_capabilities") {
      if (oob) return fail("GenericError", "The command qmp_capabilities does not support OOB");
      const r = this.#capabilities(args);
      if (r !== undefined) return fail(r.class, r.desc);
      reply({ return: {} });
      return undefined;
    }
    if (!this.#negotiated) return fail("CommandNotFound", NEGOTIATE);

    const ext = this.#extension;
    if (ext !== undefined && ext.commands.includes(command)) {
      if (oob) return fail("GenericError", `The command ${command} does not support OOB`);
      const r = ext.execute(command, args);
      if (r instanceof Promise) {
        return r.then(
          reply,
          (e) =>
            reply({
              error: { class: "GenericError", desc: e instanceof Error ? e.message : String(e) },
            }),
        );
      }
      reply(r);
      return undefined;
    }
    if (!this.#machine.hasCommand(command)) {
      return fail("CommandNotFound", `The command ${command} has not been found`);
    }
    if (oob && !this.#machine.allowsOob(command)) {
      return fail("GenericError", `The command ${command} does not support OOB`);
    }
    let result = this.#machine.execute(command, args, oob ? { oob: true } : {});
    if (command === "query-commands" && ext !== undefined && "return" in result) {
      const list = result.return;
      if (Array.isArray(list)) {
        result = { return: [...list, ...ext.commands.map((name) => ({ name }))] };
      }
    }
    reply(result);
    if (command === "quit" && "return" in result) {
      this.close();
      this.#onClose?.();
      return undefined;
    }
    const after = ext?.afterCommand?.(command, args, result);
    // A failing hook must not stall the session.
    return after instanceof Promise ? after.catch(() => {}) : undefined;
  }

  /** `qmp_capabilities`: QAPI argument checks, then negotiation. */
  #capabilities(args: QmpObject | undefined): { class: string; desc: string } | undefined {
    const err = (desc: string) => ({ class: "GenericError", desc });
    let enableOob = false;
    if (args !== undefined) {
      if (Object.hasOwn(args, "enable")) {
        const enable = args.enable;
        if (!Array.isArray(enable)) {
          return err("Invalid parameter type for 'enable', expected: array");
        }
        for (let i = 0; i < enable.length; i++) {
          const cap = enable[i];
          if (typeof cap !== "string") {
            return err(`Invalid parameter type for 'enable[${i}]', expected: string`);
          }
          if (cap !== "oob") return err(`Parameter 'null' does not accept value '${cap}'`);
          enableOob = true;
        }
      }
      const extra = firstRemainingKey(Object.keys(args), new Set(["enable"]));
      if (extra !== undefined) return err(`Parameter '${extra}' is unexpected`);
    }
    if (this.#negotiated) {
      return {
        class: "CommandNotFound",
        desc: "Capabilities negotiation is already complete, command ignored",
      };
    }
    this.#negotiated = true;
    this.#oob = enableOob;
    return undefined;
  }
}
