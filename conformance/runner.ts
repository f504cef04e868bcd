/**
 * The conformance runner: runs transcripts against targets, step by step,
 * and reports each fixture's outcome with the failing step's file, line,
 * request, expected and actual values and a diff.
 *
 * @module
 */

import type { QmpObject, QmpValue } from "../model/qmp_value.ts";
import { decodeHostReply, encodeHostRequest } from "./host/codec.ts";
import { sendStepRequest } from "./host/fm_codec.ts";
import { returnCodeName } from "./host/return_codes.ts";
import { formatMismatch, match, matchUnordered } from "./matchers.ts";
import type { FixtureFile } from "./loader.ts";
import { MachinePresets } from "./machines.ts";
import { DEFAULT_MACHINES_DIR } from "./machines.ts";
import { alternativeFor } from "./transcript/parse.ts";
import { type TargetContext, targetContext } from "./target_context.ts";
import { formatJsonForTranscript, stringifyJson } from "./transcript/json.ts";
import type { Step, Transcript } from "./transcript/types.ts";
import {
  type Target,
  type TargetCapabilities,
  TargetClosedError,
  type TargetExit,
  type TargetInstance,
  TargetStartupError,
  TargetTimeoutError,
} from "./target_types.ts";

/** How a fixture ended on one target. */
export type Outcome =
  | "passed"
  | "failed"
  | "expected-failure"
  | "unexpected-pass"
  | "skipped";

/** Details of a failed step. */
export interface StepFailure {
  /** Fixture file name. */
  file: string;
  /** 1-based line of the failing step (or of the file's first line). */
  line: number;
  /** What went wrong, in one line. */
  message: string;
  /** The request the failing step answers (a QMP line or a host command). */
  request?: string;
  /** What was expected (JSON or text). */
  expected?: string;
  /** What came back. */
  actual?: string;
  /** A readable diff (first difference path, unified view). */
  diff?: string;
  /** Set when the target died: how. */
  crash?: TargetExit;
}

/** The result of one fixture on one target. */
export interface FixtureResult {
  /** Fixture name (relative to the fixtures root). */
  fixture: string;
  /** Fixture title ('' when it did not parse). */
  title: string;
  /** Target run label, e.g. `model[seed]`. */
  target: string;
  /** Profile whose expectations applied. */
  profile: string;
  /** The outcome. */
  outcome: Outcome;
  /** Why it was skipped, or the known-failure reason from the expectations file. */
  reason?: string;
  /** The failure (for `failed` and `expected-failure`). */
  failure?: StepFailure;
  /** Wall time in milliseconds. */
  durationMs: number;
}

/** Options for running one fixture. */
export interface RunFixtureOptions {
  /** Machine presets (default: the repository's fixtures/machines). */
  presets?: MachinePresets;
  /** Per-step timeout overriding the transcript's (milliseconds). */
  stepTimeoutMs?: number;
  /** Whole-fixture timeout in milliseconds (default 60000). */
  fixtureTimeoutMs?: number;
  /** Quiet period for `<-none` in milliseconds (default 200). */
  noneWindowMs?: number;
  /** Aborts the fixture. */
  signal?: AbortSignal;
}

/** A failure raised inside a step; turned into a {@linkcode StepFailure}. */
class StepError extends Error {
  constructor(readonly failure: Omit<StepFailure, "file">, readonly peerGone = false) {
    super(failure.message);
  }
}

/** Always-answering clock for durations. */
const now = (): number => performance.now();

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TargetTimeoutError(`${what}: no answer within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Why a fixture does not apply to a target with these capabilities, if it does not. */
export function skipReason(t: Transcript, caps: TargetCapabilities): string | undefined {
  if (caps.skip !== undefined) return caps.skip;
  const missing = t.header.requires.filter((f) => !f.startsWith("!") && !caps.features.has(f));
  if (missing.length > 0) return `target lacks required feature(s): ${missing.join(", ")}`;
  const present = t.header.requires.filter((f) =>
    f.startsWith("!") && caps.features.has(f.slice(1))
  )
    .map((f) => f.slice(1));
  if (present.length > 0) {
    return `the fixture pins behaviour without ${present.join(", ")}, which the target has`;
  }
  if (!caps.hostSide && t.steps.some((s) => s.kind === "host")) {
    return "the fixture has host (mailbox) steps and the target cannot run them";
  }
  if (caps.startsMachines === false && t.steps.some((s) => s.kind === "startup-error")) {
    return "the fixture expects a start-up error and the target does not start machines";
  }
  return undefined;
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
 * Runs one transcript on a target: skips it when it does not apply, else
 * starts a machine, runs the steps and closes the machine.
 *
 * @example
 * ```ts ignore
 * import { runFixture } from "./runner.ts";
 * const r = await runFixture(fixture, target, "model[seed]");
 * console.log(r.outcome);
 * ```
 */
export async function runFixture(
  fixture: FixtureFile,
  target: Target,
  label: string,
  options: RunFixtureOptions = {},
): Promise<FixtureResult> {
  const t0 = now();
  const base = { fixture: fixture.name, target: label };
  const t = fixture.transcript;
  if (t instanceof Error) {
    return {
      ...base,
      title: "",
      profile: "",
      outcome: "failed",
      failure: { file: fixture.name, line: (t as { line?: number }).line ?? 1, message: t.message },
      durationMs: now() - t0,
    };
  }
  const presets = options.presets ?? new MachinePresets(DEFAULT_MACHINES_DIR);
  let args: string[];
  let caps: TargetCapabilities;
  try {
    args = await presets.resolve(t.header.machine);
    caps = await target.capabilities(args);
  } catch (e) {
    return {
      ...base,
      title: t.header.title,
      profile: "",
      outcome: "failed",
      failure: { file: fixture.name, line: 1, message: (e as Error).message },
      durationMs: now() - t0,
    };
  }
  const result = (extra: Partial<FixtureResult> & { outcome: Outcome }): FixtureResult => ({
    ...base,
    title: t.header.title,
    profile: caps.profile,
    durationMs: now() - t0,
    ...extra,
  });
  const reason = skipReason(t, caps);
  if (reason !== undefined) return result({ outcome: "skipped", reason });

  const fixtureTimeoutMs = options.fixtureTimeoutMs ?? 60_000;
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort();
  options.signal?.addEventListener("abort", onOuterAbort);
  let instance: TargetInstance | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const body = (async () => {
      const startupStep = t.steps.find((s) => s.kind === "startup-error");
      try {
        instance = await target.start(args, abort.signal);
      } catch (e) {
        if (e instanceof TargetStartupError) {
          if (startupStep === undefined) {
            throw new StepError({
              line: 1,
              message: "the machine did not start",
              actual: e.stderr,
            });
          }
          const got = e.stderr.replace(/\n+$/, "");
          if (got !== startupStep.text) {
            throw new StepError({
              line: startupStep.line,
              message: "the start-up error differs",
              expected: startupStep.text,
              actual: got,
            });
          }
          return;
        }
        throw e;
      }
      if (startupStep !== undefined) {
        throw new StepError({
          line: startupStep.line,
          message: "the machine started: expected a start-up error",
          expected: startupStep.text,
          actual: "(started)",
        });
      }
      await runSteps(t, instance, targetContext(caps), {
        ...options,
        ...(caps.quietMs === undefined || options.noneWindowMs !== undefined
          ? {}
          : { noneWindowMs: caps.quietMs }),
      });
    })();
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(
          new StepError({
            line: 1,
            message: `the fixture did not finish within ${fixtureTimeoutMs} ms`,
          }),
        );
      }, fixtureTimeoutMs);
    });
    await Promise.race([body, limit]);
    return result({ outcome: "passed" });
  } catch (e) {
    const f: Omit<StepFailure, "file"> = e instanceof StepError
      ? { ...e.failure }
      : { line: 1, message: `${(e as Error).name}: ${(e as Error).message}` };
    let exit = instance?.exited();
    if (exit === undefined && instance !== undefined && e instanceof StepError && e.peerGone) {
      // The connection broke: give the process a moment to be reaped, to tell a crash.
      for (let k = 0; k < 20 && exit === undefined; k++) {
        await new Promise((r) => setTimeout(r, 50));
        exit = instance.exited();
      }
    }
    if (exit !== undefined && exit.unexpected) {
      f.crash = exit;
      f.message += ` (the target died: ${exit.signal ?? `exit code ${exit.code}`})`;
    }
    return result({ outcome: "failed", failure: { file: fixture.name, ...f } });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onOuterAbort);
    if (instance !== undefined) {
      try {
        await timeout(instance.close(), 10_000, "closing the target");
      } catch {
        // A target that cannot close was already reported by its failure.
      }
    }
  }
}

async function runSteps(
  t: Transcript,
  instance: TargetInstance,
  ctx: TargetContext,
  options: RunFixtureOptions,
): Promise<void> {
  const stepMs = options.stepTimeoutMs ?? t.header.timeoutMs;
  const noneMs = options.noneWindowMs ?? 200;
  const inbox = new Inbox(instance);
  if (t.header.negotiate) {
    await instance.qmp.sendRaw('{"execute":"qmp_capabilities"}\n');
    for (;;) {
      const m = await receiveOrFail(inbox, stepMs, 1, "qmp_capabilities", '{"return": {}}');
      if ("event" in m) continue;
      if (!("return" in m)) {
        throw new StepError({
          line: 1,
          message: "capabilities negotiation failed",
          request: '{"execute":"qmp_capabilities"}',
          expected: '{"return": {}}',
          actual: show(m),
        });
      }
      break;
    }
  } else inbox.pushFront(instance.qmp.greeting);

  let request = t.header.negotiate ? "(after negotiation)" : "(greeting)";
  for (const step of t.steps) {
    switch (step.kind) {
      case "send":
      case "send-raw":
        request = step.text;
        try {
          await instance.qmp.sendRaw(step.text + "\n");
        } catch (e) {
          throw new StepError({
            line: step.line,
            message: `sending failed: ${(e as Error).message}`,
            request,
          }, true);
        }
        break;
      case "expect": {
        const alt = alternativeFor(step.alternatives, ctx);
        if (alt === undefined) break;
        const got = await receiveOrFail(inbox, stepMs, alt.line, request, show(alt.expect));
        const m = match(alt.expect, got, "$", ctx.values);
        if (m !== undefined) {
          throw new StepError({
            line: alt.line,
            message: `the message differs at ${m.path}`,
            request,
            expected: show(alt.expect),
            actual: show(got),
            diff: formatMismatch(m, alt.expect, got),
          });
        }
        break;
      }
      case "expect-set": {
        const got: QmpObject[] = [];
        for (let k = 0; k < step.values.length; k++) {
          got.push(await receiveOrFail(inbox, stepMs, step.line, request, show(step.values)));
        }
        const m = matchUnordered(step.values, got, "$", ctx.values);
        if (m !== undefined) {
          throw new StepError({
            line: step.line,
            message: "the messages differ from the expected set",
            request,
            expected: show(step.values),
            actual: show(got),
            diff: formatMismatch(m, step.values, got),
          });
        }
        break;
      }
      case "expect-none": {
        try {
          const got = await inbox.receive(noneMs);
          throw new StepError({
            line: step.line,
            message: `a message arrived: expected none within ${noneMs} ms`,
            request,
            expected: "(no message)",
            actual: show(got),
          });
        } catch (e) {
          if (!(e instanceof TargetTimeoutError)) throw e;
        }
        break;
      }
      case "host":
        request = `=> ${step.device} ${step.command} ${stringifyJson(step.input)}`;
        await runHostStep(step, instance, ctx, stepMs, request);
        break;
      case "startup-error":
        break;
    }
  }
}

async function receiveOrFail(
  inbox: Inbox,
  ms: number,
  line: number,
  request: string,
  expected: string,
): Promise<QmpObject> {
  try {
    return await inbox.receive(ms);
  } catch (e) {
    if (e instanceof TargetTimeoutError) {
      throw new StepError({
        line,
        message: `no message within ${ms} ms`,
        request,
        expected,
        actual: "(nothing)",
      });
    }
    if (e instanceof TargetClosedError) {
      throw new StepError({
        line,
        message: `the connection closed: ${e.message}`,
        request,
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
  request: string,
): Promise<void> {
  let req;
  try {
    req = encodeHostRequest(step.command, step.input);
  } catch (e) {
    throw new StepError({ line: step.line, message: (e as Error).message, request });
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
      request,
    }, !(e instanceof TargetTimeoutError));
  }
  const alt = alternativeFor(step.alternatives, ctx);
  if (alt === undefined) return;
  const decoded = decodeHostReply(step.command, reply);
  const exp = alt.expect;
  const expectedText = `${exp.rcText}${exp.output === undefined ? "" : " " + show(exp.output)}`;
  const actualText = `${decoded.rc} ${show(decoded.output)}`;
  if (reply.rc !== exp.rc) {
    throw new StepError({
      line: alt.line,
      message: `return code ${decoded.rc}: expected ${returnCodeName(exp.rc)}`,
      request,
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
        request,
        expected: expectedText,
        actual: actualText,
        diff: formatMismatch(m, exp.output, decoded.output),
      });
    }
  }
}

/** One target in a suite run. */
export interface SuiteTarget {
  /** The target. */
  target: Target;
  /** Label in reports (default: `NAME[PROFILE]`). */
  label?: string;
  /** Fixtures run at once (default 1). */
  jobs?: number;
  /** Known failures: fixture name → reason. */
  expectations?: ReadonlyMap<string, string>;
}

/** Options for a suite run. */
export interface SuiteOptions extends RunFixtureOptions {
  /** Stop scheduling fixtures after the first failure or unexpected pass. */
  failFast?: boolean;
  /** Called as each fixture finishes (completion order). */
  onResult?: (result: FixtureResult) => void;
  /** Called once per target, before its fixtures run. */
  onTarget?: (info: TargetInfo) => void;
}

/** Counts of one target's outcomes. */
export interface TargetSummary {
  /** Target run label. */
  target: string;
  /** Profile. */
  profile: string;
  /** Outcome counts. */
  passed: number;
  /** Failed (not expected). */
  failed: number;
  /** Failed as the expectations file says. */
  expectedFailures: number;
  /** Listed as known failure but passed (an error). */
  unexpectedPasses: number;
  /** Skipped. */
  skipped: number;
  /** Skip reasons with counts. */
  skipReasons: Record<string, number>;
  /** Wall time of the target's run in milliseconds. */
  durationMs: number;
  /** The version the target reports, e.g. `11.1.3 (Debian 1:11.1.3+ds-2~bpo13+1)`. */
  version?: string;
  /** Why its profile was chosen, when not an exact release-line match (see TargetCapabilities). */
  profileNote?: string;
}

/** What a suite run says about a target before running it. */
export interface TargetInfo {
  /** Run label, `NAME[PROFILE]`. */
  label: string;
  /** The target's capabilities (for the dcd-1x2g machine). */
  capabilities: TargetCapabilities;
}

/**
 * One line that says what a target is: its reported version, the profile
 * that judges it (and why, when it is not an exact release-line match) and
 * its features.
 *
 * @example
 * ```ts
 * import { describeTarget } from "./runner.ts";
 * const line = describeTarget({
 *   label: "qemu[seed]",
 *   capabilities: {
 *     commands: new Set(), features: new Set(["dcd", "host"]), profile: "seed", hostSide: true,
 *     release: { major: 10, minor: 1 }, version: { major: 10, minor: 1, micro: 50, package: "" },
 *     profileNote: "QEMU 10.1.50 is a development tree after 10.1: judged as seed",
 *   },
 * });
 * if (!line.includes("10.1.50") || !line.includes("development tree")) throw new Error(line);
 * ```
 */
export function describeTarget(info: TargetInfo): string {
  const c = info.capabilities;
  const note = c.profileNote === undefined ? "" : `\n  NOTE: ${c.profileNote}`;
  return `${info.label}: QEMU ${formatVersion(c.version)}, ` +
    `profile ${c.profile} (release line ${c.release.major}.${c.release.minor}), ` +
    `features: ${[...c.features].sort().join(", ")}${note}`;
}

/** A suite's results. */
export interface SuiteResult {
  /** Results per target, each in fixture order. */
  results: FixtureResult[];
  /** One summary per target run, in the order given. */
  summaries: TargetSummary[];
  /** True when nothing failed and nothing passed unexpectedly. */
  ok: boolean;
}

/**
 * Applies an expectations entry to a result: a listed failure becomes an
 * expected failure, a listed pass an unexpected pass. A reason that starts
 * with a signal name and a colon (`SIGSEGV: ...`) expects the target to die
 * by that signal: any other failure (the target never started, never
 * greeted, died otherwise or answered wrongly) stays a failure, and says why.
 *
 * @example
 * ```ts
 * import { applyExpectation, type FixtureResult } from "./runner.ts";
 * const failed: FixtureResult = {
 *   fixture: "a.qmp", title: "a", target: "qemu[qemu-10.0]", profile: "qemu-10.0",
 *   outcome: "failed", durationMs: 1, failure: { file: "a.qmp", line: 1, message: "boom" },
 * };
 * const crash = new Map([["a.qmp", "SIGSEGV: QEMU crashes here"]]);
 * if (applyExpectation(failed, crash).outcome !== "failed") throw new Error("no crash happened");
 * ```
 */
export function applyExpectation(
  r: FixtureResult,
  expectations: ReadonlyMap<string, string> | undefined,
): FixtureResult {
  const reason = expectations?.get(r.fixture);
  if (reason === undefined) return r;
  if (r.outcome === "failed") {
    const signal = /^(SIG[A-Z0-9]+):/.exec(reason)?.[1];
    const crash = r.failure?.crash;
    if (signal !== undefined && crash?.signal !== signal && r.failure !== undefined) {
      const how = crash === undefined
        ? "it did not die"
        : `it ended by ${crash.signal ?? `exit code ${crash.code}`}`;
      return {
        ...r,
        failure: {
          ...r.failure,
          message:
            `${r.failure.message} [the expectations file expects death by ${signal} here (${reason}), and ${how}]`,
        },
      };
    }
    return { ...r, outcome: "expected-failure", reason };
  }
  if (r.outcome === "passed") return { ...r, outcome: "unexpected-pass", reason };
  return r;
}

/** Summarises results of one target run. */
export function summarise(
  target: string,
  results: readonly FixtureResult[],
  durationMs: number,
): TargetSummary {
  const s: TargetSummary = {
    target,
    profile: results.find((r) => r.profile !== "")?.profile ?? "",
    passed: 0,
    failed: 0,
    expectedFailures: 0,
    unexpectedPasses: 0,
    skipped: 0,
    skipReasons: {},
    durationMs,
  };
  for (const r of results) {
    if (r.outcome === "passed") s.passed++;
    else if (r.outcome === "failed") s.failed++;
    else if (r.outcome === "expected-failure") s.expectedFailures++;
    else if (r.outcome === "unexpected-pass") s.unexpectedPasses++;
    else {
      s.skipped++;
      const why = r.reason ?? "skipped";
      s.skipReasons[why] = (s.skipReasons[why] ?? 0) + 1;
    }
  }
  return s;
}

/** `11.1.3 (Debian 1:11.1.3+ds-2~bpo13+1)`, or `10.1.50` without a package string. */
function formatVersion(v: TargetCapabilities["version"]): string {
  return `${v.major}.${v.minor}.${v.micro}${v.package === "" ? "" : ` (${v.package})`}`;
}

async function probeMachine(presets: MachinePresets): Promise<string[]> {
  try {
    return await presets.preset("dcd-1x2g");
  } catch {
    return []; // no preset directory: capabilities of an empty machine
  }
}

function labelOf(target: Target, caps: TargetCapabilities): string {
  return `${target.name}[${caps.profile}]`;
}

/** A run label for a target: `NAME[PROFILE]`. */
export async function targetLabel(target: Target, presets: MachinePresets): Promise<string> {
  return labelOf(target, await target.capabilities(await probeMachine(presets)));
}

/**
 * Runs fixtures on several targets, one target after the other, each with
 * `jobs` fixtures at once; results are in fixture order whatever the
 * completion order.
 *
 * @example
 * ```ts ignore
 * import { runSuite } from "./runner.ts";
 * const suite = await runSuite(fixtures, [{ target }]);
 * if (!suite.ok) Deno.exitCode = 1;
 * ```
 */
export async function runSuite(
  fixtures: readonly FixtureFile[],
  targets: readonly SuiteTarget[],
  options: SuiteOptions = {},
): Promise<SuiteResult> {
  const presets = options.presets ?? new MachinePresets(DEFAULT_MACHINES_DIR);
  const runOptions: RunFixtureOptions = { ...options, presets };
  const all: FixtureResult[] = [];
  const summaries: TargetSummary[] = [];
  let stop = false;
  for (const st of targets) {
    const t0 = now();
    const caps = await st.target.capabilities(await probeMachine(presets));
    const label = st.label ?? labelOf(st.target, caps);
    options.onTarget?.({ label, capabilities: caps });
    const slots: (FixtureResult | undefined)[] = new Array(fixtures.length);
    let next = 0;
    const worker = async () => {
      while (next < fixtures.length) {
        const k = next++;
        const fx = fixtures[k]!;
        if (stop) {
          slots[k] = {
            fixture: fx.name,
            title: fx.transcript instanceof Error ? "" : fx.transcript.header.title,
            target: label,
            profile: "",
            outcome: "skipped",
            reason: "not run (fail-fast)",
            durationMs: 0,
          };
          continue;
        }
        const r = applyExpectation(
          await runFixture(fx, st.target, label, runOptions),
          st.expectations,
        );
        slots[k] = r;
        if (options.failFast && (r.outcome === "failed" || r.outcome === "unexpected-pass")) {
          stop = true;
        }
        options.onResult?.(r);
      }
    };
    const jobs = Math.max(1, Math.min(st.jobs ?? 1, fixtures.length));
    await Promise.all(Array.from({ length: jobs }, worker));
    const results = slots.filter((r): r is FixtureResult => r !== undefined);
    all.push(...results);
    const summary = summarise(label, results, now() - t0);
    summary.version = formatVersion(caps.version);
    if (caps.profileNote !== undefined) summary.profileNote = caps.profileNote;
    summaries.push(summary);
  }
  return {
    results: all,
    summaries,
    ok: summaries.every((s) => s.failed === 0 && s.unexpectedPasses === 0),
  };
}
