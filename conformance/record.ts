/**
 * Record mode: run a transcript's requests (QMP and host steps) against a
 * target and write what came back in place of the expected responses,
 * keeping comments, the header, request text and every existing matcher the
 * observed value still satisfies. Event timestamps are written as
 * `"$timestamp"`. This is how fixtures are made from a real QEMU.
 *
 * @module
 */

import type { QmpObject, QmpValue } from "../model/qmp_value.ts";
import { decodeHostReply, encodeHostRequest } from "./host/codec.ts";
import { sendStepRequest } from "./host/fm_codec.ts";
import { MachinePresets } from "./machines.ts";
import { DEFAULT_MACHINES_DIR } from "./machines.ts";
import { match, matchUnordered, type TargetValues } from "./matchers.ts";
import { skipReason } from "./runner.ts";
import { waitForExit } from "./run/fixture_run.ts";
import { alternativeFor, escapeText, FEATURE_NAMES } from "./transcript/parse.ts";
import { parseSelector, type Selector, selectorMatches } from "./transcript/selector.ts";
import { targetContext } from "./target_context.ts";
import type { Alternative } from "./transcript/types.ts";
import { formatJsonForTranscript } from "./transcript/json.ts";
import type { Step, Transcript } from "./transcript/types.ts";
import {
  type Target,
  TargetClosedError,
  type TargetInstance,
  TargetStartupError,
  TargetTimeoutError,
} from "./target_types.ts";

/** Options of {@linkcode recordTranscript}. */
export interface RecordOptions {
  /** Machine presets (default: the repository's). */
  presets?: MachinePresets;
  /** Timeout for the first message after a request (default: the transcript's step timeout). */
  stepTimeoutMs?: number;
  /** Quiet period that ends the collection of further messages (default 200 ms). */
  quietMs?: number;
  /** Line width for recorded JSON before it is pretty-printed (default 100). */
  width?: number;
  /**
   * Record a release difference as data: where the target's answer differs
   * from the expectation that applies to it, keep that expectation for the
   * other targets and insert the observed answer as a new alternative with
   * this selector (e.g. `>=11.1`) just before it. An alternative that already
   * has this selector is rewritten in place. The selector must select the
   * target being recorded.
   */
  alternative?: string;
}

/** One replaced range of lines. */
export interface RecordEdit {
  /** 1-based first line replaced (for an insertion: the line the text goes before). */
  line: number;
  /** Number of lines replaced (0 for an insertion). */
  count: number;
  /** The new lines. */
  lines: string[];
}

/** The outcome of recording one transcript. */
export interface RecordResult {
  /** The new file text. */
  text: string;
  /** The edits applied, in line order. */
  edits: RecordEdit[];
  /** Problems that stopped recording early (the target closed, ...). */
  warnings: string[];
  /** Profile of the target the responses came from. */
  profile: string;
  /** Set when the transcript does not apply to the target (profile, features): nothing was run. */
  skipped?: string;
}

/** Recording is impossible as asked; the message says why and what to do. */
export class RecordError extends Error {
  /**
   * Creates the error.
   *
   * @param message what went wrong and what to do
   */
  constructor(message: string) {
    super(message);
    this.name = "RecordError";
  }
}

function isObject(v: QmpValue | undefined): v is QmpObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * An observed value made safe to write as an expectation: strings starting
 * with `$` become `"$$..."`, and an event's `timestamp` becomes `"$timestamp"`.
 *
 * @param v the observed value
 * @param top whether `v` is a whole message, whose `timestamp` is masked (default true)
 *
 * @example
 * ```ts
 * import { maskObserved } from "@cxl-dcd/conformance/conformance";
 * const v = maskObserved({ event: "STOP", timestamp: { seconds: 1, microseconds: 2 } });
 * if ((v as Record<string, unknown>).timestamp !== "$timestamp") throw new Error();
 * ```
 */
export function maskObserved(v: QmpValue, top?: boolean): QmpValue {
  top ??= true;
  if (typeof v === "string") return v.startsWith("$") ? "$" + v : v;
  if (Array.isArray(v)) return v.map((e) => maskObserved(e, false));
  if (!isObject(v)) return v;
  const out: QmpObject = {};
  for (const k of Object.keys(v)) {
    const val = top && k === "timestamp" && "event" in v
      ? "$timestamp"
      : maskObserved(v[k]!, false);
    Object.defineProperty(out, k, {
      value: val,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

const MATCHER_STRINGS = new Set(["$any", "$timestamp", "$number", "$string"]);
function isMatcherForm(e: QmpValue): boolean {
  if (typeof e === "string") return MATCHER_STRINGS.has(e);
  if (!isObject(e)) return false;
  const keys = Object.keys(e);
  return keys.length === 1 && (keys[0] === "$regex" || keys[0] === "$unordered");
}

/**
 * Merges an observed value into an expectation: parts the observation still
 * matches are kept as written (matchers included), the rest is replaced by
 * the (masked) observed value.
 *
 * @param expected the expectation as written, if any
 * @param actual the observed value
 * @param top whether the values are whole messages, whose `timestamp` is masked (default true)
 * @param values the target's values `$name` matchers compare with (default: none)
 *
 * @example
 * ```ts
 * import { mergeObserved } from "@cxl-dcd/conformance/conformance";
 * const v = mergeObserved({ return: { a: "$number", b: 1 } }, { return: { a: 5, b: 2 } });
 * if (JSON.stringify(v) !== '{"return":{"a":"$number","b":2}}') throw new Error(JSON.stringify(v));
 * ```
 */
export function mergeObserved(
  expected: QmpValue | undefined,
  actual: QmpValue,
  top?: boolean,
  values?: TargetValues,
): QmpValue {
  top ??= true;
  values ??= {};
  if (expected !== undefined && match(expected, actual, "$", values) === undefined) return expected;
  if (expected === undefined || isMatcherForm(expected)) return maskObserved(actual, top);
  if (isObject(expected) && isObject(actual)) {
    const out: QmpObject = {};
    const open = expected["..."] === "...";
    const set = (k: string, v: QmpValue) =>
      Object.defineProperty(out, k, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    if (open) set("...", "...");
    for (const k of Object.keys(actual)) {
      if (Object.hasOwn(expected, k)) {
        set(
          k,
          top && k === "timestamp" && "event" in actual
            ? "$timestamp"
            : mergeObserved(expected[k], actual[k]!, false, values),
        );
      } else if (!open) {
        set(
          k,
          top && k === "timestamp" && "event" in actual
            ? "$timestamp"
            : maskObserved(actual[k]!, false),
        );
      }
    }
    return out;
  }
  if (Array.isArray(expected) && Array.isArray(actual) && expected.length === actual.length) {
    return actual.map((a, k) => mergeObserved(expected[k], a, false, values));
  }
  return maskObserved(actual, top);
}

/** The marker as written at the start of a step's first line (`<-`, `<-[seed]`, `<=`...). */
function markerOf(line: string): string {
  return /^\S+/.exec(line)?.[0] ?? "";
}

/** A step's marker and its JSON in the transcript layout, wrapped to fit `width` columns. */
export function jsonLines(prefix: string, value: QmpValue, width: number): string[] {
  const text = formatJsonForTranscript(value, Math.max(40, width - prefix.length - 1));
  const lines = text.split("\n");
  lines[0] = `${prefix} ${lines[0]}`;
  return lines;
}

interface Exchange {
  /** The request step, or undefined for expectations before any request (the greeting). */
  request: Step | undefined;
  /** The expectation steps that follow it. */
  expects: Step[];
}

function exchanges(steps: readonly Step[]): Exchange[] {
  const out: Exchange[] = [];
  let cur: Exchange = { request: undefined, expects: [] };
  for (const s of steps) {
    if (s.kind === "send" || s.kind === "send-raw" || s.kind === "host") {
      if (cur.request !== undefined || cur.expects.length > 0) out.push(cur);
      cur = { request: s, expects: [] };
    } else if (s.kind !== "startup-error") cur.expects.push(s);
  }
  if (cur.request !== undefined || cur.expects.length > 0) out.push(cur);
  return out;
}

/**
 * Runs a transcript against a target and returns the transcript rewritten
 * with the observed responses.
 *
 * @example
 * ```ts ignore
 * import { recordTranscript } from "@cxl-dcd/conformance/conformance";
 * const r = await recordTranscript(transcript, qemuTarget);
 * await Deno.writeTextFile(path, r.text);
 * ```
 *
 * @throws {RecordError} when the observed messages cannot be written back
 * without guessing (per-profile alternatives whose message count changed).
 */
export async function recordTranscript(
  t: Transcript,
  target: Target,
  options?: RecordOptions,
): Promise<RecordResult> {
  options ??= {};
  const presets = options.presets ?? new MachinePresets(DEFAULT_MACHINES_DIR);
  const width = options.width ?? 100;
  const stepMs = options.stepTimeoutMs ?? t.header.timeoutMs;
  const args = await presets.resolve(t.header.machine);
  const caps = await target.capabilities(args);
  const quietMs = options.quietMs ?? caps.quietMs ?? 200;
  const skipped = skipReason(t, caps);
  if (skipped !== undefined) {
    return {
      text: t.lines.join("\n") + "\n",
      edits: [],
      warnings: [],
      profile: caps.profile,
      skipped,
    };
  }
  const profile = caps.profile;
  const ctx = targetContext(caps);
  const values: TargetValues = ctx.values;
  let newAlt: Selector | undefined;
  if (options.alternative !== undefined) {
    try {
      newAlt = parseSelector(options.alternative, FEATURE_NAMES);
    } catch (e) {
      throw new RecordError(`--alternative: ${(e as Error).message}`);
    }
    if (!selectorMatches(newAlt, ctx)) {
      throw new RecordError(
        `--alternative [${newAlt.text}] does not select the target being recorded (${profile}, release ${ctx.release.major}.${ctx.release.minor}): expected a selector that includes it, e.g. [>=${ctx.release.major}.${ctx.release.minor}]`,
      );
    }
  }
  /**
   * The edit that writes `body` (lines after the marker) for an alternative
   * that did not match: in place, or as a new alternative before it.
   */
  const rewrite = <T>(
    alt: Alternative<T>,
    word: "<-" | "<=",
    body: (marker: string) => string[],
  ) => {
    if (newAlt === undefined || alt.when?.text === newAlt.text) {
      const marker = markerOf(t.lines[alt.line - 1]!);
      edits.push({ line: alt.line, count: alt.endLine - alt.line + 1, lines: body(marker) });
    } else {
      edits.push({ line: alt.line, count: 0, lines: body(`${word}[${newAlt.text}]`) });
    }
  };
  const edits: RecordEdit[] = [];
  const warnings: string[] = [];
  const finish = (): RecordResult => {
    edits.sort((a, b) => a.line - b.line);
    const lines = [...t.lines];
    for (let k = edits.length - 1; k >= 0; k--) {
      const e = edits[k]!;
      lines.splice(e.line - 1, e.count, ...e.lines);
    }
    return { text: lines.join("\n") + "\n", edits, warnings, profile };
  };

  const startup = t.steps.find((s) => s.kind === "startup-error");
  let instance: TargetInstance;
  try {
    instance = await target.start(args);
  } catch (e) {
    if (!(e instanceof TargetStartupError)) throw e;
    const text = e.stderr.replace(/\n+$/, "");
    if (startup === undefined) {
      throw new RecordError(
        `${t.file}: the machine did not start (${text}); to pin that, the transcript must have a single '!startup-error' step`,
      );
    }
    if (startup.kind === "startup-error" && startup.text !== text) {
      if (options.alternative !== undefined) {
        throw new RecordError(
          `${t.file}:${startup.line}: the start-up error differs on ${caps.profile} and '!startup-error' takes no alternatives; edit it by hand`,
        );
      }
      edits.push({ line: startup.line, count: 1, lines: [`!startup-error ${escapeText(text)}`] });
    }
    return finish();
  }
  try {
    if (startup !== undefined) {
      throw new RecordError(
        `${t.file}:${startup.line}: the machine started, so there is no start-up error to record; replace the step by hand`,
      );
    }
    const pending: QmpObject[] = [];
    if (t.header.negotiate) {
      await instance.qmp.sendRaw('{"execute":"qmp_capabilities"}\n');
      for (;;) {
        const m = await instance.qmp.receive(stepMs);
        if ("event" in m) continue;
        if (!("return" in m)) {
          throw new RecordError(`${t.file}: capabilities negotiation failed: ${JSON.stringify(m)}`);
        }
        break;
      }
    } else pending.push(instance.qmp.greeting);

    const receive = (ms: number): Promise<QmpObject> => {
      const m = pending.shift();
      return m !== undefined ? Promise.resolve(m) : instance.qmp.receive(ms);
    };
    const collect = async (n: number): Promise<{ msgs: QmpObject[]; closed: boolean }> => {
      const msgs: QmpObject[] = [];
      try {
        while (msgs.length < n) msgs.push(await receive(stepMs));
        for (;;) msgs.push(await receive(quietMs));
      } catch (e) {
        if (e instanceof TargetClosedError) return { msgs, closed: true };
        if (!(e instanceof TargetTimeoutError)) throw e;
      }
      return { msgs, closed: false };
    };

    const all = exchanges(t.steps);
    for (const [index, ex] of all.entries()) {
      const req = ex.request;
      if (req?.kind === "host") {
        const fields = req.input;
        const enc = encodeHostRequest(req.command, fields);
        let reply;
        try {
          reply = await sendStepRequest(instance.host(req.device), enc);
        } catch (e) {
          const exit = await waitForExit(instance, 1000);
          if (exit === undefined) throw e;
          warnings.push(
            `${t.file}:${req.line}: the target died (${
              exit.signal ?? `exit code ${exit.code}`
            }) running this host step; this and later steps were kept as written`,
          );
          break;
        }
        const dec = decodeHostReply(req.command, reply);
        const alt = alternativeFor(req.alternatives, ctx);
        if (alt === undefined) {
          if (req.alternatives.length === 0) {
            edits.push({
              line: req.endLine + 1,
              count: 0,
              lines: jsonLines(`<= ${dec.rc}`, maskObserved(dec.output), width),
            });
          }
          continue;
        }
        const rcSame = alt.expect.rc === reply.rc;
        const outSame = alt.expect.output === undefined ||
          match(alt.expect.output, dec.output, "$", values) === undefined;
        if (rcSame && outSame) continue;
        const rcText = rcSame ? alt.expect.rcText : dec.rc;
        const output = alt.expect.output;
        rewrite(alt, "<=", (marker) =>
          output === undefined ? [`${marker} ${rcText}`] : jsonLines(
            `${marker} ${rcText}`,
            mergeObserved(output, dec.output, true, values),
            width,
          ));
        continue;
      }
      if (req !== undefined) {
        const text = req.kind === "send" ? req.text : req.kind === "send-raw" ? req.text : "";
        await instance.qmp.sendRaw(text + "\n");
      }
      // How many messages the transcript expects here for this profile.
      let n = 0;
      for (const s of ex.expects) {
        if (s.kind === "expect") n += alternativeFor(s.alternatives, ctx) === undefined ? 0 : 1;
        else if (s.kind === "expect-set") n += s.values.length;
      }
      const { msgs, closed } = await collect(n);
      const closedWarning = async (always: boolean) => {
        const exit = await waitForExit(instance, 1000);
        if (!always && index === all.length - 1) return; // e.g. `quit` as the last request
        warnings.push(
          `${t.file}:${req?.line ?? 1}: the target closed the connection${
            exit?.signal ? ` (${exit.signal})` : exit ? ` (exit code ${exit.code})` : ""
          }; ${always ? "this and later steps were" : "later steps were"} kept as written`,
        );
      };
      if (closed && msgs.length < n) {
        await closedWarning(true);
        break;
      }
      if (msgs.length === n) {
        let k = 0;
        for (const s of ex.expects) {
          if (s.kind === "expect") {
            const alt = alternativeFor(s.alternatives, ctx);
            if (alt === undefined) continue;
            const got = msgs[k++]!;
            if (match(alt.expect, got, "$", values) === undefined) continue;
            rewrite(
              alt,
              "<-",
              (marker) => jsonLines(marker, mergeObserved(alt.expect, got, true, values), width),
            );
          } else if (s.kind === "expect-set") {
            const got = msgs.slice(k, k + s.values.length);
            k += s.values.length;
            if (matchUnordered(s.values, got, "$", values) === undefined) continue;
            if (newAlt !== undefined) {
              throw new RecordError(
                `${t.file}:${s.line}: ${profile} sent a different set of messages here, and '<-*' takes no alternatives; edit it by hand`,
              );
            }
            edits.push({
              line: s.line,
              count: s.endLine - s.line + 1,
              lines: jsonLines("<-*", got.map((m) => maskObserved(m)), width),
            });
          }
        }
      } else {
        const perRelease = ex.expects.find((s) =>
          s.kind === "expect" && s.alternatives.some((a) => a.when !== undefined)
        );
        if (perRelease !== undefined || newAlt !== undefined) {
          throw new RecordError(
            `${t.file}:${
              (perRelease ?? ex.expects[0] ?? req)?.line ?? 1
            }: ${profile} sent ${msgs.length} message(s) where the transcript expects ${n}${
              perRelease !== undefined
                ? ", and this block has per-release alternatives"
                : ", and alternatives stand for one message each"
            }; edit it by hand`,
          );
        }
        const newLines: string[] = [];
        if (msgs.length === 0) newLines.push("<-none");
        // Reuse the old expectations' matchers position by position.
        const oldValues: QmpValue[] = [];
        for (const s of ex.expects) {
          if (s.kind === "expect") oldValues.push(s.alternatives[0]!.expect);
          else if (s.kind === "expect-set") oldValues.push(...s.values);
        }
        msgs.forEach((m, k) =>
          newLines.push(...jsonLines("<-", mergeObserved(oldValues[k], m, true, values), width))
        );
        if (ex.expects.length === 0) {
          edits.push({ line: (req?.endLine ?? 0) + 1, count: 0, lines: newLines });
        } else {
          const first = ex.expects[0]!.line;
          const last = ex.expects[ex.expects.length - 1]!.endLine;
          // Keep comment lines that sat between the old expectations.
          const comments = t.lines.slice(first - 1, last).filter((l) => l.startsWith("#"));
          edits.push({ line: first, count: last - first + 1, lines: [...comments, ...newLines] });
        }
      }
      if (closed) {
        await closedWarning(false);
        break;
      }
    }
    return finish();
  } finally {
    try {
      await instance.close();
    } catch {
      // already gone
    }
  }
}

/**
 * A readable description of the edits: `@@ line N @@` hunks with `-` and `+` lines.
 *
 * @example
 * ```ts
 * import { formatRecordDiff } from "@cxl-dcd/conformance/conformance";
 * const d = formatRecordDiff("x.qmp", ["<- 1"], [{ line: 1, count: 1, lines: ["<- 2"] }]);
 * if (!d.includes("-<- 1") || !d.includes("+<- 2")) throw new Error(d);
 * ```
 */
export function formatRecordDiff(
  file: string,
  oldLines: readonly string[],
  edits: readonly RecordEdit[],
): string {
  if (edits.length === 0) return "";
  const out = [`--- ${file}`, `+++ ${file} (recorded)`];
  for (const e of edits) {
    out.push(`@@ line ${e.line} @@`);
    for (const l of oldLines.slice(e.line - 1, e.line - 1 + e.count)) out.push(`-${l}`);
    for (const l of e.lines) out.push(`+${l}`);
  }
  return out.join("\n");
}
