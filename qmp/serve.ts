/**
 * `serve`: runs the model as if it were a QEMU process, answering QMP on the
 * sockets its `-qmp` options name (`serve --help` says everything).
 *
 * ```text
 * deno task serve --profile seed --host accept -- \
 *   -M q35,cxl=on -m 2G,maxmem=8G,slots=4 ... -qmp unix:qmp.sock,server=on,wait=off
 * ```
 *
 * This entry point only loads the command, `serve_main.ts`: from its bundle
 * cache (`.cache/serve/`) while that is fresh, else from source
 * (see `serve_cache.ts`). Programs use `main` from `serve_main.ts`.
 *
 * @module
 */

import { enterInvocationDir } from "./command_line.ts";
import { runServe } from "./serve_cache.ts";

if (import.meta.main) {
  // `deno task serve` runs in the repository root: socket paths mean the user's directory.
  enterInvocationDir(decodeURIComponent(new URL("..", import.meta.url).pathname));
  Deno.exit(
    await runServe(Deno.args, {
      entry: new URL("./serve_main.ts", import.meta.url),
      dir: new URL("../.cache/serve/", import.meta.url),
    }),
  );
}
