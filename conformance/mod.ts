/**
 * The conformance suite: transcripts of QMP conversations and host mailbox
 * steps (fixtures/FORMAT.md), run against targets (the in-process model, a
 * real QEMU, an already-running QMP endpoint), with matchers, expectations
 * files, reporters, a record mode and Deno test integration.
 *
 * @example
 * ```ts
 * import { match, parseTranscript } from "@cxl-dcd/conformance/conformance";
 * const t = parseTranscript('# title: status\n-> {"execute": "query-status"}\n<- {"return": {"status": "$string", "...": "..."}}\n', "status.qmp");
 * const step = t.steps[1]!;
 * if (step.kind !== "expect") throw new Error("expected an expectation");
 * const m = match(step.alternatives[0]!.expect, { return: { status: "running", running: true } });
 * if (m !== undefined) throw new Error(m.path);
 * ```
 *
 * @module
 */

export * from "./target_types.ts";
export * from "./host/mod.ts";
export * from "./qemu/mod.ts";
export * from "./transcript/mod.ts";
export * from "./report/mod.ts";
export {
  formatMismatch,
  match,
  type MatchResult,
  matchUnordered,
  type Mismatch,
  TARGET_VALUE_NAMES,
  type TargetValues,
  targetValues,
  unifiedDiff,
} from "./matchers.ts";
export {
  compareRelease,
  formatRelease,
  parseSelector,
  type ReleaseOp,
  type Selector,
  type SelectorAtom,
  type SelectorContext,
  SelectorError,
  selectorMatches,
} from "./transcript/selector.ts";
export { type TargetContext, targetContext } from "./target_context.ts";
export {
  applyExpectation,
  describeTarget,
  type FailureClass,
  type FixtureMachines,
  type FixtureResult,
  MachinePool,
  type Outcome,
  ownMachineReason,
  type PooledMachine,
  runFixture,
  type RunFixtureOptions,
  runSuite,
  skipReason,
  SpareMachines,
  type StepFailure,
  type SuiteOptions,
  type SuiteResult,
  type SuiteTarget,
  summarise,
  type TargetInfo,
  targetLabel,
  type TargetSummary,
} from "./runner.ts";
export {
  DEFAULT_FIXTURES_DIR,
  filterFixtures,
  findFixtureFiles,
  type FixtureFile,
  fixtureName,
  globToRegExp,
  loadFixtures,
  parseShard,
  shardFixtures,
} from "./loader.ts";
export {
  DEFAULT_EXPECTATIONS_DIR,
  type Expectations,
  expectationsFileName,
  loadExpectations,
  parseExpectations,
} from "./expectations.ts";
export { DEFAULT_MACHINES_DIR, MachinePresets, parseMachineArgs } from "./machines.ts";
export { FEATURES, modelFeatures } from "./features.ts";
export {
  formatRecordDiff,
  maskObserved,
  mergeObserved,
  type RecordEdit,
  RecordError,
  type RecordOptions,
  type RecordResult,
  recordTranscript,
} from "./record.ts";
export { defineFixtureTests, type FixtureTestOptions } from "./deno_test.ts";
export {
  type CreateTargetOptions,
  createTargets,
  MessageQueue,
  modelSocketTarget,
  type ModelSocketTargetOptions,
  modelTarget,
  type ModelTargetOptions,
  qemuTarget,
  type QemuTargetOptions,
  qmpTarget,
  type QmpTargetOptions,
} from "./targets/mod.ts";
export { type CliDependencies, main, type TargetFactory, type TargetSpecOptions } from "./cli.ts";
