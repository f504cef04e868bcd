/**
 * Machine presets (`fixtures/machines/NAME.args`): QEMU arguments, one option
 * and its value per line; the value is the rest of the line (no quoting, so a
 * value may contain spaces); `#` lines and blank lines are comments.
 *
 * @module
 */

import { join } from "node:path";
import type { MachineSpec } from "./transcript/types.ts";

/**
 * Parses a preset file's text into arguments.
 *
 * @param text the preset file's text
 * @param file the name errors cite (default `"preset"`)
 *
 * @example
 * ```ts
 * import { parseMachineArgs } from "@cxl-dcd/conformance/conformance";
 * const a = parseMachineArgs("# c\n-m 2G,maxmem=8G\n-nographic\n");
 * if (a.join(" ") !== "-m 2G,maxmem=8G -nographic") throw new Error(a.join(" "));
 * ```
 *
 * @throws {SyntaxError} when a line does not start with an option (`-...`).
 */
export function parseMachineArgs(text: string, file?: string): string[] {
  file ??= "preset";
  const out: string[] = [];
  text.split("\n").forEach((raw, idx) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    if (!line.startsWith("-")) {
      throw new SyntaxError(
        `${file}:${
          idx + 1
        }: expected an option starting with '-' (one option and its value per line), found ${
          JSON.stringify(line.slice(0, 40))
        }`,
      );
    }
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (m === null) out.push(line);
    else out.push(m[1]!, m[2]!);
  });
  return out;
}

/** Loads machine presets from a directory, caching each file. */
export class MachinePresets {
  readonly #dir: string;
  readonly #cache = new Map<string, string[]>();
  /**
   * Creates a loader.
   *
   * @param dir directory holding `NAME.args` files
   */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The directory. */
  get dir(): string {
    return this.#dir;
  }

  /**
   * Arguments of a preset.
   *
   * @throws {Error} naming the preset and the directory when it does not exist.
   */
  async preset(name: string): Promise<string[]> {
    const hit = this.#cache.get(name);
    if (hit !== undefined) return hit;
    const file = join(this.#dir, `${name}.args`);
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new Error(
          `unknown machine preset '${name}': expected a file ${file} (one QEMU option per line)`,
        );
      }
      throw e;
    }
    const args = parseMachineArgs(text, file);
    this.#cache.set(name, args);
    return args;
  }

  /** Arguments for a transcript's machine header. */
  resolve(spec: MachineSpec): Promise<string[]> {
    return spec.kind === "inline" ? Promise.resolve([...spec.args]) : this.preset(spec.name);
  }
}

/** The default preset directory: `fixtures/machines` of this repository. */
export const DEFAULT_MACHINES_DIR: string =
  new URL("../fixtures/machines", import.meta.url).pathname;
