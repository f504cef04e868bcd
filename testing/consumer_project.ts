/**
 * The README's "Using the package from another Deno project", as files: its
 * `deno.json` block with the checkout's path put in, and its script.
 *
 * @module
 */

import { relative } from "node:path";

/** The repository this module is in. */
export const CHECKOUT: string = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** The README section that shows how another project uses the package. */
export const SECTION = "## Using the package from another Deno project";

/** The fenced blocks of one language in a README section, in order. */
export function sectionBlocks(readme: string, heading: string, lang: string): string[] {
  const start = readme.indexOf(`${heading}\n`);
  if (start < 0) throw new Error(`README has no section '${heading}'`);
  const next = readme.indexOf("\n## ", start + heading.length);
  const body = readme.slice(start, next < 0 ? undefined : next);
  return [...body.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);
}

/**
 * The README's project files for a project in `projectDir`: its deno.json
 * with `../cxl-dcd-conformance/` pointing at this checkout, and main.ts.
 */
export async function consumerFiles(projectDir: string): Promise<{ config: string; main: string }> {
  const readme = await Deno.readTextFile(`${CHECKOUT}/README.md`);
  const [config] = sectionBlocks(readme, SECTION, "json");
  const [main] = sectionBlocks(readme, SECTION, "ts");
  if (config === undefined || main === undefined) {
    throw new Error(`README section '${SECTION}': expected a json block and a ts block`);
  }
  const checkout = relative(projectDir, CHECKOUT);
  return { config: config.replaceAll("../cxl-dcd-conformance/", `${checkout}/`), main };
}
