/**
 * The parsed form of a transcript (`*.qmp`, see fixtures/FORMAT.md).
 *
 * @module
 */

import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import type { Selector } from "./selector.ts";

/** Where the fixture's machine comes from. */
export type MachineSpec =
  | { kind: "preset"; name: string }
  | { kind: "inline"; args: string[] };

/** The `# key: value` header. */
export interface TranscriptHeader {
  /** One-line title (required). */
  title: string;
  /** What the fixture pins and why. */
  description: string;
  /** The machine (default: the `dcd-1x2g` preset). */
  machine: MachineSpec;
  /**
   * Features the target must have; a name starting with `!` is a feature the
   * target must lack (e.g. `!memory-backend-tagged` for stock-QEMU behaviour).
   */
  requires: string[];
  /** Free words for filtering. */
  tags: string[];
  /** Whether the runner reads the greeting and negotiates capabilities first. */
  negotiate: boolean;
  /** Per-step timeout in milliseconds. */
  timeoutMs: number;
  /**
   * What the fixture does to its machine beyond its own run (`# endpoint:`):
   * `ends` (it quits or powers the machine off) or `changes` (it leaves the
   * machine in a state later fixtures would see: stopped, reset, objects
   * deleted, capacity left offered). Such fixtures are skipped on shared
   * endpoints (`qmp:ADDR`). Absent for fixtures that leave no trace.
   */
  endpoint?: "ends" | "changes";
}

/** Fields every step has. */
export interface StepBase {
  /** 1-based first line of the step. */
  line: number;
  /** 1-based last line of the step (its JSON may span lines). */
  endLine: number;
}

/** `-> JSON`: send the value compactly on one line. */
export interface SendStep extends StepBase {
  /** Step kind. */
  kind: "send";
  /** The request as written. */
  value: QmpValue;
  /** What goes on the wire (compact JSON, no newline). */
  text: string;
}

/** `->raw TEXT`: send text exactly (plus a newline). */
export interface SendRawStep extends StepBase {
  /** Step kind. */
  kind: "send-raw";
  /** Unescaped text, without the trailing newline. */
  text: string;
}

/** One alternative of an expectation: for some releases or features, or the default. */
export interface Alternative<T> {
  /** Which targets this alternative is for; `undefined` for the default (bare marker). */
  when: Selector | undefined;
  /** 1-based first line. */
  line: number;
  /** 1-based last line. */
  endLine: number;
  /** The expectation. */
  expect: T;
}

/** `<- JSON` (with `<-[p] JSON` alternatives): the next message. */
export interface ExpectStep extends StepBase {
  /** Step kind. */
  kind: "expect";
  /** The alternatives, in file order. */
  alternatives: Alternative<QmpValue>[];
}

/** `<-* [JSON, ...]`: these messages next, in any order. */
export interface ExpectSetStep extends StepBase {
  /** Step kind. */
  kind: "expect-set";
  /** The expected messages. */
  values: QmpValue[];
}

/** `<-none`: no message within 200 ms. */
export interface ExpectNoneStep extends StepBase {
  /** Step kind. */
  kind: "expect-none";
}

/** What a host step expects back. */
export interface HostExpectation {
  /** Return code. */
  rc: number;
  /** The return code as written (a name or hex). */
  rcText: string;
  /** Decoded output to match; `undefined` ignores the output. */
  output: QmpValue | undefined;
}

/** `=> DEVICE COMMAND JSON` followed by `<= RC JSON` alternatives. */
export interface HostStep extends StepBase {
  /** Step kind. */
  kind: "host";
  /** Type-3 device id. */
  device: string;
  /** Host command name (conformance/host). */
  command: string;
  /** Decoded input fields. */
  input: QmpObject;
  /** Expected answers (empty: the answer is not checked). */
  alternatives: Alternative<HostExpectation>[];
}

/** `!startup-error TEXT`: the machine must fail to start with this message. */
export interface StartupErrorStep extends StepBase {
  /** Step kind. */
  kind: "startup-error";
  /** Expected start-up text (`\n` between lines). */
  text: string;
}

/** A transcript step. */
export type Step =
  | SendStep
  | SendRawStep
  | ExpectStep
  | ExpectSetStep
  | ExpectNoneStep
  | HostStep
  | StartupErrorStep;

/** A parsed transcript. */
export interface Transcript {
  /** File name used in messages (as given to the parser). */
  file: string;
  /** The header. */
  header: TranscriptHeader;
  /** The steps, in order. */
  steps: Step[];
  /** The source text, split in lines (for record mode). */
  lines: string[];
}
