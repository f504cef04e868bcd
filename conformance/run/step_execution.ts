/**
 * Step execution: negotiates capabilities, then sends each request and
 * compares each answer (QMP messages, sets, silence, host mailbox replies)
 * with what the transcript expects, raising a {@linkcode StepError} at the
 * first difference. A cursor says which step is running, so any error
 * (a connection reset included) is reported at that step's line.
 *
 * @module
 */

import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import { decodeHostReply, encodeHostRequest } from "../host/codec.ts";
import { sendStepRequest } from "../host/fm_codec.ts";
import { returnCodeName } from "../host/return_codes.ts";
import { formatMismatch, match, matchUnordered } from "../matchers.ts";
import type { TargetContext } from "../target_context.ts";
import { TargetClosedError, type TargetInstance, TargetTimeoutError } from "../target_types.ts";
import { formatJsonForTranscript, stringifyJson } from "../transcript/json.ts";
import { alternativeFor } from "../transcript/parse.ts";
import type { Step, Transcript } from "../transcript/types.ts";
import type { RunFixtureOptions, StepFailure } from "./types.ts";

/** A failure raised inside a step; turned into a {@linkcode StepFailure} by the runner. */
export class StepError extends Error {
  /**
   * Creates the error.
   *
   * @param failure the failure without its file name
   * @param peerGone true when the connection to the target broke
   */
  constructor(readonly failure: Omit<StepFailure, "file">, readonly peerGone = false) {
    super(failure.message);
    this.name = "StepError";
  }
}

/** Where a run is: the step under way and the request it answers. */
export interface StepCursor {
  /** 1-based line of the step under way (1 before the first). */
  line: number;
  /** Kind of the step under way (`negotiation` and `start-up` before the first). */
  stepKind: string;
  /** The request last sent (or `(greeting)`). */
  request: string;
  /** Its command: a QMP `execute` name or a host command name. */
  command: string;
}

/** Where a failure happened, as the cursor says it: the request, its command and the step's kind. */
export function cursorPlace(
  cursor: StepCursor,
): Pick<StepFailure, "request" | "command" | "stepKind"> {
  return { request: cursor.request, command: cursor.command, stepKind: cursor.stepKind };
}

/** A cursor at the start of a fixture. */
export function startCursor(): StepCursor {
  return { line: 1, stepKind: "start-up", request: "(start-up)", command: "start-up" };
}

/**
 * The command a request line names: its `execute` (or `exec-oob`) member,
 * else `(raw)` for text that names none.
 *
 * @example
 * ```ts
 * import { commandOf } from "./step_execution.ts";
 * if (commandOf('{"execute": "query-status", "id": 1}') !== "query-status") throw new Error();
 * if (commandOf("{nonsense") !== "(raw)") throw new Error();
 * ```
 */
export function commandOf(text: string): string {
  return /"(?:execute|exec-oob)"\s*:\s*"([^"\\]*)"/.exec(text)?.[1] ?? "(raw)";
}

/**
 * Settles as `p` does, or rejects with {@linkcode TargetTimeoutError} naming
 * `what` when `p` has not settled within `ms`.
 */
export function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TargetTimeoutError(`${what}: no answer within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Reads messages from an instance, replaying the greeting first when asked. */
class Inbox {
  #pending: QmpObject[] = [];
  constructor(private readonly instance: TargetInstance) {}
  pushFront(m: QmpObject): void {
    this.#pending.unshift(m);
  }
  receive(ms: number): Promise<QmpObject> {
    const m = this.#pending.shift();
    return m !== undefined ? Promise.resolve(m) : this.instance.qmp.receive(ms);
  }
}

function show(v: QmpValue): string {
  return formatJsonForTranscript(v, 100);
}

/**
 * Runs a transcript's steps on a started instance; throws a
 * {@linkcode StepError} at the first step that does not match. `cursor` is
 * updated as the steps run.
 */
export async function runSteps(
  t: Transcript,
  instance: TargetInstance,
  ctx: TargetContext,
  options: RunFixtureOptions,
  cursor: StepCursor = startCursor(),
): Promise<void> {
  const stepMs = options.stepTimeoutMs ?? t.header.timeoutMs;
  const noneMs = options.noneWindowMs ?? 200;
  const inbox = new Inbox(instance);
  const at = (step: Step, kind: string) => {
    cursor.line = step.line;
    cursor.stepKind = kind;
  };
  const where = () => cursorPlace(cursor);
  if (t.header.negotiate) {
    Object.assign(cursor, {
      line: 1,
      stepKind: "negotiation",
      request: '{"execute":"qmp_capabilities"}',
      command: "qmp_capabilities",
    });
    await instance.qmp.sendRaw('{"execute":"qmp_capabilities"}\n');
    for (;;) {
      const m = await receiveOrFail(inbox, stepMs, 1, where(), '{"return": {}}');
      if ("event" in m) continue;
      if (!("return" in m)) {
        throw new StepError({
          line: 1,
          message: "capabilities negotiation failed",
          ...where(),
          expected: '{"return": {}}',
          actual: show(m),
        });
      }
      break;
    }
  } else {
    inbox.pushFront(instance.qmp.greeting);
    Object.assign(cursor, { stepKind: "greeting", request: "(greeting)", command: "(greeting)" });
  }
  if (t.header.negotiate) cursor.request = "(after negotiation)";

  for (const step of t.steps) {
    switch (step.kind) {
      case "send":
      case "send-raw":
        at(step, step.kind);
        cursor.request = step.text;
        cursor.command = commandOf(step.text);
        try {
          await instance.qmp.sendRaw(step.text + "\n");
        } catch (e) {
          throw new StepError({
            line: step.line,
            message: `sending failed: ${(e as Error).message}`,
            ...where(),
          }, true);
        }
        break;
      case "expect": {
        at(step, "expect");
        const alt = alternativeFor(step.alternatives, ctx);
        if (alt === undefined) break;
        cursor.line = alt.line;
        const got = await receiveOrFail(inbox, stepMs, alt.line, where(), show(alt.expect));
        const m = match(alt.expect, got, "$", ctx.values);
        if (m !== undefined) {
          throw new StepError({
            line: alt.line,
            message: `the message differs at ${m.path}`,
            ...where(),
            path: m.path,
            expected: show(alt.expect),
            actual: show(got),
            diff: formatMismatch(m, alt.expect, got, ctx.values),
          });
        }
        break;
      }
      case "expect-set": {
        at(step, "expect-set");
        const got: QmpObject[] = [];
        for (let k = 0; k < step.values.length; k++) {
          got.push(await receiveOrFail(inbox, stepMs, step.line, where(), show(step.values)));
        }
        const m = matchUnordered(step.values, got, "$", ctx.values);
        if (m !== undefined) {
          throw new StepError({
            line: step.line,
            message: "the messages differ from the expected set",
            ...where(),
            path: m.path,
            expected: show(step.values),
            actual: show(got),
            diff: formatMismatch(m, step.values, got, ctx.values),
          });
        }
        break;
      }
      case "expect-none": {
        at(step, "expect-none");
        let got: QmpObject | undefined;
        try {
          got = await inbox.receive(noneMs);
        } catch (e) {
          if (!(e instanceof TargetTimeoutError)) {
            if (e instanceof TargetClosedError) {
              throw new StepError({
                line: step.line,
                message: `the connection closed: ${e.message}`,
                ...where(),
                expected: "(no message)",
                actual: "(connection closed)",
              }, true);
            }
            throw e;
          }
        }
        if (got !== undefined) {
          throw new StepError({
            line: step.line,
            message: `a message arrived: expected none within ${noneMs} ms`,
            ...where(),
            expected: "(no message)",
            actual: show(got),
          });
        }
        break;
      }
      case "host":
        at(step, "host");
        cursor.request = `=> ${step.device} ${step.command} ${stringifyJson(step.input)}`;
        cursor.command = step.command;
        await runHostStep(step, instance, ctx, stepMs, cursor);
        break;
      case "startup-error":
        break;
    }
  }
}

type Where = Pick<StepFailure, "request" | "command" | "stepKind">;

async function receiveOrFail(
  inbox: Inbox,
  ms: number,
  line: number,
  where: Where,
  expected: string,
): Promise<QmpObject> {
  try {
    return await inbox.receive(ms);
  } catch (e) {
    if (e instanceof TargetTimeoutError) {
      throw new StepError({
        line,
        message: `no message within ${ms} ms`,
        ...where,
        expected,
        actual: "(nothing)",
      });
    }
    if (e instanceof TargetClosedError) {
      throw new StepError({
        line,
        message: `the connection closed: ${e.message}`,
        ...where,
        expected,
        actual: "(connection closed)",
      }, true);
    }
    throw e;
  }
}

async function runHostStep(
  step: Extract<Step, { kind: "host" }>,
  instance: TargetInstance,
  ctx: TargetContext,
  ms: number,
  cursor: StepCursor,
): Promise<void> {
  const where = cursorPlace(cursor);
  let req;
  try {
    req = encodeHostRequest(step.command, step.input);
  } catch (e) {
    throw new StepError({ line: step.line, message: (e as Error).message, ...where });
  }
  let reply;
  try {
    reply = await timeout(
      sendStepRequest(instance.host(step.device), req),
      ms,
      `mailbox 0x${req.opcode.toString(16).padStart(4, "0")}`,
    );
  } catch (e) {
    throw new StepError({
      line: step.line,
      message: `the mailbox command failed: ${(e as Error).message}`,
      ...where,
    }, !(e instanceof TargetTimeoutError));
  }
  const alt = alternativeFor(step.alternatives, ctx);
  if (alt === undefined) return;
  cursor.line = alt.line;
  const decoded = decodeHostReply(step.command, reply);
  const exp = alt.expect;
  const expectedText = `${exp.rcText}${exp.output === undefined ? "" : " " + show(exp.output)}`;
  const actualText = `${decoded.rc} ${show(decoded.output)}`;
  if (reply.rc !== exp.rc) {
    throw new StepError({
      line: alt.line,
      message: `return code ${decoded.rc}: expected ${returnCodeName(exp.rc)}`,
      ...where,
      expected: expectedText,
      actual: actualText,
    });
  }
  if (exp.output !== undefined) {
    const m = match(exp.output, decoded.output, "$", ctx.values);
    if (m !== undefined) {
      throw new StepError({
        line: alt.line,
        message: `the decoded output differs at ${m.path}`,
        ...where,
        path: m.path,
        expected: expectedText,
        actual: actualText,
        diff: formatMismatch(m, exp.output, decoded.output, ctx.values),
      });
    }
  }
}
