/**
 * The conformance runner: runs transcripts against targets, step by step,
 * and reports each fixture's outcome with the failing step's file, line,
 * request, expected and actual values and a diff.
 *
 * This module gathers the runner's parts, each in its own module under
 * `run/`: the result types (`run/types.ts`), step execution
 * (`run/step_execution.ts`), one fixture's run (`run/fixture_run.ts`),
 * expectations (`run/expectation_apply.ts`), failure classes
 * (`run/failure_classes.ts`), summaries (`run/summary.ts`) and the suite's
 * scheduling (`run/scheduling.ts`).
 *
 * @module
 */

export type {
  FailureClass,
  FixtureMachines,
  FixtureResult,
  Outcome,
  RunFixtureOptions,
  StepFailure,
  SuiteOptions,
  SuiteResult,
  SuiteTarget,
  TargetInfo,
  TargetSummary,
} from "./run/types.ts";
export { commandOf, StepError } from "./run/step_execution.ts";
export { describeExit, runFixture, skipReason } from "./run/fixture_run.ts";
export { applyExpectation } from "./run/expectation_apply.ts";
export { failureClasses, failureClassOf } from "./run/failure_classes.ts";
export { describeTarget, formatVersion, summarise } from "./run/summary.ts";
export { runSuite, targetLabel } from "./run/scheduling.ts";
export { MachinePool, ownMachineReason, type PooledMachine } from "./run/machine_pool.ts";
export { SpareMachines } from "./run/spare_machines.ts";
