/**
 * Inputs known to crash QEMU or to be answered from undefined behaviour,
 * left out of programs by name (and listed in `--help` and every report),
 * so a run finds what is new instead of the same crash again.
 *
 * @module
 */

import type { QmpValue } from "../../model/qmp_value.ts";
import type { DiffStep } from "./program.ts";
import { asUint64, type HostView } from "./view.ts";

/** A class of known crash or undefined-behaviour inputs. */
export interface KnownCrash {
  /** Name on the command line (`--include-known NAME`). */
  name: string;
  /** What QEMU does with such input, and on which builds. */
  description: string;
  /** Whether this step, on a device in this state (target A's view), is such an input. */
  matches(step: DiffStep, view: HostView): boolean;
}

const TWO_64 = 1n << 64n;

function wraps(list: QmpValue | undefined, key: "dpa" | "offset"): boolean {
  if (!Array.isArray(list)) return false;
  return list.some((e) => {
    if (e === null || typeof e !== "object" || Array.isArray(e)) return false;
    const at = asUint64(e[key]);
    const len = asUint64(e["len"]);
    return at !== undefined && len !== undefined && at + len >= TWO_64;
  });
}

/** The known classes, by name. */
export const KNOWN_CRASHES: readonly KnownCrash[] = [
  {
    name: "empty-response-nothing-pending",
    description:
      "0x4802 with a zero entry count while nothing is pending: QEMU 10.0.x (10.0.2, 10.0.13) and 11.1.3 dereference the missing front group (SIGSEGV)",
    matches(step, view) {
      if (step.kind !== "host" || step.command !== "add-dc-response") return false;
      const list = step.input["extents"];
      const count = step.input["count"] ?? (Array.isArray(list) ? list.length : 0);
      return Number(count) === 0 && view.device(step.device).pending.length === 0;
    },
  },
  {
    name: "qmp-offset-wrap",
    description:
      "cxl-add-dynamic-capacity with an extent whose offset + len wraps past 2^64: QEMU 10.0.x and 11.1.3 accept it and segfault writing the event record (SIGSEGV)",
    matches(step) {
      return step.kind === "qmp" && step.execute === "cxl-add-dynamic-capacity" &&
        wraps(step.arguments["extents"], "offset");
    },
  },
  {
    name: "qmp-release-offset-wrap",
    description:
      "cxl-release-dynamic-capacity with an extent whose offset + len wraps past 2^64: QEMU 10.0.2, 10.0.13 and 11.1.3 segfault (SIGSEGV; found by this differ, shrunk to that one command)",
    matches(step) {
      return step.kind === "qmp" && step.execute === "cxl-release-dynamic-capacity" &&
        wraps(step.arguments["extents"], "offset");
    },
  },
  {
    name: "mailbox-range-wrap",
    description:
      "0x4802/0x4803 entries whose dpa + len wraps past 2^64: QEMU answers from an out-of-bounds bitmap read (undefined behaviour, answers vary)",
    matches(step) {
      return step.kind === "host" &&
        (step.command === "add-dc-response" || step.command === "release-dc") &&
        wraps(step.input["extents"], "dpa");
    },
  },
];

/**
 * The known classes still excluded when `included` names some to run anyway.
 *
 * @example
 * ```ts
 * import { activeExclusions, KNOWN_CRASHES } from "./exclusions.ts";
 * if (activeExclusions([]).length !== KNOWN_CRASHES.length) throw new Error();
 * ```
 *
 * @throws {RangeError} for a name that is not a known class, listing them.
 */
export function activeExclusions(included: readonly string[]): KnownCrash[] {
  for (const n of included) {
    if (!KNOWN_CRASHES.some((k) => k.name === n)) {
      throw new RangeError(
        `unknown known-crash class '${n}': expected one of ${
          KNOWN_CRASHES.map((k) => k.name).join(", ")
        }`,
      );
    }
  }
  return KNOWN_CRASHES.filter((k) => !included.includes(k.name));
}

/** The first active class a step belongs to, in this view. */
export function excludedBy(
  step: DiffStep,
  view: HostView,
  exclusions: readonly KnownCrash[],
): KnownCrash | undefined {
  return exclusions.find((k) => k.matches(step, view));
}
