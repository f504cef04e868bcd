/**
 * Failure classes: one target's failures (and expected failures) grouped by
 * cause, so that one crash hit by seventy fixtures reads as one line. A
 * death groups by how the target died and the last command sent; a
 * difference by the first differing path and the step's kind and command;
 * anything else by its message.
 *
 * @module
 */

import { describeExit } from "./fixture_run.ts";
import type { FailureClass, FixtureResult, StepFailure } from "./types.ts";

/** Where the last command went: the QMP monitor, the host's mailbox, or start-up. */
function channelOf(f: StepFailure): string {
  if (f.stepKind === "host") return "a host mailbox command";
  if (f.command === "start-up" || f.stepKind === "start-up" || f.stepKind === "startup-error") {
    return "start-up";
  }
  return "a QMP command";
}

/**
 * The class a failure belongs to, as a one-line key (two failures with the
 * same key are in the same class). A death is keyed by how the target died,
 * where its last command went (QMP, the host's mailbox, start-up) and the
 * last line it printed, so that one crash reached by several commands is one
 * class; the commands are listed in the class's description.
 *
 * @example
 * ```ts
 * import { failureClassOf } from "./failure_classes.ts";
 * const crash = { code: null, signal: "SIGSEGV", unexpected: true, stderrTail: "" };
 * const a = failureClassOf({ file: "a.qmp", line: 4, message: "x", command: "cxl-add-dynamic-capacity", crash });
 * const b = failureClassOf({ file: "b.qmp", line: 9, message: "y", command: "cxl-release-dynamic-capacity", crash });
 * if (a !== b || !a.includes("SIGSEGV")) throw new Error(a);
 * ```
 */
export function failureClassOf(f: StepFailure): string {
  if (f.crash !== undefined) {
    const how = describeExit(f.crash);
    const said = f.crash.stderrTail.trimEnd().split("\n").pop() ?? "";
    return `died (${how}) after ${channelOf(f)}${said === "" ? "" : `, last words: ${said}`}`;
  }
  if (f.path !== undefined) {
    const step = f.stepKind === "host"
      ? `host ${f.command}`
      : `${f.stepKind ?? "step"} after ${f.command ?? "(no command)"}`;
    return `differs at ${f.path} (${step})`;
  }
  // The message alone: numbers of lines and sizes vary between members of one cause.
  return f.message;
}

/**
 * Groups one target's failed and expected-failure results into classes,
 * largest first (then by description); members keep fixture order. A death
 * class names the commands its members died after, with counts.
 *
 * @example
 * ```ts
 * import { failureClasses } from "./failure_classes.ts";
 * const r = (fixture: string) => ({
 *   fixture, title: fixture, target: "t", profile: "p", outcome: "failed" as const, durationMs: 1,
 *   failure: { file: fixture, line: 1, message: "the machine did not start" },
 * });
 * const classes = failureClasses([r("a.qmp"), r("b.qmp")]);
 * if (classes.length !== 1 || classes[0]!.count !== 2) throw new Error();
 * ```
 */
export function failureClasses(results: readonly FixtureResult[]): FailureClass[] {
  const byKey = new Map<string, FailureClass & { commands: Map<string, number> }>();
  for (const r of results) {
    if (r.outcome !== "failed" && r.outcome !== "expected-failure") continue;
    if (r.failure === undefined) continue;
    const description = failureClassOf(r.failure);
    const key = `${r.outcome}\u0000${description}`;
    let c = byKey.get(key);
    if (c === undefined) {
      c = { outcome: r.outcome, description, count: 0, fixtures: [], commands: new Map() };
      byKey.set(key, c);
    }
    c.count++;
    c.fixtures.push(r.fixture);
    if (r.failure.crash !== undefined) {
      const command = r.failure.command ?? "(no command)";
      c.commands.set(command, (c.commands.get(command) ?? 0) + 1);
    }
  }
  return [...byKey.values()].map(({ commands, ...c }) => {
    if (commands.size === 0) return c;
    const list = [...commands].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([name, n]) => commands.size === 1 ? name : `${name} (${n})`).join(", ");
    return { ...c, description: `${c.description}: ${list}` };
  }).sort((a, b) =>
    (a.outcome === b.outcome ? 0 : a.outcome === "failed" ? -1 : 1) || b.count - a.count ||
    (a.description < b.description ? -1 : a.description > b.description ? 1 : 0)
  );
}
