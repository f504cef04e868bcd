/**
 * Differential programs: seeded random QMP + host programs run on two
 * targets (the model and a QEMU, or two QEMU builds), every answer
 * compared, each finding shrunk to a ready fixture in the catalogue's
 * notation. The command line is `deno task diff` (conformance/diff/cli.ts).
 *
 * @example
 * ```ts
 * import { activeExclusions, modelPairForTest, parseTopologies, runDiff } from "./mod.ts";
 * import { QEMU_10_0, QEMU_11_1 } from "@cxl-dcd/conformance";
 * const report = await runDiff(modelPairForTest(QEMU_10_0, QEMU_11_1), {
 *   programs: 5, seed: 1, steps: 8, topologies: parseTopologies("one-region"),
 *   exclusions: activeExclusions([]),
 * });
 * if (report.programsRun !== 5) throw new Error();
 * ```
 *
 * @module
 */

import type { Profile } from "../../model/profile.ts";
import { modelTarget } from "../targets/model.ts";
import type { DiffPair } from "./execute.ts";

export { canonical, compareAnswers, type Divergence, maskEventTimestamps } from "./compare.ts";
export { countAnswer, type Coverage, coverageKey, coverageTable } from "./coverage.ts";
export {
  type DiffPair,
  type DiffSide,
  executeProgram,
  fixedSteps,
  outcomeKey,
  type ProgramOutcome,
  type StepSource,
  type Trace,
} from "./execute.ts";
export { activeExclusions, excludedBy, KNOWN_CRASHES, type KnownCrash } from "./exclusions.ts";
export { answerLines, type FixtureHeader, fixtureText } from "./fixture.ts";
export { BLOCK, nextStep } from "./generator.ts";
export { Prng, programSeed } from "./prng.ts";
export type {
  Answer,
  DiffStep,
  HostAnswer,
  HostStep,
  LostAnswer,
  QmpAnswer,
  QmpStep,
} from "./program.ts";
export { stepText } from "./program.ts";
export { formatJson, formatSummary } from "./report.ts";
export { type DiffOptions, type DiffReport, type Finding, runDiff } from "./run.ts";
export { type Replay, shrink, type ShrinkOptions, type ShrinkResult } from "./shrink.ts";
export { buildPair, parseSide, profileForCapabilities, type SideSpec } from "./sides.ts";
export { DiffSession, STEP_TIMEOUT_MS } from "./session.ts";
export {
  type DeviceShape,
  parseTopologies,
  type RegionShape,
  TOPOLOGIES,
  type Topology,
  TOPOLOGY_NAMES,
} from "./topologies.ts";
export { type DeviceView, HostView } from "./view.ts";
export { type DiffCliIo, HELP, main } from "./cli.ts";

/**
 * A pair of in-process model targets under two profiles (A's answers are
 * the expectation): how a profile change is checked without QEMU.
 */
export function modelPairForTest(a: Profile, b: Profile): DiffPair {
  return {
    a: { label: `model[${a.name}]`, target: modelTarget({ profile: a }) },
    b: { label: `model[${b.name}]`, target: modelTarget({ profile: b }) },
  };
}
