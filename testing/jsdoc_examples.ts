/**
 * The imports of the JSDoc examples: every `import { ... } from "..."` in a
 * fenced code block of a `/** ... *\/` comment of a non-test `.ts` file.
 *
 * @module
 */

import { dirname, join, normalize, relative } from "node:path";

/** One import statement of a JSDoc example. */
export interface ExampleImport {
  /** The file, relative to the scanned root. */
  file: string;
  /** The 1-based line of the file where the statement starts. */
  line: number;
  /** The imported names (before `as`), without `type`. */
  names: string[];
  /** The module specifier as written. */
  specifier: string;
  /** For a relative specifier: the module it names, relative to the root. */
  resolved?: string;
}

const IMPORT = /import(?:\s+type)?\s*\{([^}]*)\}\s*from\s+"([^"]+)"/g;

/** The imports of the JSDoc examples in one file's text. */
export function exampleImportsOf(file: string, text: string): ExampleImport[] {
  const out: ExampleImport[] = [];
  for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const body = comment[0];
    const fences = [...body.matchAll(/```/g)].map((m) => m.index);
    for (const m of body.matchAll(IMPORT)) {
      const opened = fences.filter((p) => p < m.index).length;
      if (opened % 2 === 0) continue; // prose, not code
      const at = comment.index + m.index;
      const names = m[1]!.replaceAll("*", " ").split(",").map((n) =>
        n.trim().replace(/^type\s+/, "").split(/\s+as\s+/)[0]!.trim()
      ).filter((n) => n !== "");
      const specifier = m[2]!;
      const entry: ExampleImport = {
        file,
        line: text.slice(0, at).split("\n").length,
        names,
        specifier,
      };
      if (specifier.startsWith(".")) entry.resolved = normalize(join(dirname(file), specifier));
      out.push(entry);
    }
  }
  return out;
}

/** The non-test `.ts` files under root (hidden directories skipped), relative to it. */
export async function sourceFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      const path = join(dir, e.name);
      if (e.isDirectory) await walk(path);
      else if (e.isFile && e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
        out.push(relative(root, path));
      }
    }
  };
  await walk(root);
  return out.sort();
}

/** The imports of every JSDoc example of the non-test `.ts` files under root. */
export async function exampleImports(root: string): Promise<ExampleImport[]> {
  const out: ExampleImport[] = [];
  for (const file of await sourceFiles(root)) {
    out.push(...exampleImportsOf(file, await Deno.readTextFile(join(root, file))));
  }
  return out;
}
