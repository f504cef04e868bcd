/**
 * JUnit XML output: `<testsuites>` with one `<testsuite>` per target run and
 * one `<testcase>` per fixture; failures and unexpected passes as
 * `<failure>`, skips and expected failures as `<skipped>`; all text escaped.
 *
 * @module
 */

import type { FixtureResult, SuiteResult } from "../runner.ts";
import { formatFailureClass } from "./classes.ts";
import { formatFailure } from "./failure.ts";

/**
 * Escapes text for XML content and attribute values, dropping characters
 * XML 1.0 cannot carry.
 *
 * @example
 * ```ts
 * import { escapeXml } from "@cxl-dcd/conformance/conformance";
 * if (escapeXml(`<a b="c">&'`) !== "&lt;a b=&quot;c&quot;&gt;&amp;&apos;") throw new Error();
 * ```
 */
export function escapeXml(s: string): string {
  return s
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function testcase(r: FixtureResult): string {
  const dot = r.fixture.replace(/\.qmp$/, "").replaceAll("/", ".");
  const attrs = `name="${escapeXml(r.fixture)}" classname="${
    escapeXml(`${r.target}.${dot}`)
  }" time="${seconds(r.durationMs)}"`;
  switch (r.outcome) {
    case "passed":
      return `    <testcase ${attrs}/>`;
    case "skipped":
      return `    <testcase ${attrs}>\n      <skipped message="${
        escapeXml(r.reason ?? "")
      }"/>\n    </testcase>`;
    case "expected-failure":
      return `    <testcase ${attrs}>\n      <skipped message="${
        escapeXml(`expected failure: ${r.reason ?? ""}`)
      }">${escapeXml(formatFailure(r))}</skipped>\n    </testcase>`;
    case "unexpected-pass":
      return `    <testcase ${attrs}>\n      <failure message="${
        escapeXml(`unexpected pass: the expectations file lists it as failing (${r.reason ?? ""})`)
      }" type="unexpected-pass"/>\n    </testcase>`;
    case "failed":
      return `    <testcase ${attrs}>\n      <failure message="${
        escapeXml(r.failure?.message ?? "failed")
      }" type="${r.failure?.crash ? "crash" : "mismatch"}">${
        escapeXml(formatFailure(r))
      }</failure>\n    </testcase>`;
  }
}

/**
 * Formats a suite as JUnit XML.
 *
 * @example
 * ```ts
 * import { formatJunit } from "@cxl-dcd/conformance/conformance";
 * const xml = formatJunit({ ok: true, results: [], summaries: [] });
 * if (!xml.includes("<testsuites")) throw new Error(xml);
 * ```
 */
export function formatJunit(suite: SuiteResult): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total = suite.results.length;
  const failures =
    suite.results.filter((r) => r.outcome === "failed" || r.outcome === "unexpected-pass").length;
  const totalMs = suite.summaries.reduce((a, s) => a + s.durationMs, 0);
  out.push(
    `<testsuites name="cxl-dcd-conformance" tests="${total}" failures="${failures}" errors="0" time="${
      seconds(totalMs)
    }">`,
  );
  for (const s of suite.summaries) {
    const rs = suite.results.filter((r) => r.target === s.target);
    out.push(
      `  <testsuite name="${escapeXml(s.target)}" tests="${rs.length}" failures="${
        s.failed + s.unexpectedPasses
      }" errors="0" skipped="${s.skipped + s.expectedFailures}" time="${seconds(s.durationMs)}">`,
    );
    const props: [string, string | undefined][] = [
      ["profile", s.profile],
      ["version", s.version],
      ["profile-note", s.profileNote],
      ["binary", s.binary],
    ];
    if (s.stopped !== undefined) props.push(["stopped", s.stopped]);
    (s.failureClasses ?? []).forEach((c, k) => {
      props.push([`failure-class.${k + 1}`, formatFailureClass(c).trim()]);
    });
    const set = props.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== "");
    if (set.length > 0) {
      out.push("    <properties>");
      for (const [k, v] of set) {
        out.push(`      <property name="${k}" value="${escapeXml(v)}"/>`);
      }
      out.push("    </properties>");
    }
    for (const r of rs) out.push(testcase(r));
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return out.join("\n") + "\n";
}
