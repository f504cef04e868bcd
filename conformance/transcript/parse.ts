/**
 * Parses transcripts (`*.qmp`) exactly as fixtures/FORMAT.md specifies.
 * Every error names the file and line and says what was expected.
 *
 * @module
 */

import type { QmpObject } from "../../model/qmp_value.ts";
import { parseReturnCode } from "../host/return_codes.ts";
import { FEATURES } from "../features.ts";
import { JsonSyntaxError, readJson, stringifyJson } from "./json.ts";
import {
  parseSelector,
  type Selector,
  type SelectorContext,
  SelectorError,
  selectorMatches,
} from "./selector.ts";
import type {
  Alternative,
  ExpectStep,
  HostExpectation,
  HostStep,
  MachineSpec,
  Step,
  Transcript,
  TranscriptHeader,
} from "./types.ts";

/** A malformed transcript; the message starts with `FILE:LINE:`. */
export class TranscriptError extends Error {
  /** File name as given to the parser. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /**
   * Creates the error; the message is prefixed with `FILE:LINE: `.
   *
   * @param file file name
   * @param line 1-based line
   * @param message what was wrong and what was expected
   */
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = "TranscriptError";
    this.file = file;
    this.line = line;
  }
}

/** The machine preset used when a transcript has no `machine` header. */
export const DEFAULT_MACHINE = "dcd-1x2g";
/** The per-step timeout used when a transcript has no `timeout` header. */
export const DEFAULT_STEP_TIMEOUT_MS = 5000;

const HEADER_KEYS = [
  "title",
  "description",
  "machine",
  "requires",
  "tags",
  "negotiate",
  "timeout",
  "endpoint",
] as const;
type HeaderKey = typeof HEADER_KEYS[number];

const HEADER_RE = /^#\s*([A-Za-z][A-Za-z0-9_-]*):(.*)$/;
const CONTINUATION_RE = /^#  +\S/;

function splitList(v: string): string[] {
  return v.split(/[\s,]+/).filter((s) => s.length > 0);
}

/**
 * Unescapes `->raw` and `!startup-error` text: `\n` and `\\` are the only escapes.
 *
 * @example
 * ```ts
 * import { unescapeText } from "@cxl-dcd/conformance/conformance";
 * if (unescapeText("a\\nb\\\\") !== "a\nb\\") throw new Error();
 * ```
 *
 * @throws {SyntaxError} on any other backslash sequence.
 */
export function unescapeText(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = text[i + 1];
    if (e === "n") out += "\n";
    else if (e === "\\") out += "\\";
    else {
      throw new SyntaxError(
        `unknown escape '\\${e ?? ""}': expected '\\n' or '\\\\' (the only escapes)`,
      );
    }
    i++;
  }
  return out;
}

/**
 * Escapes text for `->raw` and `!startup-error` (inverse of {@linkcode unescapeText}).
 *
 * @example
 * ```ts
 * import { escapeText } from "@cxl-dcd/conformance/conformance";
 * if (escapeText("a\nb\\") !== "a\\nb\\\\") throw new Error();
 * ```
 */
export function escapeText(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

interface Marker {
  /** The marker word, e.g. `<-`. */
  word: "->" | "->raw" | "<-" | "<-*" | "<-none" | "=>" | "<=" | "!startup-error";
  /** The selector text in brackets, for `<-[..]` and `<=[..]`. */
  selector: string | undefined;
  /** Offset in the line where the rest starts. */
  restAt: number;
}

const MARKER_RE = /^(->raw|->|<-none|<-\*|<-|=>|<=|!startup-error)(\[[^\]]*\])?(?=\s|$)/;

function matchMarker(line: string): Marker | undefined {
  const m = MARKER_RE.exec(line);
  if (m === null) return undefined;
  const word = m[1] as Marker["word"];
  const selector = m[2] === undefined ? undefined : m[2].slice(1, -1);
  return { word, selector, restAt: m[0].length };
}

/**
 * Parses a transcript.
 *
 * @param text the file's contents
 * @param file the file name used in error messages
 *
 * @example
 * ```ts
 * import { parseTranscript } from "@cxl-dcd/conformance/conformance";
 * const t = parseTranscript('# title: status\n-> {"execute": "query-status"}\n<- {"return": "$any"}\n', "x.qmp");
 * if (t.steps.length !== 2) throw new Error("expected two steps");
 * ```
 *
 * @throws {TranscriptError} naming file and line when the transcript is malformed.
 */
export function parseTranscript(text: string, file: string): Transcript {
  const lines = text.split("\n").map((l) => l.endsWith("\r") ? l.slice(0, -1) : l);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  // Offsets of line starts in `joined` (lines joined with "\n").
  const joined = lines.join("\n");
  const lineStart: number[] = [];
  {
    let off = 0;
    for (const l of lines) {
      lineStart.push(off);
      off += l.length + 1;
    }
  }
  const fail = (line: number, message: string): never => {
    throw new TranscriptError(file, line, message);
  };
  const lineOf = (offset: number): number => {
    let lo = 0, hi = lineStart.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStart[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };

  // ---- header
  const values = new Map<HeaderKey, { value: string; line: number }>();
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    const m = HEADER_RE.exec(l);
    if (m === null) break;
    const key = m[1]!;
    if (key === "profiles") {
      fail(
        i + 1,
        "the 'profiles' header is gone: a fixture applies to every release; say what it needs with '# requires:' (e.g. 'dcd, host' or '!memory-backend-tagged') and where releases differ, write per-release alternatives ('<-[>=10.1] ...'; see fixtures/FORMAT.md)",
      );
    }
    if (!(HEADER_KEYS as readonly string[]).includes(key)) {
      fail(
        i + 1,
        `unknown header key '${key}': expected one of ${HEADER_KEYS.join(", ")}`,
      );
    }
    if (values.has(key as HeaderKey)) fail(i + 1, `header key '${key}' given twice`);
    let value = m[2]!.trim();
    const at = i + 1;
    i++;
    while (i < lines.length && CONTINUATION_RE.test(lines[i]!)) {
      value += " " + lines[i]!.slice(1).trim();
      i++;
    }
    values.set(key as HeaderKey, { value, line: at });
  }
  const title = values.get("title");
  if (title === undefined || title.value === "") {
    fail(1, "missing header '# title: ...': expected the title on a '# title:' line at the top");
  }
  let machine: MachineSpec = { kind: "preset", name: DEFAULT_MACHINE };
  const mv = values.get("machine");
  if (mv !== undefined) {
    if (mv.value.startsWith("-")) machine = { kind: "inline", args: splitArgs(mv.value) };
    else if (/^[A-Za-z0-9._-]+$/.test(mv.value)) machine = { kind: "preset", name: mv.value };
    else {
      fail(
        mv.line,
        `machine '${mv.value}': expected a preset name (fixtures/machines/NAME.args) or QEMU arguments starting with '-'`,
      );
    }
  }
  let negotiate = true;
  const nv = values.get("negotiate");
  if (nv !== undefined) {
    if (nv.value === "yes") negotiate = true;
    else if (nv.value === "no") negotiate = false;
    else fail(nv.line, `negotiate '${nv.value}': expected 'yes' or 'no'`);
  }
  let timeoutMs = DEFAULT_STEP_TIMEOUT_MS;
  const tv = values.get("timeout");
  if (tv !== undefined) {
    if (!/^[1-9][0-9]*$/.test(tv.value)) {
      fail(tv.line, `timeout '${tv.value}': expected a positive integer (milliseconds)`);
    }
    timeoutMs = Number(tv.value);
  }
  const ev = values.get("endpoint");
  if (ev !== undefined && ev.value !== "ends" && ev.value !== "changes") {
    fail(
      ev.line,
      `endpoint '${ev.value}': expected 'ends' (the fixture ends its machine) or 'changes' (it leaves state later fixtures would see)`,
    );
  }
  const requires = splitList(values.get("requires")?.value ?? "");
  for (const r of requires) {
    const name = r.startsWith("!") ? r.slice(1) : r;
    if (!(name in FEATURES)) {
      fail(
        values.get("requires")!.line,
        `unknown feature '${name}' in requires: expected one of ${
          Object.keys(FEATURES).join(", ")
        } (prefix '!' for a feature the target must lack)`,
      );
    }
  }
  const header: TranscriptHeader = {
    title: title!.value,
    description: values.get("description")?.value ?? "",
    machine,
    requires,
    tags: splitList(values.get("tags")?.value ?? ""),
    negotiate,
    timeoutMs,
    ...(ev === undefined ? {} : { endpoint: ev.value as "ends" | "changes" }),
  };

  // ---- steps
  const steps: Step[] = [];
  /** The open expect / host step that profile alternatives may extend. */
  let openExpect: ExpectStep | undefined;
  let openHost: HostStep | undefined;

  const readJsonAt = (lineIdx: number, col: number, what: string) => {
    const start = lineStart[lineIdx]! + col;
    let r;
    try {
      r = readJson(joined, start);
    } catch (e) {
      if (e instanceof JsonSyntaxError) {
        if (e.incomplete) {
          fail(lineIdx + 1, `${what}: unterminated JSON (the file ended before it was complete)`);
        }
        fail(lineOf(e.offset), `${what}: ${e.message}`);
      }
      throw e;
    }
    const endLineIdx = lineOf(Math.max(start, r.end - 1)) - 1;
    const after = joined.slice(r.end, lineStart[endLineIdx]! + lines[endLineIdx]!.length);
    return { value: r.value, endLineIdx, after };
  };

  while (i < lines.length) {
    const l = lines[i]!;
    const lineNo = i + 1;
    if (l.trim() === "" || l.startsWith("#")) {
      i++;
      continue;
    }
    const mk = matchMarker(l);
    if (mk === undefined) {
      fail(
        lineNo,
        `unexpected text ${
          JSON.stringify(l.slice(0, 40))
        }: expected a step marker (->, ->raw, <-, <-[selector], <-*, <-none, =>, <=, !startup-error), a '#' comment or a blank line`,
      );
    }
    const rest = l.slice(mk!.restAt);
    const word = mk!.word;
    if (mk!.selector !== undefined && word !== "<-" && word !== "<=") {
      fail(lineNo, `'${word}' takes no [selector]: expected one only on '<-' and '<='`);
    }
    let when: Selector | undefined;
    if (mk!.selector !== undefined) {
      try {
        when = parseSelector(mk!.selector, FEATURE_NAMES);
      } catch (e) {
        if (e instanceof SelectorError) fail(lineNo, e.message);
        throw e;
      }
    }
    const jsonAfterMarker = (what: string) => {
      if (rest.trim() === "") fail(lineNo, `${what}: expected JSON after '${word}'`);
      const r = readJsonAt(i, mk!.restAt, what);
      if (r.after.trim() !== "") {
        fail(
          r.endLineIdx + 1,
          `${what}: unexpected text ${
            JSON.stringify(r.after.trim().slice(0, 30))
          } after the JSON value: expected the end of the line`,
        );
      }
      return r;
    };
    if (word !== "<-") openExpect = undefined;
    if (word !== "<=") openHost = word === "=>" ? openHost : undefined;
    switch (word) {
      case "->": {
        const r = jsonAfterMarker("request");
        steps.push({
          kind: "send",
          line: lineNo,
          endLine: r.endLineIdx + 1,
          value: r.value,
          text: stringifyJson(r.value),
        });
        i = r.endLineIdx + 1;
        break;
      }
      case "->raw": {
        let t: string;
        try {
          t = unescapeText(rest.startsWith(" ") ? rest.slice(1) : rest);
        } catch (e) {
          fail(lineNo, (e as Error).message);
        }
        steps.push({ kind: "send-raw", line: lineNo, endLine: lineNo, text: t! });
        i++;
        break;
      }
      case "<-": {
        const r = jsonAfterMarker("expected message");
        const alt: Alternative<typeof r.value> = {
          when,
          line: lineNo,
          endLine: r.endLineIdx + 1,
          expect: r.value,
        };
        const open = openExpect;
        if (open !== undefined && open.alternatives.at(-1)!.when !== undefined) {
          addAlternative(open.alternatives, alt, fail);
          open.endLine = alt.endLine;
        } else {
          const step: ExpectStep = {
            kind: "expect",
            line: lineNo,
            endLine: alt.endLine,
            alternatives: [alt],
          };
          steps.push(step);
          openExpect = step;
        }
        if (when === undefined) openExpect = undefined;
        i = r.endLineIdx + 1;
        break;
      }
      case "<-*": {
        const r = jsonAfterMarker("expected set of messages");
        if (!Array.isArray(r.value)) {
          fail(lineNo, "'<-*' takes a JSON array of messages: expected '<-* [ {...}, ... ]'");
        }
        steps.push({
          kind: "expect-set",
          line: lineNo,
          endLine: r.endLineIdx + 1,
          values: r.value as never,
        });
        i = r.endLineIdx + 1;
        break;
      }
      case "<-none": {
        if (rest.trim() !== "") {
          fail(lineNo, `unexpected text after '<-none': expected the end of the line`);
        }
        steps.push({ kind: "expect-none", line: lineNo, endLine: lineNo });
        i++;
        break;
      }
      case "=>": {
        const m = /^\s+(\S+)\s+(\S+)\s*/.exec(rest);
        if (m === null || m[2]!.startsWith("{")) {
          fail(lineNo, "host step: expected '=> DEVICE COMMAND {fields}'");
        }
        let input: QmpObject = {};
        let endLineIdx = i;
        if (rest.slice(m![0].length).trim() !== "") {
          const r = readJsonAt(i, mk!.restAt + m![0].length, "host command input");
          if (r.value === null || typeof r.value !== "object" || Array.isArray(r.value)) {
            fail(lineNo, "host command input: expected a JSON object of fields ({} when none)");
          }
          if (r.after.trim() !== "") {
            fail(
              r.endLineIdx + 1,
              "host command input: expected the end of the line after the JSON",
            );
          }
          input = r.value as QmpObject;
          endLineIdx = r.endLineIdx;
        }
        const step: HostStep = {
          kind: "host",
          line: lineNo,
          endLine: endLineIdx + 1,
          device: m![1]!,
          command: m![2]!,
          input,
          alternatives: [],
        };
        steps.push(step);
        openHost = step;
        i = endLineIdx + 1;
        break;
      }
      case "<=": {
        const host = openHost;
        if (host === undefined) {
          fail(
            lineNo,
            "'<=' without a host step: expected it right after '=> DEVICE COMMAND {...}'",
          );
        }
        const last = host!.alternatives.at(-1);
        if (last !== undefined && last.when === undefined) {
          fail(
            lineNo,
            "a second '<=' for one host step: expected '<=[selector]' alternatives before one bare '<='",
          );
        }
        const m = /^\s+(\S+)\s*/.exec(rest);
        if (m === null) {
          fail(
            lineNo,
            "host expectation: expected '<= RC {output}' (RC a name such as SUCCESS or hex 0x0f)",
          );
        }
        let rc: number;
        try {
          rc = parseReturnCode(m![1]!);
        } catch (e) {
          fail(lineNo, (e as Error).message);
        }
        let output: HostExpectation["output"];
        let endLineIdx = i;
        if (rest.slice(m![0].length).trim() !== "") {
          const r = readJsonAt(i, mk!.restAt + m![0].length, "host command output");
          if (r.after.trim() !== "") {
            fail(
              r.endLineIdx + 1,
              "host command output: expected the end of the line after the JSON",
            );
          }
          output = r.value;
          endLineIdx = r.endLineIdx;
        }
        const alt: Alternative<HostExpectation> = {
          when,
          line: lineNo,
          endLine: endLineIdx + 1,
          expect: { rc: rc!, rcText: m![1]!, output },
        };
        addAlternative(host!.alternatives, alt, fail);
        host!.endLine = alt.endLine;
        i = endLineIdx + 1;
        break;
      }
      case "!startup-error": {
        let t: string;
        try {
          t = unescapeText(rest.startsWith(" ") ? rest.slice(1) : rest);
        } catch (e) {
          fail(lineNo, (e as Error).message);
        }
        if (t!.trim() === "") fail(lineNo, "'!startup-error': expected QEMU's start-up message");
        steps.push({ kind: "startup-error", line: lineNo, endLine: lineNo, text: t! });
        i++;
        break;
      }
    }
  }
  const se = steps.find((s) => s.kind === "startup-error");
  if (se !== undefined && steps.length > 1) {
    const other = steps.find((s) => s !== se)!;
    fail(other.line, "'!startup-error' must be the only step: expected no other step in this file");
  }
  if (steps.length === 0) fail(Math.max(1, lines.length), "no steps: expected at least one step");
  return { file, header, steps, lines };
}

function addAlternative<T>(
  alts: Alternative<T>[],
  alt: Alternative<T>,
  fail: (line: number, message: string) => never,
): void {
  if (alt.when !== undefined) {
    const text = alt.when.text;
    if (alts.some((a) => a.when?.text === text)) {
      fail(
        alt.line,
        `selector [${text}] already has an alternative for this position: expected each selector once (separate positions with a bare '<-' line)`,
      );
    }
  }
  alts.push(alt);
}

/**
 * Splits an inline machine description (`-machine q35 -m 2G`) into arguments
 * at white space.
 *
 * @example
 * ```ts
 * import { splitArgs } from "@cxl-dcd/conformance/conformance";
 * if (splitArgs("-m  2G").length !== 2) throw new Error();
 * ```
 */
export function splitArgs(text: string): string[] {
  return text.split(/\s+/).filter((s) => s.length > 0);
}

/**
 * The alternative that applies to a target: the first whose selector
 * matches, else the default (bare marker), else none (nothing is expected at
 * that position).
 *
 * @example
 * ```ts
 * import { alternativeFor } from "@cxl-dcd/conformance/conformance";
 * import { parseSelector } from "@cxl-dcd/conformance/conformance";
 * const alts = [
 *   { when: parseSelector(">=10.1", new Set()), line: 1, endLine: 1, expect: 1 },
 *   { when: undefined, line: 2, endLine: 2, expect: 2 },
 * ];
 * const ctx = { release: { major: 10, minor: 0 }, features: new Set<string>() };
 * if (alternativeFor(alts, ctx)?.expect !== 2) throw new Error("10.0 takes the default");
 * ```
 */
export function alternativeFor<T>(
  alternatives: readonly Alternative<T>[],
  ctx: SelectorContext,
): Alternative<T> | undefined {
  return alternatives.find((a) => a.when !== undefined && selectorMatches(a.when, ctx)) ??
    alternatives.find((a) => a.when === undefined);
}

/** Feature names a selector or `requires` may use. */
export const FEATURE_NAMES: ReadonlySet<string> = new Set(Object.keys(FEATURES));
