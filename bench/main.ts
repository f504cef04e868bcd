/**
 * `deno task bench`: measures the model and the conformance tool against the
 * real QEMU, side by side, and writes bench/results/latest.json and
 * bench/RESULTS.md. Progress goes to stderr.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type BenchResult, runBench } from "./driver.ts";
import { renderMarkdown, renderReadmeTable, REPRODUCE, updateReadme } from "./report.ts";

/** The usage text. */
export const USAGE: string = `Usage: ${REPRODUCE} [OPTIONS]

Benchmarks the CXL DCD model and the conformance runner, side by side with
the real QEMU: model scale (10 to 100,000 extents), memory flatness (1 GiB vs
1 TiB backends), served model vs QEMU (start-up, QMP round-trip latency),
and suite throughput (model in process, model-socket, QEMU with 1 and 2
workers). QEMU rows are skipped, marked "QEMU not found", when the binary is
absent. Writes the JSON result and the Markdown table; progress on stderr.
Pass --v8-flags=--expose-gc to deno for exact heap figures.

Options:
  --quick           smoke run for CI: small sizes, few iterations, a sample
                    of the fixtures (about 10-20 s); numbers not representative
  --qemu PATH       QEMU binary (default: $QEMU_BINARY, else qemu-system-x86_64 on PATH)
  --json FILE       JSON output (default: bench/results/latest.json)
  --markdown FILE   Markdown output (default: bench/RESULTS.md)
  --readme FILE     README whose benchmark table is regenerated (default:
                    README.md; not on --quick runs)
  --no-write        print the Markdown to stdout instead of writing files
  --help            this text
`;

const HERE = new URL(".", import.meta.url).pathname;

/** Runs `deno fmt` on the written files so they stay format-clean (best effort). */
async function formatFiles(files: string[], stderr: (line: string) => void): Promise<void> {
  try {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--quiet", ...files],
      cwd: new URL("..", import.meta.url).pathname, // the project's fmt options
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    if (!r.success) {
      stderr(`bench: deno fmt of the results exited ${r.code} (files left as written)`);
    }
  } catch (e) {
    stderr(`bench: could not run deno fmt on the results: ${(e as Error).message}`);
  }
}

/** What {@linkcode main} needs from outside (injectable for tests). */
export interface MainDeps {
  /** Standard output. */
  stdout?: (text: string) => void;
  /** Progress lines. */
  stderr?: (line: string) => void;
  /** Receives the result (tests). */
  onResult?: (result: BenchResult) => void;
}

/**
 * Runs the CLI; resolves with the exit status (0 done, 2 usage error).
 * Missed goals do not fail the run: they are reported.
 *
 * @example
 * ```ts
 * import { main } from "./main.ts";
 * let text = "";
 * const status = await main(["--help"], { stdout: (t) => text += t });
 * if (status !== 0 || !text.includes("--quick")) throw new Error("usage expected");
 * ```
 */
export async function main(args: readonly string[], deps: MainDeps = {}): Promise<number> {
  const stdout = deps.stdout ?? ((t: string) => console.log(t.replace(/\n$/, "")));
  const stderr = deps.stderr ?? ((l: string) => console.error(l));
  let values;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        quick: { type: "boolean", default: false },
        qemu: { type: "string" },
        json: { type: "string" },
        markdown: { type: "string" },
        readme: { type: "string" },
        "no-write": { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      allowPositionals: false,
    }).values;
  } catch (e) {
    stderr(`bench: ${(e as Error).message} (see --help)`);
    return 2;
  }
  if (values.help) {
    stdout(USAGE);
    return 0;
  }
  const result = await runBench({
    quick: values.quick,
    ...(values.qemu === undefined ? {} : { qemuBinary: values.qemu }),
    progress: (l) => stderr(`bench: ${l}`),
  });
  deps.onResult?.(result);
  const md = renderMarkdown(result);
  if (values["no-write"]) {
    stdout(md);
  } else {
    const json = values.json ?? `${HERE}results/latest.json`;
    const markdown = values.markdown ?? `${HERE}RESULTS.md`;
    await Deno.mkdir(new URL(".", `file://${json}`).pathname, { recursive: true });
    await Deno.writeTextFile(json, JSON.stringify(result, null, 2) + "\n");
    await Deno.writeTextFile(markdown, md);
    const written = [json, markdown];
    if (!result.quick) {
      const readme = values.readme ?? `${HERE}../README.md`;
      await Deno.writeTextFile(
        readme,
        updateReadme(await Deno.readTextFile(readme), renderReadmeTable(result)),
      );
      written.push(readme);
    }
    await formatFiles(written, stderr);
    stderr(`bench: wrote ${written.join(", ")}`);
  }
  for (const g of result.goals) {
    if (g.met === false) stderr(`bench: goal missed: ${g.goal}: ${g.measured}. ${g.note}`);
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
