import assert from "node:assert/strict";
import { TargetClosedError, TargetTimeoutError } from "../target_types.ts";
import { MessageQueue } from "./message_queue.ts";

Deno.test("MessageQueue delivers messages in order to waiting and later receivers", async () => {
  const q = new MessageQueue();
  const first = q.receive(1000);
  q.push({ n: 1 });
  q.push({ n: 2 });
  assert.deepEqual(await first, { n: 1 });
  assert.deepEqual(await q.receive(10), { n: 2 });
});

Deno.test("MessageQueue.receive times out with TargetTimeoutError", async () => {
  await assert.rejects(() => new MessageQueue().receive(5), TargetTimeoutError);
});

Deno.test("MessageQueue drains queued messages before reporting the close", async () => {
  const q = new MessageQueue();
  q.push({ n: 1 });
  q.close("peer quit");
  assert.deepEqual(await q.receive(10), { n: 1 });
  await assert.rejects(() => q.receive(10), TargetClosedError);
});
