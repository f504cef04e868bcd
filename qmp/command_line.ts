/**
 * What the project's commands (`serve`, `conform`, `record`, `lint`) share
 * about their command lines: the directory the user invoked them from (which
 * `deno task` hides by running every task in the repository root), and the
 * nearest known option to a misspelt one.
 *
 * @module
 */

/**
 * The directory the user typed the command in. `deno task` runs a task in
 * the directory of its `deno.json` (`taskRoot`) and says where it was
 * invoked in `INIT_CWD` (keeping one inherited from npm or an outer task):
 * when the process runs in `taskRoot` and `INIT_CWD` names an existing
 * directory it may read, that; else the current directory (a command run
 * directly, `deno run ...`, from anywhere else). Relative paths the user
 * gives resolve here.
 *
 * @param taskRoot the directory holding the `deno.json` whose tasks run the
 *   command; without it, `INIT_CWD` is honoured wherever the process runs
 *
 * @example
 * ```ts
 * import { invocationDir } from "./command_line.ts";
 * if (invocationDir("/nonexistent") !== Deno.cwd()) throw new Error("not run by that task");
 * ```
 */
export function invocationDir(taskRoot?: string): string {
  if (taskRoot !== undefined && taskRoot.replace(/\/+$/, "") !== Deno.cwd()) return Deno.cwd();
  let dir: string | undefined;
  // Asking first: a bare Deno.env.get would prompt on a terminal without --allow-env.
  if (Deno.permissions.querySync({ name: "env", variable: "INIT_CWD" }).state === "granted") {
    dir = Deno.env.get("INIT_CWD");
  }
  if (dir !== undefined && dir !== "") {
    try {
      if (Deno.statSync(dir).isDirectory) return dir;
    } catch {
      // gone or unreadable: fall back to the current directory
    }
  }
  return Deno.cwd();
}

/**
 * Makes the invocation directory (see {@linkcode invocationDir}) the current
 * one, so that every relative path on the command line (fixtures,
 * `--output`, socket paths, a relative `--qemu`) means what it means in the
 * user's shell. For command entry points only: it changes the whole
 * process's directory.
 *
 * @example
 * ```ts ignore
 * import { enterInvocationDir } from "./command_line.ts";
 * if (import.meta.main) enterInvocationDir(new URL("..", import.meta.url).pathname);
 * ```
 */
export function enterInvocationDir(taskRoot?: string): void {
  const dir = invocationDir(taskRoot);
  if (dir !== Deno.cwd()) Deno.chdir(dir);
}

/** Edit distance between two words (insertions, deletions, substitutions, adjacent swaps). */
function distance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const up = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(up[j]! + 1, row[j - 1]! + 1, up[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * The candidate closest to `word`, when one is close enough to be what the
 * user meant (a prefix of it, or at most about one edit in three letters).
 *
 * @example
 * ```ts
 * import { nearest } from "./command_line.ts";
 * if (nearest("fitler", ["filter", "fail-fast", "shard"]) !== "filter") throw new Error();
 * if (nearest("zzz", ["filter"]) !== undefined) throw new Error();
 * ```
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(word) && word.length >= 3 ? 0.5 : distance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}
