/**
 * The host's mailbox driver for a real QEMU CXL type-3 device, over qtest:
 * implements {@linkcode HostInterface} with the access widths QEMU 10.0.2
 * requires (one 64-bit write of the command register, a 32-bit doorbell
 * write, never an 8- or 16-bit write below +0x20).
 *
 * @module
 */

import {
  type HostInterface,
  MAILBOX_PAYLOAD_MAX,
  type MailboxReply,
} from "../../model/host_interface.ts";
import { TargetTimeoutError } from "../target_types.ts";
import {
  addrText,
  type QtestClient,
  readLine,
  replyBytes,
  replyValue,
  writeLine,
} from "./qtest.ts";

/** Mailbox register offsets from the mailbox capability base. */
export const MailboxRegister = {
  CAPABILITIES: 0x00,
  CONTROL: 0x04,
  COMMAND: 0x08,
  STATUS: 0x10,
  BACKGROUND_STATUS: 0x18,
  PAYLOAD: 0x20,
} as const;

/** Options of {@linkcode QtestMailbox}. */
export interface QtestMailboxOptions {
  /** How long to wait for the doorbell to clear (default 5000 ms). */
  doorbellTimeoutMs?: number;
}

/**
 * A device mailbox driven through qtest. Commands are serialised: the
 * mailbox has one set of registers.
 *
 * @example
 * ```ts ignore
 * import { QtestMailbox } from "@cxl-dcd/conformance/conformance";
 * declare const qt: import("./qtest.ts").QtestClient;
 * const mbox = new QtestMailbox(qt, 0xfe610088n);
 * const { rc, payload } = await mbox.mailbox(0x4800, new Uint8Array([8, 0]));
 * ```
 */
export class QtestMailbox implements HostInterface {
  readonly #qt: QtestClient;
  readonly #base: bigint;
  readonly #doorbellTimeoutMs: number;
  #queue: Promise<unknown> = Promise.resolve();
  #doorbellClear = false;

  /** Drives the mailbox whose registers start at MMIO address `base`. */
  constructor(qt: QtestClient, base: bigint, options?: QtestMailboxOptions) {
    options ??= {};
    this.#qt = qt;
    this.#base = base;
    this.#doorbellTimeoutMs = options.doorbellTimeoutMs ?? 5000;
  }

  /** MMIO address of the mailbox registers. */
  get base(): bigint {
    return this.#base;
  }

  /** Runs one mailbox command (see {@linkcode HostInterface.mailbox}). */
  mailbox(opcode: number, payload: Uint8Array): Promise<MailboxReply> {
    const run = this.#queue.then(() => this.#run(opcode, payload));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #waitDoorbell(): Promise<void> {
    const deadline = Date.now() + this.#doorbellTimeoutMs;
    for (;;) {
      const control = await this.#qt.readl(this.#base + BigInt(MailboxRegister.CONTROL));
      if ((control & 1) === 0) {
        this.#doorbellClear = true;
        return;
      }
      if (Date.now() >= deadline) {
        throw new TargetTimeoutError(
          `mailbox at ${addrText(this.#base)}: doorbell still set after ` +
            `${this.#doorbellTimeoutMs} ms; expected the device to finish the command`,
        );
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  async #run(opcode: number, payload: Uint8Array): Promise<MailboxReply> {
    if (!Number.isInteger(opcode) || opcode < 0 || opcode > 0xffff) {
      throw new RangeError(`mailbox opcode ${opcode} is not a 16-bit value`);
    }
    if (payload.length > MAILBOX_PAYLOAD_MAX) {
      throw new RangeError(
        `mailbox payload of ${payload.length} bytes exceeds the ${MAILBOX_PAYLOAD_MAX}-byte ` +
          `payload area`,
      );
    }
    if (!this.#doorbellClear) await this.#waitDoorbell();
    const b = this.#base;
    const reg = (offset: number) => addrText(b + BigInt(offset));
    const command = BigInt(opcode) | (BigInt(payload.length) << 16n);
    const lines: string[] = [];
    if (payload.length > 0) lines.push(writeLine(b + BigInt(MailboxRegister.PAYLOAD), payload));
    lines.push(
      `writeq ${reg(MailboxRegister.COMMAND)} ${addrText(command)}`,
      `writel ${reg(MailboxRegister.CONTROL)} 0x1`,
      `readl ${reg(MailboxRegister.CONTROL)}`,
      `readq ${reg(MailboxRegister.STATUS)}`,
      `readq ${reg(MailboxRegister.COMMAND)}`,
    );
    this.#doorbellClear = false;
    const replies = await this.#qt.batch(lines);
    const tail = replies.slice(-3);
    let control = Number(replyValue(tail[0] ?? "OK 0x1"));
    let status = replyValue(tail[1] ?? "OK 0x0");
    let cmdReg = replyValue(tail[2] ?? "OK 0x0");
    if (control & 1) {
      await this.#waitDoorbell();
      status = await this.#qt.readq(b + BigInt(MailboxRegister.STATUS));
      cmdReg = await this.#qt.readq(b + BigInt(MailboxRegister.COMMAND));
      control = 0;
    }
    this.#doorbellClear = (control & 1) === 0;
    const rc = Number((status >> 32n) & 0xffffn);
    const outLen = Math.min(Number((cmdReg >> 16n) & 0x1fffffn), MAILBOX_PAYLOAD_MAX);
    if (outLen === 0) return { rc, payload: new Uint8Array(0) };
    const [data] = await this.#qt.batch([readLine(b + BigInt(MailboxRegister.PAYLOAD), outLen)]);
    return { rc, payload: replyBytes(data ?? "OK 0x") };
  }
}
