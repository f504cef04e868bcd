/**
 * Mailbox return codes by name, as transcripts write them (`SUCCESS`,
 * `INVALID_PA`, ...) or as hex (`0x0f`).
 *
 * @module
 */

import { ReturnCode } from "../../model/host_interface.ts";

const NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(ReturnCode).map(([name, code]) => [code, name]),
);

/**
 * The name of a return code (`SUCCESS`, `INVALID_INPUT`, ...) or, for a code
 * without a name, its two-digit hex form (`0x1f`).
 *
 * @example
 * ```ts
 * import { returnCodeName } from "@cxl-dcd/conformance/conformance";
 * if (returnCodeName(0x0f) !== "INVALID_PA") throw new Error();
 * if (returnCodeName(0x1f) !== "0x1f") throw new Error();
 * ```
 */
export function returnCodeName(rc: number): string {
  return NAMES.get(rc) ?? `0x${rc.toString(16).padStart(2, "0")}`;
}

/**
 * Parses a return code written as a name (`INVALID_PA`) or hex (`0x0f`).
 *
 * @example
 * ```ts
 * import { parseReturnCode } from "@cxl-dcd/conformance/conformance";
 * if (parseReturnCode("0x16") !== parseReturnCode("INVALID_PAYLOAD_LENGTH")) throw new Error();
 * ```
 */
export function parseReturnCode(text: string): number {
  const t = text.trim();
  if (/^0x[0-9a-fA-F]{1,4}$/.test(t)) return parseInt(t.slice(2), 16);
  const code = (ReturnCode as Record<string, number>)[t];
  if (code === undefined) {
    throw new SyntaxError(
      `unknown mailbox return code ${JSON.stringify(text)}: expected one of ${
        [...NAMES.values()].join(", ")
      } or hex such as 0x0f`,
    );
  }
  return code;
}
