/**
 * A target wrapper that logs every answer its instances give: each QMP
 * message as canonical JSON (event timestamps dropped: wall-clock time),
 * each mailbox, FM-API and switch-CCI reply as return code and hex bytes
 * (the timestamps inside Get Event Records and Get Timestamp replies
 * zeroed: device time runs on). Two runs of one program on one build must
 * log the same lines.
 *
 * @module
 */

import type { HostInterface, MailboxReply } from "../../../model/host_interface.ts";
import type { QmpObject, QmpValue } from "../../../model/qmp_value.ts";
import { canonical, maskEventTimestamps } from "../../diff/compare.ts";
import { toHex } from "../../host/bytes.ts";
import type { QmpChannel, Target, TargetInstance } from "../../target_types.ts";

const GET_EVENT_RECORDS = 0x0100;
const GET_TIMESTAMP = 0x0300;

function masked(opcode: number, reply: MailboxReply): string {
  const payload = opcode === GET_EVENT_RECORDS
    ? maskEventTimestamps(reply.payload)
    : opcode === GET_TIMESTAMP
    ? new Uint8Array(reply.payload.length)
    : reply.payload;
  return `${reply.rc} ${toHex(payload)}`;
}

function withoutEventTime(m: QmpValue): QmpValue {
  if (m === null || typeof m !== "object" || Array.isArray(m) || !("event" in m)) return m;
  const { timestamp: _t, ...rest } = m as QmpObject;
  return rest;
}

/** Wraps `inner`; every answer of every instance it starts is appended to `log`. */
export function answerLog(inner: Target): { target: Target; log: string[] } {
  const log: string[] = [];
  const hostOf = (inst: TargetInstance, device: string): HostInterface => {
    const h = inst.host(device);
    const logged =
      (kind: string, run: (op: number, p: Uint8Array) => Promise<MailboxReply>) =>
      async (opcode: number, payload: Uint8Array): Promise<MailboxReply> => {
        const reply = await run(opcode, payload);
        log.push(
          `${kind} ${device} ${opcode.toString(16)} ${toHex(payload)} -> ${masked(opcode, reply)}`,
        );
        return reply;
      };
    const out: HostInterface = { mailbox: logged("mailbox", (o, p) => h.mailbox(o, p)) };
    if (h.fm !== undefined) out.fm = logged("fm", (o, p) => h.fm!(o, p));
    if (h.switchCci !== undefined) out.switchCci = logged("cci", (o, p) => h.switchCci!(o, p));
    return out;
  };
  const wrap = (inst: TargetInstance): TargetInstance => {
    const qmp: QmpChannel = {
      greeting: inst.qmp.greeting,
      sendRaw: (text) => inst.qmp.sendRaw(text),
      async receive(timeoutMs) {
        const m = await inst.qmp.receive(timeoutMs);
        log.push(`qmp ${canonical(withoutEventTime(m as QmpValue))}`);
        return m;
      },
    };
    const out: TargetInstance = {
      qmp,
      host: (device) => hostOf(inst, device),
      exited: () => inst.exited(),
      close: (options) => inst.close(options),
    };
    if (inst.waitExit !== undefined) out.waitExit = (ms) => inst.waitExit!(ms);
    return out;
  };
  return {
    log,
    target: {
      name: inner.name,
      capabilities: (machine) => inner.capabilities(machine),
      async start(machine, signal, options) {
        log.push(`start ${machine.length} arguments`);
        try {
          return wrap(await inner.start(machine, signal, options));
        } catch (e) {
          // QEMU's own words, without the run's private directory.
          log.push(`start failed: ${(e as Error).message.replaceAll(/\/tmp\/[^ ,:'"]+/g, "DIR")}`);
          throw e;
        }
      },
    },
  };
}
