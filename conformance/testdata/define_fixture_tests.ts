// Run by deno_test_test.ts in a subprocess: the fixtures as Deno tests on the fake target.
import { defineFixtureTests } from "../deno_test.ts";
import { fakeTarget } from "./fake_target.ts";
import { respond } from "./fake_responder.ts";

const dir = new URL("./fixtures", import.meta.url).pathname;
await defineFixtureTests({
  target: fakeTarget({ respond }),
  fixtures: [dir],
  root: dir,
  expectations: Deno.env.get("EXPECT") === "none"
    ? new Map()
    : new URL("./expectations", import.meta.url).pathname,
  jobs: Number(Deno.env.get("JOBS") ?? "1"),
});
