/**
 * `deno task diff`: seeded random QMP + host programs on two targets (the
 * model and a QEMU, or two QEMU builds), every answer compared, each
 * finding shrunk to a ready fixture.
 *
 * ```sh
 * deno task diff --a model --b qemu:/usr/bin/qemu-system-x86_64 --programs 200
 * deno task diff --a qemu:/path/10.0/qemu-system-x86_64 --b qemu:/path/11.1/qemu-system-x86_64 --out out/diff
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { enterInvocationDir } from "../../qmp/command_line.ts";
import { activeExclusions, KNOWN_CRASHES } from "./exclusions.ts";
import { formatJson, formatSummary } from "./report.ts";
import { runDiff } from "./run.ts";
import { buildPair, parseSide, type SideSpec } from "./sides.ts";
import { parseTopologies, TOPOLOGIES, TOPOLOGY_NAMES } from "./topologies.ts";

/** Replaceable outputs of {@linkcode main}. */
export interface DiffCliIo {
  /** Standard output. */
  stdout?: (text: string) => void;
  /** Standard error (progress). */
  stderr?: (text: string) => void;
}

/**
 * `text` wrapped at 80 columns under the option descriptions' indent: 23
 * spaces, 27 on the lines after the first.
 */
function indented(text: string): string {
  const lines: string[] = [];
  let line = "";
  const pad = () => " ".repeat(lines.length === 0 ? 23 : 27);
  for (const word of text.split(" ")) {
    if (line !== "" && pad().length + line.length + 1 + word.length > 80) {
      lines.push(pad() + line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  lines.push(pad() + line);
  return lines.join("\n");
}

/** The `--help` text. */
export const HELP: string = `Usage: deno task diff --a SIDE --b SIDE [options]

Runs seeded random programs (QMP cxl-add/release-dynamic-capacity and host
mailbox steps) on two targets, compares every answer, and shrinks the first
divergence of each kind (and every crash) to a fixture whose expectations are
A's answers.

Sides:
  model              the reference model; its profile is the one the runner
                     picks for the other side's QEMU (else the default)
  model:PROFILE      the model under a named profile (qemu-10.0, qemu-11.1, ...)
  qemu               QEMU from $QEMU_BINARY or qemu-system-x86_64 on PATH
  qemu:PATH          that QEMU binary

Options:
  --a SIDE           target A (default model); its answers are the expectation
  --b SIDE           target B (required)
  --programs N       programs to run (default 50)
  --seed S           run seed (default 1); the same seed runs the same programs
  --steps K          steps per program (default 12)
  --budget SECONDS   stop starting programs (and shrinking) after this long
  --topology LIST    comma-separated, or all (default): ${TOPOLOGY_NAMES.join(", ")}
${
  TOPOLOGY_NAMES.map((n) =>
    indented(`${n}: ${TOPOLOGIES[n]!.description} (${TOPOLOGIES[n]!.preset})`)
  )
    .join("\n")
}
  --json FILE        write the report as JSON
  --out DIR          write each finding's shrunk fixture there (NAME.qmp)
  --no-shrink        report findings unshrunk
  --include-known NAME
                     run a known crash class anyway (repeatable); left out by default:
${KNOWN_CRASHES.map((k) => indented(`${k.name}: ${k.description}`)).join("\n")}
  --help             this text

QMP replies are compared exactly (event timestamps aside); mailbox answers by
return code and output bytes, masking only event-record timestamps and only
after the host set the device's timestamp (until then both must say 0).
A lost target (a crash, a hang) is a finding of its own, with the signal.

Exit status: 0 no divergence and no crash, 1 a divergence or crash was found,
2 usage error.
`;

function nonNegativeInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`--${name} is '${text}': expected a non-negative integer`);
  }
  return n;
}

function slug(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 80);
}

/**
 * Runs the command line; resolves to the exit status.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * const out: string[] = [];
 * const code = await main(["--help"], { stdout: (t) => out.push(t) });
 * if (code !== 0 || !out.join("").includes("--programs")) throw new Error();
 * ```
 */
export async function main(args: readonly string[], io: DiffCliIo = {}): Promise<number> {
  const stdout = io.stdout ?? ((t: string) => Deno.stdout.writeSync(new TextEncoder().encode(t)));
  const stderr = io.stderr ?? ((t: string) => Deno.stderr.writeSync(new TextEncoder().encode(t)));
  let values;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        a: { type: "string" },
        b: { type: "string" },
        programs: { type: "string" },
        seed: { type: "string" },
        steps: { type: "string" },
        budget: { type: "string" },
        topology: { type: "string" },
        json: { type: "string" },
        out: { type: "string" },
        "no-shrink": { type: "boolean" },
        "include-known": { type: "string", multiple: true },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    stderr(`diff: ${(e as Error).message}\n(see --help)\n`);
    return 2;
  }
  if (values.help) {
    stdout(HELP);
    return 0;
  }
  let a: SideSpec, b: SideSpec;
  let options;
  try {
    if (values.b === undefined) {
      throw new RangeError("--b is missing: expected model, model:PROFILE, qemu or qemu:PATH");
    }
    a = parseSide(values.a ?? "model");
    b = parseSide(values.b);
    const budget = values.budget === undefined ? undefined : Number(values.budget);
    if (budget !== undefined && !(budget > 0)) {
      throw new RangeError(`--budget is '${values.budget}': expected a positive number of seconds`);
    }
    options = {
      programs: nonNegativeInt("programs", values.programs, 50),
      seed: nonNegativeInt("seed", values.seed, 1),
      steps: nonNegativeInt("steps", values.steps, 12),
      topologies: parseTopologies(values.topology ?? "all"),
      exclusions: activeExclusions(values["include-known"] ?? []),
      shrink: !values["no-shrink"],
      ...(budget === undefined ? {} : { budgetSeconds: budget }),
      onProgress: (line: string) => stderr(line + "\n"),
    };
  } catch (e) {
    stderr(`diff: ${(e as Error).message}\n(see --help)\n`);
    return 2;
  }
  let pair;
  try {
    pair = await buildPair(a, b);
  } catch (e) {
    stderr(`diff: cannot set up the targets: ${(e as Error).message}\n`);
    return 2;
  }
  stderr(`diff: A = ${pair.a.label}, B = ${pair.b.label}\n`);
  const report = await runDiff(pair, options);
  stdout(formatSummary(report));
  if (values.out !== undefined) {
    await Deno.mkdir(values.out, { recursive: true });
    for (const [i, f] of report.findings.entries()) {
      const file = `${values.out}/diff-${i + 1}-${slug(f.key)}.qmp`;
      await Deno.writeTextFile(file, f.fixture);
      stderr(`wrote ${file}\n`);
    }
  }
  if (values.json !== undefined) await Deno.writeTextFile(values.json, formatJson(report));
  return report.findings.length > 0 ? 1 : 0;
}

if (import.meta.main) {
  // `deno task` runs in the repository root: relative paths mean the user's directory.
  enterInvocationDir();
  Deno.exitCode = await main(Deno.args);
}
