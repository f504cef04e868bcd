/**
 * The conformance command line: `conform` runs fixtures against targets and
 * reports; `record` writes observed responses back into fixtures.
 *
 * ```sh
 * deno run --allow-all conformance/cli.ts conform --target model --profile all
 * deno run --allow-all conformance/cli.ts record --target qemu fixtures/upstream/foo.qmp
 * ```
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { enterInvocationDir, nearest } from "../qmp/command_line.ts";
import { type Profile, profileByName, PROFILES } from "../model/profile.ts";
import { DEFAULT_EXPECTATIONS_DIR, loadExpectations } from "./expectations.ts";
import {
  DEFAULT_FIXTURES_DIR,
  filterFixtures,
  type FixtureFile,
  loadFixtures,
  parseShard,
  shardFixtures,
} from "./loader.ts";
import { DEFAULT_MACHINES_DIR, MachinePresets } from "./machines.ts";
import { formatRecordDiff, RecordError, recordTranscript } from "./record.ts";
import { onInterrupt } from "./interrupt.ts";
import { ConsoleReporter } from "./report/console.ts";
import { formatReport, REPORTER_NAMES, type ReporterName, RunRecorder } from "./report_file.ts";
import {
  describeTarget,
  runSuite,
  type SuiteResult,
  type SuiteTarget,
  targetLabel,
} from "./runner.ts";
import type { Bringup } from "./qemu/bringup.ts";
import type { Target } from "./target_types.ts";
import { parseTranscript, splitArgs } from "./transcript/parse.ts";

/** What the CLI needs to build targets (replaceable in tests). */
export interface TargetSpecOptions {
  /** Profiles for model targets. */
  profiles: Profile[];
  /** QEMU binary (`--qemu`). */
  qemu?: string;
  /** PCI bring-up of a `qemu` target (`--bringup`). */
  bringup?: Bringup;
  /**
   * The machine a `qmp:` endpoint runs (`--endpoint-machine`): fixtures on
   * other machines are skipped. Absent: every fixture is tried.
   */
  endpointMachine?: { name: string; args: string[] };
}

/** Builds the targets one `--target` value names (several for model targets with several profiles). */
export type TargetFactory = (spec: string, options: TargetSpecOptions) => Promise<Target[]>;

/** Injectable dependencies of {@linkcode main}. */
export interface CliDependencies {
  /** Target factory (default: the built-in targets). */
  createTargets?: TargetFactory;
  /** Standard output. */
  stdout?: (text: string) => void;
  /** Standard error. */
  stderr?: (text: string) => void;
  /** Whether stdout is a terminal (progress line). */
  tty?: boolean;
}

/** The preset a `qmp:` endpoint is taken to run unless `--endpoint-machine` says otherwise. */
const DEFAULT_ENDPOINT_MACHINE = "dcd-1x2g";

const CONFORM_HELP = `Usage: conform [options] [FIXTURE|DIR|GLOB ...]

Runs transcripts (default: fixtures/) against one or more targets.

Options:
  --target T         model (default), model-socket, qemu or qmp:ADDR
                     (qmp:unix:/path.sock, qmp:HOST:PORT); repeat for several
                     targets side by side
  --profile P        profile(s) of model targets, comma-separated: seed (default),
                     qemu-10.0, qemu-10.1, qemu-10.2, qemu-11.1, RELEASE+seed
                     (e.g. qemu-11.1+seed), or all
  --qemu PATH        QEMU binary for --target qemu (default: $QEMU_BINARY or
                     qemu-system-x86_64 on PATH)
  --bringup B        how --target qemu brings PCI up: direct (default: ECAM, bus
                     numbers, BARs over qtest, CPUs stopped, no firmware) or
                     firmware (SeaBIOS)
  --jobs N           fixtures run at once on process targets (default: cores)
  --filter F         only fixtures whose name matches glob F, or whose name or
                     title contains F
  --shard I/N        only shard I of N (by sorted name)
  --fail-fast        stop after the first failure
  --reporter R       console (default), tap, junit or json
  --output FILE      write the report to FILE (the console still shows progress)
  --expectations DIR known-failure files TARGET-PROFILE.json
                     (default: fixtures/expectations)
  --machines DIR     machine presets (default: fixtures/machines)
  --root DIR         fixture names are relative to DIR (default: fixtures/)
  --timeout MS       per-step timeout, overriding the fixtures' own
  --fixture-timeout MS  whole-fixture timeout (default 60000)
  --keep             leave a failed fixture's temporary directory (QEMU's sockets,
                     stderr.log, command.sh) in place; the report says where
  --isolate          start a machine for every fixture (default: on a qemu
                     target, fixtures that leave their machine as they found it,
                     QMP steps only and no '# endpoint:' mark, share one per
                     worker and machine; a failure closes it)
  --endpoint-machine M
                     for qmp:ADDR targets, the machine the endpoint was started
                     with: a preset name (default: ${DEFAULT_ENDPOINT_MACHINE}), its QEMU
                     arguments (--endpoint-machine='-machine q35,cxl=on ...'), or
                     any; fixtures written for another machine are skipped, with
                     the reason
  -h, --help         this help

Examples:
  conform                                   every fixture on the model (seed)
  conform --profile all                     every model profile
  conform --target model --target qemu      the model and real QEMU side by side
  conform --target qemu --jobs 2 fixtures/host
  conform --filter 'host/*' --reporter junit --output junit.xml
  conform --target qmp:unix:/tmp/q/qmp.sock --filter status

The qmp:ADDR target talks to an already-running QEMU: it cannot start
machines, so it runs the fixtures written for the machine the endpoint was
started with (--endpoint-machine); fixtures with host steps or start-up
errors, and those that end or change their machine (endpoint: ends|changes),
are skipped, since one machine serves every fixture.

Exit status: 0 when nothing failed and nothing passed unexpectedly, 1 when
something did, 2 on a usage or loading error.
`;

const RECORD_HELP = `Usage: record [options] FIXTURE|DIR|GLOB ...

Runs each transcript's requests (QMP and host steps) against one target and
writes the observed responses in place of the expected ones. Comments, the
header and requests are kept; existing matchers are kept where the observed
value still matches them; event timestamps become "$timestamp". Prints what
changed.

Options:
  --target T         qemu (the usual source of truth), model, model-socket or qmp:ADDR
  --profile P        profile for a model target (default seed; see conform --help)
  --qemu PATH        QEMU binary
  --dry-run          show the changes only
  --alternative SEL  keep what the fixture expects for other releases and add
                     the observed answer as a per-release alternative, e.g.
                     --alternative '>=11.1' (see fixtures/FORMAT.md)
  --jobs N           files recorded at once on process targets (default: cores)
  --machines DIR     machine presets (default: fixtures/machines)
  --timeout MS       wait this long for the first message after a request
  -h, --help         this help

Examples:
  record --target qemu fixtures/upstream/foo.qmp
  record --target qemu --dry-run 'fixtures/upstream/*.qmp'
  record --target model --profile seed fixtures/seed/status.qmp
  record --target qemu --qemu /opt/qemu-11.1/bin/qemu-system-x86_64 \\
         --alternative '>=11.1' fixtures/protocol
`;

class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

const CONFORM_OPTIONS = {
  target: { type: "string", multiple: true },
  profile: { type: "string" },
  qemu: { type: "string" },
  bringup: { type: "string" },
  jobs: { type: "string" },
  filter: { type: "string" },
  shard: { type: "string" },
  "fail-fast": { type: "boolean" },
  reporter: { type: "string" },
  output: { type: "string" },
  expectations: { type: "string" },
  machines: { type: "string" },
  root: { type: "string" },
  timeout: { type: "string" },
  "fixture-timeout": { type: "string" },
  keep: { type: "boolean" },
  isolate: { type: "boolean" },
  "endpoint-machine": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

const RECORD_OPTIONS = {
  target: { type: "string" },
  profile: { type: "string" },
  qemu: { type: "string" },
  "dry-run": { type: "boolean" },
  alternative: { type: "string" },
  jobs: { type: "string" },
  machines: { type: "string" },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

const LINT_OPTIONS = {
  machines: { type: "string" },
  root: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

const OPTIONS_OF: Record<string, Options> = {
  conform: CONFORM_OPTIONS,
  record: RECORD_OPTIONS,
  lint: LINT_OPTIONS,
};

/**
 * Why `option` is not one of `command`'s: the nearest option it has, or the
 * subcommands that do take it.
 */
function unknownOption(command: string, option: string): string {
  const name = option.replace(/^-+/, "").replace(/=.*$/, "");
  const elsewhere = Object.keys(OPTIONS_OF).filter((c) => c !== command && name in OPTIONS_OF[c]!);
  if (elsewhere.length > 0 && name.length > 1) {
    return `${command}: option '--${name}' belongs to ${elsewhere.join(" and ")}, not ${command}`;
  }
  const guess = nearest(name, Object.keys(OPTIONS_OF[command]!));
  return `${command}: unknown option '${option}'` +
    (guess === undefined ? "" : `: did you mean --${guess}?`);
}

/** `parseArgs` with usage errors that say what was meant. */
function parseOptions<T extends Options>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options });
  } catch (e) {
    const code = (e as { code?: string }).code;
    const option = /option '([^']+)'/i.exec((e as Error).message)?.[1];
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option !== undefined) {
      throw new UsageError(unknownOption(command, option));
    }
    if (code !== undefined) throw new UsageError(`${command}: ${(e as Error).message}`);
    throw e;
  }
}

/** A directory option must name an existing directory. */
async function existingDir(option: string, dir: string | undefined, what: string): Promise<void> {
  if (dir === undefined) return;
  let isDir = false;
  try {
    isDir = (await Deno.stat(dir)).isDirectory;
  } catch {
    // missing or unreadable
  }
  if (!isDir) {
    throw new UsageError(`--${option} '${dir}': no such directory (expected ${what})`);
  }
}

/** `--output FILE` must be writable where it is: its directory must exist. */
async function outputFile(file: string | undefined): Promise<void> {
  if (file === undefined) return;
  const slash = file.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : file.slice(0, slash);
  let isDir = false;
  try {
    isDir = (await Deno.stat(dir)).isDirectory;
  } catch {
    // missing
  }
  if (!isDir) {
    throw new UsageError(`--output '${file}': no directory '${dir}' to write the report in`);
  }
}

/** `--qemu` only means something to a `qemu` target (no `--target`: the default, model). */
function qemuApplies(qemu: string | undefined, targets: readonly string[] | undefined): void {
  if (qemu === undefined || targets?.includes("qemu")) return;
  const given = targets === undefined
    ? " (no --target given: the target is model)"
    : ` (the target is ${targets.join(", ")})`;
  throw new UsageError(
    `--qemu applies to --target qemu${given}; did you mean --target qemu --qemu ${qemu}?`,
  );
}

/** The `--bringup` modes (the type-only import keeps QEMU's modules unloaded). */
const BRINGUPS: readonly Bringup[] = ["direct", "firmware"];

/** `--bringup`: one of the modes, and only with a `qemu` target. */
function bringupOf(v: string, targets: readonly string[] | undefined): Bringup {
  if (!(BRINGUPS as readonly string[]).includes(v)) {
    throw new UsageError(`--bringup '${v}': expected ${BRINGUPS.join(" or ")}`);
  }
  if (!targets?.includes("qemu")) {
    throw new UsageError(
      `--bringup applies to --target qemu; did you mean --target qemu --bringup ${v}?`,
    );
  }
  return v as Bringup;
}

/** `--endpoint-machine`: a preset name, quoted QEMU arguments, or `any` (undefined). */
async function endpointMachineOf(
  v: string | undefined,
  targets: readonly string[] | undefined,
  presets: MachinePresets,
): Promise<{ name: string; args: string[] } | undefined> {
  const endpoints = (targets ?? []).some((t) => t.startsWith("qmp:"));
  if (v !== undefined && !endpoints) {
    throw new UsageError(
      `--endpoint-machine applies to qmp:ADDR targets; did you mean --target qmp:ADDR --endpoint-machine ${v}?`,
    );
  }
  if (!endpoints || v === "any") return undefined;
  const spec = v ?? DEFAULT_ENDPOINT_MACHINE;
  if (spec.trim().startsWith("-")) return { name: "the given arguments", args: splitArgs(spec) };
  try {
    return { name: spec, args: await presets.preset(spec) };
  } catch (e) {
    throw new UsageError(`--endpoint-machine: ${(e as Error).message}, or QEMU arguments, or any`);
  }
}

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(v)) {
    throw new UsageError(`--${name} '${v}': expected a positive integer`);
  }
  return Number(v);
}

function profilesOf(v: string | undefined): Profile[] {
  if (v === undefined) return [profileByName("seed")];
  if (v === "all") return Object.values(PROFILES);
  try {
    return v.split(",").map((p) => profileByName(p.trim()));
  } catch (e) {
    throw new UsageError((e as Error).message + " (or 'all')");
  }
}

async function defaultTargets(spec: string, options: TargetSpecOptions): Promise<Target[]> {
  const { createTargets } = await import("./targets/mod.ts");
  return createTargets(spec, options);
}

function cores(): number {
  return Math.max(1, navigator.hardwareConcurrency || 1);
}

/**
 * Runs the CLI; returns the exit status.
 *
 * @example
 * ```ts ignore
 * import { main } from "@cxl-dcd/conformance/conformance";
 * Deno.exitCode = await main(["conform", "--profile", "all"]);
 * ```
 */
export async function main(args: readonly string[], deps?: CliDependencies): Promise<number> {
  deps ??= {};
  const enc = new TextEncoder();
  const stdout = deps.stdout ?? ((t: string) => Deno.stdout.writeSync(enc.encode(t)));
  const stderr = deps.stderr ?? ((t: string) => Deno.stderr.writeSync(enc.encode(t)));
  const createTargets = deps.createTargets ?? defaultTargets;
  const argv = [...args];
  let command = "conform";
  if (argv[0] === "conform" || argv[0] === "record" || argv[0] === "lint") {
    command = argv.shift()!;
  } else if (argv[0] === "help" || argv[0] === "--help" || argv[0] === "-h") {
    stdout(
      `Usage: cli.ts conform|record|lint [options]\n\n${CONFORM_HELP}\n${RECORD_HELP}\n${LINT_HELP}`,
    );
    return 0;
  } else if (
    argv[0] !== undefined && !argv[0].startsWith("-") && /^[a-z]+$/.test(argv[0]) &&
    !argv[0].includes(".")
  ) {
    // An unknown subcommand word (not a path).
    try {
      await Deno.stat(argv[0]);
    } catch {
      stderr(`unknown subcommand '${argv[0]}': expected conform, record or lint (see --help)\n`);
      return 2;
    }
  }
  try {
    return command === "record"
      ? await record(argv, { stdout, stderr, createTargets })
      : command === "lint"
      ? await lint(argv, { stdout, stderr, createTargets })
      : await conform(argv, { stdout, stderr, createTargets, tty: deps.tty });
  } catch (e) {
    if (e instanceof UsageError || (e instanceof TypeError && "code" in e)) {
      stderr(`${e.message}\n(see ${command} --help)\n`);
      return 2;
    }
    stderr(`${(e as Error).message}\n`);
    return 2;
  }
}

interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  createTargets: TargetFactory;
  tty?: boolean | undefined;
}

async function conform(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions("conform", argv, CONFORM_OPTIONS);
  if (values.help) {
    io.stdout(CONFORM_HELP);
    return 0;
  }
  qemuApplies(values.qemu, values.target);
  await existingDir(
    "expectations",
    values.expectations,
    "a directory of TARGET-PROFILE.json files",
  );
  await existingDir("machines", values.machines, "a directory of machine presets");
  await existingDir("root", values.root, "the directory fixture names are relative to");
  await outputFile(values.output);
  const reporter = (values.reporter ?? "console") as ReporterName;
  if (!REPORTER_NAMES.includes(reporter)) {
    throw new UsageError(`--reporter '${reporter}': expected console, tap, junit or json`);
  }
  const jobs = int("jobs", values.jobs);
  const stepTimeoutMs = int("timeout", values.timeout);
  const fixtureTimeoutMs = int("fixture-timeout", values["fixture-timeout"]);
  const shard = values.shard === undefined ? undefined : (() => {
    try {
      return parseShard(values.shard!);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  })();
  const profiles = profilesOf(values.profile);
  const root = values.root ?? DEFAULT_FIXTURES_DIR;
  let fixtures = await loadFixtures(
    positionals.length > 0 ? positionals : [DEFAULT_FIXTURES_DIR],
    root,
  );
  if (values.filter !== undefined) fixtures = filterFixtures(fixtures, values.filter);
  if (shard !== undefined) fixtures = shardFixtures(fixtures, shard.index, shard.count);
  if (fixtures.length === 0) {
    io.stderr("no fixture to run (check the paths, --filter and --shard)\n");
    return 2;
  }
  const presets = new MachinePresets(values.machines ?? DEFAULT_MACHINES_DIR);
  // A malformed fixture is the author's mistake, not a target's failure: stop before anything runs.
  const broken = await loadingErrors(fixtures, presets);
  if (broken.length > 0) {
    for (const e of broken) io.stderr(`${e}\n`);
    io.stderr(`${broken.length} fixture(s) do not load: nothing was run\n`);
    return 2;
  }
  const specOptions: TargetSpecOptions = { profiles };
  if (values.qemu !== undefined) specOptions.qemu = values.qemu;
  if (values.bringup !== undefined) specOptions.bringup = bringupOf(values.bringup, values.target);
  const endpointMachine = await endpointMachineOf(
    values["endpoint-machine"],
    values.target,
    presets,
  );
  if (endpointMachine !== undefined) specOptions.endpointMachine = endpointMachine;
  const output = values.output;
  const order = fixtures.map((f) => f.name);
  const recorder = new RunRecorder();
  // The report is written however the run ends: a probe that fails, or a signal mid-run.
  const report = (suite: SuiteResult, interrupted?: string) => {
    const text = formatReport(suite, reporter, interrupted);
    if (output !== undefined) Deno.writeTextFileSync(output, text);
    else if (reporter !== "console") io.stdout(text);
  };
  let consoleReporter: ConsoleReporter | undefined;
  const undoInterrupt = onInterrupt((signal) => {
    const why = `interrupted by ${signal} after ${recorder.finished} fixture run(s)`;
    const partial = recorder.suite(order);
    consoleReporter?.end(partial);
    if (consoleReporter !== undefined) io.stdout(`INTERRUPTED: ${why}\n`);
    report(partial, why);
  });
  try {
    const suiteTargets: SuiteTarget[] = [];
    for (const spec of values.target ?? ["model"]) {
      for (const target of await io.createTargets(spec, specOptions)) {
        let label: string;
        try {
          label = await targetLabel(target, presets);
        } catch (e) {
          report(
            recorder.suite(order),
            `target ${target.name} did not answer its capability probe: ${(e as Error).message}`,
          );
          throw e;
        }
        const profile = /\[(.*)\]$/.exec(label)?.[1] ?? "";
        const expectations = await loadExpectations(
          values.expectations ?? DEFAULT_EXPECTATIONS_DIR,
          target.name,
          profile,
        );
        const inProcess = target.name === "model" || target.name.startsWith("qmp:");
        suiteTargets.push({
          target,
          label,
          expectations,
          jobs: inProcess ? 1 : jobs ?? cores(),
        });
      }
    }
    const live = reporter === "console" || output !== undefined;
    consoleReporter = live
      ? new ConsoleReporter({
        write: io.stdout,
        total: fixtures.length * suiteTargets.length,
        ...(io.tty === undefined ? {} : { tty: io.tty }),
      })
      : undefined;
    let suite: SuiteResult;
    try {
      suite = await runSuite(fixtures, suiteTargets, {
        presets,
        failFast: values["fail-fast"] ?? false,
        ...(values.keep ? { keep: true } : {}),
        ...(values.isolate ? { isolate: true } : {}),
        ...(stepTimeoutMs === undefined ? {} : { stepTimeoutMs }),
        ...(fixtureTimeoutMs === undefined ? {} : { fixtureTimeoutMs }),
        onResult: (r) => {
          recorder.result(r);
          consoleReporter?.result(r);
        },
        onTarget: (info) => {
          recorder.target(info);
          // The banner: on the console with the progress, else on stderr (stdout is the report).
          (live ? io.stdout : io.stderr)(`${describeTarget(info)}\n`);
        },
      });
    } catch (e) {
      report(recorder.suite(order), `the run stopped: ${(e as Error).message}`);
      throw e;
    }
    consoleReporter?.end(suite);
    if (reporter !== "console" || output !== undefined) report(suite);
    return suite.ok ? 0 : 1;
  } finally {
    undoInterrupt();
  }
}

/**
 * Loading errors of fixtures, one line each (`FILE:LINE: what was wrong`):
 * transcripts that do not parse, and machine presets that do not resolve.
 */
async function loadingErrors(
  fixtures: readonly FixtureFile[],
  presets: MachinePresets,
): Promise<string[]> {
  const out: string[] = [];
  for (const f of fixtures) {
    if (f.transcript instanceof Error) {
      out.push(f.transcript.message);
      continue;
    }
    try {
      await presets.resolve(f.transcript.header.machine);
    } catch (e) {
      out.push(`${f.transcript.file}:1: ${(e as Error).message}`);
    }
  }
  return out;
}

const LINT_HELP = `Usage: lint [options] [FIXTURE|DIR|GLOB ...]

Checks fixtures (default: fixtures/) without running them on any target:
every header key, feature name, selector, step and JSON value, and every
machine preset they name. Prints one line per problem (FILE:LINE: ...).

Options:
  --machines DIR     machine presets (default: fixtures/machines)
  --root DIR         fixture names are relative to DIR (default: fixtures/)
  -h, --help         this help

Exit status: 0 when every fixture loads, 2 otherwise.
`;

async function lint(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions("lint", argv, LINT_OPTIONS);
  if (values.help) {
    io.stdout(LINT_HELP);
    return 0;
  }
  await existingDir("machines", values.machines, "a directory of machine presets");
  await existingDir("root", values.root, "the directory fixture names are relative to");
  const fixtures = await loadFixtures(
    positionals.length > 0 ? positionals : [DEFAULT_FIXTURES_DIR],
    values.root ?? DEFAULT_FIXTURES_DIR,
  );
  if (fixtures.length === 0) {
    io.stderr("no fixture found (check the paths)\n");
    return 2;
  }
  const broken = await loadingErrors(
    fixtures,
    new MachinePresets(values.machines ?? DEFAULT_MACHINES_DIR),
  );
  for (const e of broken) io.stderr(`${e}\n`);
  io.stdout(
    broken.length === 0
      ? `${fixtures.length} fixture(s) load cleanly\n`
      : `${broken.length} of ${fixtures.length} fixture(s) do not load\n`,
  );
  return broken.length === 0 ? 0 : 2;
}

async function record(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOptions("record", argv, RECORD_OPTIONS);
  if (values.help) {
    io.stdout(RECORD_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("record: expected at least one fixture path");
  if (values.target === undefined) {
    throw new UsageError("record: expected --target (e.g. --target qemu)");
  }
  qemuApplies(values.qemu, [values.target]);
  await existingDir("machines", values.machines, "a directory of machine presets");
  const profiles = values.profile === undefined
    ? [profileByName("seed")]
    : profilesOf(values.profile);
  if (profiles.length !== 1) throw new UsageError("record: expected one --profile, not several");
  const specOptions: TargetSpecOptions = { profiles };
  if (values.qemu !== undefined) specOptions.qemu = values.qemu;
  const targets = await io.createTargets(values.target, specOptions);
  const target = targets[0];
  if (target === undefined) {
    throw new UsageError(`record: target '${values.target}' gave nothing to run`);
  }
  const stepTimeoutMs = int("timeout", values.timeout);
  const presets = new MachinePresets(values.machines ?? DEFAULT_MACHINES_DIR);
  const fixtures = await loadFixtures(positionals, Deno.cwd());
  let status = 0;
  // Each file's output is buffered and flushed in file order as soon as all earlier ones are done.
  type Line = { err: boolean; text: string };
  const outputs: (Line[] | undefined)[] = new Array(fixtures.length);
  let flushed = 0;
  const flush = () => {
    while (flushed < fixtures.length && outputs[flushed] !== undefined) {
      for (const l of outputs[flushed]!) (l.err ? io.stderr : io.stdout)(l.text);
      flushed++;
    }
  };
  const one = async (f: FixtureFile): Promise<Line[]> => {
    const out: Line[] = [];
    if (f.transcript instanceof Error) {
      status = 1;
      return [{ err: true, text: `${f.transcript.message}\n` }];
    }
    try {
      const r = await recordTranscript(f.transcript, target, {
        presets,
        ...(stepTimeoutMs === undefined ? {} : { stepTimeoutMs }),
        ...(values.alternative === undefined ? {} : { alternative: values.alternative }),
      });
      if (r.skipped !== undefined) {
        out.push({ err: false, text: `${f.name}: skipped (${r.skipped})\n` });
        return out;
      }
      for (const w of r.warnings) out.push({ err: true, text: `warning: ${w}\n` });
      if (r.edits.length === 0) {
        out.push({ err: false, text: `${f.name}: unchanged (${target.name}, ${r.profile})\n` });
        return out;
      }
      out.push({ err: false, text: formatRecordDiff(f.name, f.transcript.lines, r.edits) + "\n" });
      // The recorded text must still be a valid transcript.
      parseTranscript(r.text, f.name);
      if (!values["dry-run"]) {
        await Deno.writeTextFile(f.path, r.text);
        out.push({
          err: false,
          text:
            `${f.name}: recorded ${r.edits.length} change(s) from ${target.name} (${r.profile})\n`,
        });
      }
    } catch (e) {
      out.push({
        err: true,
        text: e instanceof RecordError ? `${e.message}\n` : `${f.name}: ${(e as Error).message}\n`,
      });
      status = 1;
    }
    return out;
  };
  const inProcess = target.name === "model" || target.name.startsWith("qmp:");
  const jobs = Math.max(
    1,
    Math.min(inProcess ? 1 : int("jobs", values.jobs) ?? cores(), fixtures.length),
  );
  let next = 0;
  await Promise.all(Array.from({ length: jobs }, async () => {
    while (next < fixtures.length) {
      const k = next++;
      outputs[k] = await one(fixtures[k]!);
      flush();
    }
  }));
  return status;
}

if (import.meta.main) {
  // `deno task` runs in the repository root: relative paths mean the user's directory.
  enterInvocationDir(decodeURIComponent(new URL("..", import.meta.url).pathname));
  Deno.exitCode = await main(Deno.args);
}
