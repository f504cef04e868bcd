/**
 * A finding as a ready fixture in the catalogue's notation
 * (fixtures/FORMAT.md): `->` / `<-` for QMP, `=>` / `<=` for host steps,
 * with target A's answers as the expectation and B's answer to the last
 * step as a comment, so a divergence becomes a regression fixture in one
 * step.
 *
 * @module
 */

import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import { decodeHostReply } from "../host/codec.ts";
import { jsonLines, maskObserved } from "../record.ts";
import type { Trace } from "./execute.ts";
import type { Answer, DiffStep } from "./program.ts";
import { returnCodeName } from "../host/return_codes.ts";

/** What the fixture's header says. */
export interface FixtureHeader {
  /** Title (one line). */
  title: string;
  /** Description (wrapped over header lines). */
  description: string;
  /** Machine preset name. */
  machine: string;
  /** Tags. */
  tags: readonly string[];
}

const WIDTH = 100;

/** A step line and its JSON in the catalogue's layout, as `record` writes them. */
const lines = (prefix: string, value: QmpValue): string[] => jsonLines(prefix, value, WIDTH);

function wrap(text: string, first: string, next: string): string[] {
  const out: string[] = [];
  let line = first;
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line.length + word.length + 1 > WIDTH && line !== first && line !== next) {
      out.push(line);
      line = next;
    }
    line += (line === first || line === next ? "" : " ") + word;
  }
  out.push(line);
  return out;
}

function requestLines(step: DiffStep): string[] {
  return step.kind === "qmp"
    ? lines("->", { execute: step.execute, arguments: step.arguments })
    : lines(`=> ${step.device} ${step.command}`, step.input);
}

function maskRecordTimes(output: QmpObject): QmpObject {
  const out: QmpObject = { ...output };
  for (const k of ["first-overflow-timestamp", "last-overflow-timestamp"]) {
    if (k in out) out[k] = "$number";
  }
  const records = out["records"];
  if (Array.isArray(records)) {
    out["records"] = records.map((r) =>
      r !== null && typeof r === "object" && !Array.isArray(r) && "timestamp" in r
        ? { ...r, timestamp: "$number" }
        : r
    );
  }
  return out;
}

/** The expectation lines of an answer (`<-` per message, or `<= RC {...}`). */
export function answerLines(
  step: DiffStep,
  answer: Answer,
  masked: boolean,
  marker = "",
): string[] {
  if (answer.kind === "qmp") {
    return answer.messages.flatMap((m) => lines(`${marker}<-`, maskObserved(m)));
  }
  if (answer.kind === "host" && step.kind === "host") {
    const d = decodeHostReply(step.command, answer);
    let output = maskObserved(d.output) as QmpObject;
    if (masked && step.command === "get-event-records") output = maskRecordTimes(output);
    return lines(`${marker}<= ${returnCodeName(answer.rc)}`, output);
  }
  if (answer.kind === "lost") return [`${marker}(lost: ${answer.how}: ${answer.message})`];
  return [];
}

/**
 * The fixture text of a trace: every step with A's answer; B's answer to
 * the last step follows as a comment.
 *
 * @example
 * ```ts
 * import { fixtureText } from "./fixture.ts";
 * const text = fixtureText({
 *   steps: [{ kind: "host", device: "cxl-vmem0", command: "get-dc-config", input: {} }],
 *   answersA: [{ kind: "host", rc: 2, payload: new Uint8Array(0) }],
 *   answersB: [{ kind: "host", rc: 0, payload: new Uint8Array(0) }],
 *   masked: [false],
 *   outcome: { kind: "divergence", index: 0, divergence: { signature: "x", fields: [] } },
 * }, { title: "t", description: "d", machine: "dcd-1x2g", tags: ["diff"] }, "B");
 * if (!text.includes("<= INVALID_INPUT {}")) throw new Error(text);
 * ```
 */
export function fixtureText(trace: Trace, header: FixtureHeader, labelB: string): string {
  const out: string[] = [`# title: ${header.title}`];
  out.push(...wrap(header.description, "# description: ", "#   "));
  out.push(`# machine: ${header.machine}`);
  const host = trace.steps.some((s) => s.kind === "host");
  out.push(`# requires: dcd${host ? ", host" : ""}`);
  out.push(`# tags: ${header.tags.join(", ")}`);
  out.push("");
  trace.steps.forEach((step, i) => {
    out.push(...requestLines(step));
    const last = i === trace.steps.length - 1;
    const a = trace.answersA[i]!;
    if (a.kind !== "lost") out.push(...answerLines(step, a, trace.masked[i] ?? false));
    if (last && trace.outcome.kind !== "same") {
      out.push(`# ${labelB} answered instead:`);
      out.push(
        ...answerLines(step, trace.answersB[i]!, trace.masked[i] ?? false).map((l) => `#   ${l}`),
      );
    }
  });
  return out.join("\n") + "\n";
}
