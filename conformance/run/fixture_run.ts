/**
 * One fixture on one target: whether it applies, starting the machine,
 * comparing a start-up error, running the steps under the fixture timeout,
 * telling a death of the target from a mismatch, and closing the machine
 * (leaving a failed fixture's files in place with `keep`).
 *
 * @module
 */

import type { FixtureFile } from "../loader.ts";
import { DEFAULT_MACHINES_DIR, MachinePresets } from "../machines.ts";
import { targetContext } from "../target_context.ts";
import { closeQuietly, ownMachineReason } from "./machine_pool.ts";
import {
  runInfoOf,
  type Target,
  type TargetCapabilities,
  TargetClosedError,
  type TargetExit,
  type TargetInstance,
  type TargetRunInfo,
  TargetStartupError,
} from "../target_types.ts";
import type { Transcript } from "../transcript/types.ts";
import {
  cursorPlace,
  runSteps,
  startCursor,
  type StepCursor,
  StepError,
} from "./step_execution.ts";
import type { FixtureResult, Outcome, RunFixtureOptions, StepFailure } from "./types.ts";

/** Always-answering clock for durations. */
const now = (): number => performance.now();

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
  if (caps.startsMachines === false && t.header.endpoint !== undefined) {
    return t.header.endpoint === "ends"
      ? "the fixture ends its machine (endpoint: ends) and the target's endpoint is shared"
      : "the fixture changes its machine for later fixtures (endpoint: changes) and the target's endpoint is shared";
  }
  return undefined;
}

/**
 * How a process ended, in words: `killed by SIGSEGV` or `exit status 1`.
 *
 * @example
 * ```ts
 * import { describeExit } from "./fixture_run.ts";
 * const how = describeExit({ code: null, signal: "SIGKILL", unexpected: true, stderrTail: "" });
 * if (how !== "killed by SIGKILL") throw new Error(how);
 * ```
 */
export function describeExit(exit: TargetExit): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exit status ${exit.code}`;
}

/** Errors that mean the connection to the target broke (the target may have died). */
function isConnectionError(e: unknown): boolean {
  if (e instanceof StepError) return e.peerGone;
  return e instanceof TargetClosedError || e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.ConnectionAborted ||
    e instanceof Deno.errors.ConnectionRefused || e instanceof Deno.errors.UnexpectedEof ||
    e instanceof Deno.errors.NotConnected;
}

/**
 * Waits at most `ms` for the instance's exit status: through its own
 * `waitExit` when it has one, else by looking every 50 ms.
 */
export async function waitForExit(
  instance: TargetInstance,
  ms: number,
): Promise<TargetExit | undefined> {
  if (instance.waitExit !== undefined) return await instance.waitExit(ms);
  let exit = instance.exited();
  for (let waited = 0; exit === undefined && waited < ms; waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
    exit = instance.exited();
  }
  return exit;
}

/** The process's name in messages. */
function who(target: Target): string {
  return target.name === "qemu" ? "QEMU" : "the target";
}

/**
 * Runs one transcript on a target: skips it when it does not apply, else
 * starts a machine, runs the steps and closes the machine.
 *
 * @example
 * ```ts ignore
 * import { runFixture } from "@cxl-dcd/conformance/conformance";
 * const r = await runFixture(fixture, target, "model[seed]");
 * console.log(r.outcome);
 * ```
 */
export async function runFixture(
  fixture: FixtureFile,
  target: Target,
  label: string,
  options?: RunFixtureOptions,
): Promise<FixtureResult> {
  options ??= {};
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
  const cursor = startCursor();
  let instance: TargetInstance | undefined;
  let earlier: readonly string[] = [];
  const shared = options.pool !== undefined && ownMachineReason(t) === undefined;
  let runInfo: TargetRunInfo | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failure: Omit<StepFailure, "file"> | undefined;
  try {
    const body = (async () => {
      const startupStep = t.steps.find((s) => s.kind === "startup-error");
      try {
        const startOptions = options.keep ? { keepFailed: true } : {};
        if (options.pool !== undefined) {
          const m = await options.pool.acquire(args, shared, abort.signal, startOptions);
          instance = m.instance;
          earlier = m.earlier;
        } else {
          instance = await target.start(args, abort.signal, startOptions);
        }
        runInfo = instance.runInfo;
      } catch (e) {
        runInfo = runInfoOf(e);
        if (e instanceof TargetStartupError) {
          if (e.signal !== null) {
            // Killed while starting (or while printing its refusal): a death, not an answer.
            throw new StepError({
              line: startupStep?.line ?? 1,
              message: `${who(target)} died: killed by ${e.signal} during start-up`,
              stepKind: "start-up",
              command: "start-up",
              request: "(start-up)",
              ...(startupStep === undefined ? {} : { expected: startupStep.text }),
              actual: e.stderr,
              crash: { code: null, signal: e.signal, unexpected: true, stderrTail: e.stderr },
            });
          }
          if (startupStep === undefined) {
            throw new StepError({
              line: 1,
              message: "the machine did not start",
              stepKind: "start-up",
              command: "start-up",
              actual: e.stderr,
            });
          }
          const got = e.stderr.replace(/\n+$/, "");
          if (got !== startupStep.text) {
            throw new StepError({
              line: startupStep.line,
              message: "the start-up error differs",
              stepKind: "startup-error",
              command: "start-up",
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
          stepKind: "startup-error",
          command: "start-up",
          expected: startupStep.text,
          actual: "(started)",
        });
      }
      await runSteps(
        t,
        instance,
        targetContext(caps),
        {
          ...options,
          ...(caps.quietMs === undefined || options.noneWindowMs !== undefined
            ? {}
            : { noneWindowMs: caps.quietMs }),
        },
        cursor,
      );
    })();
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(
          new StepError({
            line: cursor.line,
            message: `the fixture did not finish within ${fixtureTimeoutMs} ms`,
            ...cursorPlace(cursor),
          }),
        );
      }, fixtureTimeoutMs);
    });
    body.catch(() => {});
    await Promise.race([body, limit]);
  } catch (e) {
    failure = await describeFailure(e, instance, cursor, target, options.deathWaitMs ?? 2000);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onOuterAbort);
  }
  const keep = options.keep === true && failure !== undefined;
  if (instance !== undefined && options.pool !== undefined) {
    await options.pool.release(instance, fixture.name, shared && failure === undefined, keep);
  } else if (instance !== undefined) {
    await closeQuietly(instance, keep);
  }
  if (failure === undefined) return result({ outcome: "passed" });
  if (runInfo !== undefined) {
    failure.commandLine = runInfo.commandLine;
    failure.tempDir = runInfo.dir;
    failure.kept = keep;
  }
  if (earlier.length > 0) failure.sharedAfter = [...earlier];
  return result({ outcome: "failed", failure: { file: fixture.name, ...failure } });
}

/**
 * The failure an error means: a step's own failure, or any other error at
 * the step under way; when the connection broke, the target's exit status
 * (waited for at most `deathWaitMs`) names its death.
 */
async function describeFailure(
  e: unknown,
  instance: TargetInstance | undefined,
  cursor: StepCursor,
  target: Target,
  deathWaitMs: number,
): Promise<Omit<StepFailure, "file">> {
  const f: Omit<StepFailure, "file"> = e instanceof StepError ? { ...e.failure } : {
    line: cursor.line,
    message: `${(e as Error).name}: ${(e as Error).message}`,
    ...cursorPlace(cursor),
  };
  if (f.crash !== undefined) return f;
  let exit = instance?.exited();
  if (exit === undefined && instance !== undefined && isConnectionError(e)) {
    exit = await waitForExit(instance, deathWaitMs);
  }
  if (exit !== undefined && exit.unexpected) {
    f.crash = exit;
    const during = f.command ?? f.stepKind ?? "the fixture";
    f.message = `${who(target)} died: ${describeExit(exit)} during ${during} (${f.message})`;
  }
  return f;
}
