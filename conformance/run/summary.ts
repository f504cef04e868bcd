/**
 * Summaries of a target run: outcome counts, skip reasons, failure classes,
 * and the one-line banner that says what a target is.
 *
 * @module
 */

import type { TargetCapabilities } from "../target_types.ts";
import { failureClasses } from "./failure_classes.ts";
import type { FixtureResult, TargetInfo, TargetSummary } from "./types.ts";

/**
 * Summarises results of one target run; with the target's `capabilities`,
 * the summary also says its version, profile note and binary.
 */
export function summarise(
  target: string,
  results: readonly FixtureResult[],
  durationMs: number,
  capabilities?: TargetCapabilities,
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
  s.failureClasses = failureClasses(results);
  if (capabilities !== undefined) {
    s.version = formatVersion(capabilities.version);
    if (capabilities.profileNote !== undefined) s.profileNote = capabilities.profileNote;
    if (capabilities.binary !== undefined) s.binary = capabilities.binary;
  }
  return s;
}

/**
 * `11.1.3 (Debian 1:11.1.3+ds-2~bpo13+1)`, or `10.1.50` without a package string.
 *
 * @example
 * ```ts
 * import { formatVersion } from "./summary.ts";
 * if (formatVersion({ major: 10, minor: 1, micro: 50, package: "" }) !== "10.1.50") throw new Error();
 * ```
 */
export function formatVersion(v: TargetCapabilities["version"]): string {
  return `${v.major}.${v.minor}.${v.micro}${v.package === "" ? "" : ` (${v.package})`}`;
}

/**
 * One line that says what a target is: its reported version, the profile
 * that judges it (and why, when it is not an exact release-line match) and
 * its features.
 *
 * @example
 * ```ts
 * import { describeTarget } from "@cxl-dcd/conformance/conformance";
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
  const binary = c.binary === undefined ? "" : `${c.binary}, `;
  return `${info.label}: ${binary}QEMU ${formatVersion(c.version)}, ` +
    `profile ${c.profile} (release line ${c.release.major}.${c.release.minor}), ` +
    `features: ${[...c.features].sort().join(", ")}${note}`;
}
