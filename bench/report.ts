/**
 * Renders a {@linkcode BenchResult} as the Markdown of bench/RESULTS.md.
 *
 * @module
 */

import type { BenchResult } from "./driver.ts";
import type { SampleStats } from "./stats.ts";
import type { SuiteRow } from "./suite.ts";

const f = (x: number, d = 2) => x.toFixed(d);
const ms = (x: number) => (x < 10 ? f(x, 3) : f(x, 1));
const load = (x: number | null) => (x === null ? "unknown" : x.toFixed(2));
const mark = (met: boolean | null) => (met === null ? "–" : met ? "met" : "**missed**");
const stat = (
  s: SampleStats | null,
  key: "median" | "p99",
) => (s === null ? "QEMU not found" : ms(s[key]));

/** The command that reproduces a full run. */
export const REPRODUCE = "deno run --allow-all --v8-flags=--expose-gc bench/main.ts";

/**
 * Renders the result as Markdown: machine, goals, then one table per part.
 *
 * @example
 * ```ts ignore
 * import { renderMarkdown } from "./report.ts";
 * import { runBench } from "./driver.ts";
 * console.log(renderMarkdown(await runBench({ quick: true })));
 * ```
 */
export function renderMarkdown(r: BenchResult): string {
  const s = r.system;
  const out: string[] = [];
  out.push("# Benchmark results", "");
  if (r.quick) {
    out.push("> **--quick smoke run**: small sizes and few iterations; not representative.", "");
  }
  out.push(
    `Run ${s.date}, ${f(r.totalMs / 1000, 1)} s. Reproduce: \`${REPRODUCE}\` ` +
      "(or `deno task bench`; `--quick` for a smoke run, `--help` for options). " +
      "Raw numbers: `bench/results/latest.json`.",
    "",
    "## Machine",
    "",
    "| | |",
    "|---|---|",
    `| CPUs (nproc) | ${s.nproc} |`,
    `| CPU model | ${s.cpuModel} |`,
    `| Memory | ${f(s.memoryBytes / 2 ** 30, 1)} GiB |`,
    `| OS | ${s.os} |`,
    `| Deno | ${s.deno} |`,
    `| QEMU | ${s.qemu} (\`${s.qemuBinary}\`) |`,
    `| Load (1 min) at start, end | ${load(s.loadStart)}, ${load(s.loadEnd)} |`,
    "",
    "## Goals",
    "",
    "| Goal | Measured | Result | What limits it |",
    "|---|---|---|---|",
  );
  for (const g of r.goals) out.push(`| ${g.goal} | ${g.measured} | ${mark(g.met)} | ${g.note} |`);
  out.push(
    "",
    "## Model scale (in process, seed profile, extent limit raised with `withDcd`)",
    "",
    "Per size, on a fresh machine: N QMP adds of one 2 MiB extent (all pending at once), N host",
    "accepts (0x4802, front group), N QMP release requests, N host releases (0x4803), through",
    "`machine.execute` and `machine.mailboxSync` (mailbox payloads are built before the clock",
    "starts; QMP argument objects inside it). Times per operation are medians over the runs.",
    "Growth per tenfold: cycle cost ratio normalised to one decade (1.00 = constant cost per",
    "operation, i.e. linear total; 10 would be quadratic).",
    "",
    "| Extents | Runs | QMP add µs | accept µs | QMP release µs | host release µs | cycle µs | total ms | growth / 10x |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const x of r.modelScale.rows) {
    out.push(
      `| ${x.extents.toLocaleString("en-US")} | ${x.runs} | ${f(x.qmpAddUs)} | ${f(x.acceptUs)} | ${
        f(x.qmpReleaseUs)
      } | ${f(x.hostReleaseUs)} | ${f(x.cycleUs)} | ${ms(x.totalMs)} | ${
        x.growthPerTenfold === null ? "" : f(x.growthPerTenfold)
      } |`,
    );
  }
  const g = r.modelScale.overallGrowthPerTenfold;
  if (g !== null) out.push("", `Overall growth per tenfold, first to last size: ${f(g)}.`);
  out.push(
    "",
    "## Memory flatness",
    "",
    `Heap growth per machine (\`Deno.memoryUsage().heapUsed\`, machines kept alive, ${
      r.memory.gcExposed ? "full GC before each reading" : "no --expose-gc: garbage included"
    }).`,
    "",
    "| Machine | Machines | Heap per machine (KiB) |",
    "|---|---:|---:|",
  );
  for (const m of r.memory.rows) {
    out.push(`| ${m.label} | ${m.machines} | ${f(m.bytesPerMachine / 1024, 1)} |`);
  }
  out.push(
    "",
    `Worst 1 TiB / 1 GiB ratio: ${f(r.memory.worstRatio, 3)}.`,
    "",
    "## Served model vs real QEMU (same client, same machine arguments, one run)",
    "",
    "The served model is `deno run --allow-all qmp/serve.ts --profile qemu-10.0 -- ARGS` as a",
    "subprocess; QEMU is the installed binary with the same ARGS (dcd-1x2g topology, `-S`,",
    "`-display none -nodefaults`, one unix QMP socket). Both are driven by the project's",
    "`QmpClient`, one request at a time. Start-up: spawn to greeting read and `qmp_capabilities`",
    "answered. `qmp/serve.ts` loads its modules from its bundle cache (one file, used while none",
    "of them changed; the first round refreshes it when stale); the `--from-source` row loads the",
    "module graph, as the first start after a change does, and is shown, not a goal. The three",
    "start in turn, one of each per round (interleaved, so that load from outside falls on all",
    "three alike); the first round is not counted.",
    "Latency workloads are steady state: an add of",
    "[0, 2 MiB) while the same range is pending (refused: still pending) and a release of it",
    "(refused: pending range) repeat with no state change. Times in ms.",
    "",
    "| Row | model median | model p99 | QEMU median | QEMU p99 | ratio median | ratio p99 |",
    "|---|---:|---:|---:|---:|---:|---:|",
  );
  for (const w of r.wire.rows) {
    out.push(
      `| ${w.name} (n=${w.model.n}) | ${ms(w.model.median)} | ${ms(w.model.p99)} | ${
        stat(w.qemu, "median")
      } | ${stat(w.qemu, "p99")} | ${w.ratioMedian === null ? "–" : f(w.ratioMedian)} | ${
        w.ratioP99 === null ? "–" : f(w.ratioP99)
      } |`,
    );
  }
  const ip = r.wire.inProcess;
  out.push(
    "",
    `Baselines, spawn to exit: \`deno run\` of an empty module ${
      ms(r.wire.denoStartup.median)
    } ms median (p99 ${
      ms(r.wire.denoStartup.p99)
    } ms); \`deno run qmp/serve.ts --from-source --help\` ` +
      `(runtime + the served model's module graph, no machine) ${
        ms(r.wire.serveLoadStartup.median)
      } ms median. ` +
      `The same workloads in process (\`machine.execute\`, no wire): query-version ${
        f(ip.queryVersionUs)
      } µs, refused add ${f(ip.addRefusedUs)} µs, refused release ${f(ip.releaseRefusedUs)} µs.`,
    "",
    "## QEMU bring-up: firmware-free against SeaBIOS (same machine, one run)",
    "",
    "The dcd-1x2g machine launched by the QEMU target's launcher, alternately with firmware-free",
    "bring-up (`-S` and a halt-loop firmware; ECAM, bus numbers, BARs and memory decoding",
    "programmed over qtest, then `cont`) and with SeaBIOS doing it; spawn to the type-3 mailbox",
    "located. First launch of each not counted. Times in ms.",
    "",
  );
  if (r.bringup.rows.length === 0) out.push("QEMU not found.");
  else {
    out.push(
      "| Bring-up | n | median | p99 | min | max | qtest round trips |",
      "|---|---:|---:|---:|---:|---:|---:|",
    );
    for (const x of r.bringup.rows) {
      const s = x.ready;
      out.push(
        `| ${x.bringup} | ${s.n} | ${ms(s.median)} | ${ms(s.p99)} | ${ms(s.min)} | ${
          ms(s.max)
        } | ${x.qtestRoundTrips} |`,
      );
    }
    out.push(
      "",
      `direct / firmware: ${f(r.bringup.ratioMedian ?? 0)} at the median, ${
        f(r.bringup.ratioP99 ?? 0)
      } at p99.`,
    );
  }
  out.push(
    "",
    "## Suite throughput",
    "",
    "The fixture catalogue through the runner's API (`runSuite`), with the expectations files the",
    "CLI uses. Runner overhead (QEMU, 1 worker): wall time minus the time spent inside the target",
    "(start-up including device discovery, close, capability lookup, replies awaited, `<-none`",
    "quiet windows, sends, qtest mailbox calls), measured by a timing wrapper around the target.",
    "",
    "QEMU machines: `isolated` starts one per fixture (`conform --isolate`), `shared` (the default)",
    "lets the fixtures that leave their machine as they found it share one per worker.",
    "",
    "| Target | Workers | Machines | Fixtures run | Passed | Failed | Expected failures | Skipped | Wall ms | ms / fixture |",
    "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const x of r.suite) {
    const machines = x.machines === undefined
      ? ""
      : x.started === undefined
      ? x.machines
      : `${x.machines}: ${x.started.machines} started, ${x.started.reused} reused`;
    out.push(
      `| ${x.target} | ${x.jobs} | ${machines} | ${x.ran} | ${x.passed} | ${x.failed} | ${x.expectedFailures} | ${x.skipped} | ${
        f(x.wallMs, 0)
      } | ${ms(x.msPerFixture)} |`,
    );
  }
  const timed = r.suite.filter((x) => x.breakdown !== undefined);
  if (timed.length > 0) {
    const col = (pick: (b: NonNullable<SuiteRow["breakdown"]>) => string) =>
      timed.map((x) => pick(x.breakdown!)).join(" | ");
    out.push(
      "",
      `| QEMU, 1 worker: where the time went (ms) | ${timed.map((x) => x.target).join(" | ")} |`,
      `|---|${timed.map(() => "---:").join("|")}|`,
      `| start-up (launches, to devices enabled) | ${
        col((b) => `${f(b.startMs, 0)} (${b.starts})`)
      } |`,
      `| close | ${col((b) => f(b.closeMs, 0))} |`,
      `| replies awaited | ${col((b) => f(b.answeredMs, 0))} |`,
      `| \`<-none\` quiet windows | ${col((b) => f(b.quietMs, 0))} |`,
      `| qtest mailbox calls | ${col((b) => f(b.hostMs, 0))} |`,
      `| sends + capability lookups | ${col((b) => f(b.sendMs + b.capabilitiesMs, 1))} |`,
      `| **runner overhead** | ${
        col((b) => `**${f(b.runnerMs, 1)}** (${f(b.runnerBeyondTarget * 100)}%)`)
      } |`,
    );
  } else if (!r.qemuAvailable) {
    out.push("", "QEMU rows: QEMU not found.");
  }
  out.push("");
  return out.join("\n");
}

/** Where the README's benchmark table starts and ends ({@linkcode updateReadme}). */
export const README_MARKERS = {
  begin: "<!-- bench:begin (deno task bench writes this table) -->",
  end: "<!-- bench:end -->",
} as const;

/**
 * The README's benchmark summary: the machine and every goal with its
 * measured value, as in RESULTS.md.
 *
 * @example
 * ```ts ignore
 * import { renderReadmeTable } from "./report.ts";
 * import { runBench } from "./driver.ts";
 * console.log(renderReadmeTable(await runBench({ quick: true })));
 * ```
 */
export function renderReadmeTable(r: BenchResult): string {
  const s = r.system;
  const out = [
    `Latest run (${s.date.slice(0, 10)}, ${s.nproc} CPUs ${s.cpuModel}, ${
      f(s.memoryBytes / 2 ** 30, 1)
    } GiB, ${s.deno.split(" (")[0]}, ${s.qemu.replace(/^QEMU emulator version /, "QEMU ")}; load ${
      load(s.loadStart)
    } at the start, ${load(s.loadEnd)} at the end):`,
    "",
    "| goal | measured | |",
    "|---|---|---|",
  ];
  for (const g of r.goals) out.push(`| ${g.goal} | ${g.measured} | ${mark(g.met)} |`);
  return out.join("\n");
}

/**
 * The README text with the part between {@linkcode README_MARKERS}
 * replaced by `table`.
 *
 * @throws {Error} when the markers are missing or out of order.
 */
export function updateReadme(readme: string, table: string): string {
  const begin = readme.indexOf(README_MARKERS.begin);
  const end = readme.indexOf(README_MARKERS.end);
  if (begin < 0 || end < begin) {
    throw new Error(
      `README has no benchmark section: expected the lines '${README_MARKERS.begin}' and ` +
        `'${README_MARKERS.end}' around it`,
    );
  }
  return readme.slice(0, begin + README_MARKERS.begin.length) + "\n" + table + "\n" +
    readme.slice(end);
}
