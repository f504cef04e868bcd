/**
 * The responder the CLI and deno-test self-tests give the fake target.
 *
 * @module
 */

import type { QmpObject } from "../../model/qmp_value.ts";
import { parseJson } from "../transcript/json.ts";

/** query-status → running; anything else → CommandNotFound. */
export function respond(line: string): QmpObject[] {
  const v = parseJson(line) as QmpObject;
  if (v.execute === "query-status") return [{ return: { status: "running", running: true } }];
  return [{
    error: {
      class: "CommandNotFound",
      desc: `The command ${String(v.execute)} has not been found`,
    },
  }];
}
