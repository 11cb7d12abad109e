// readJson: every route handler's body goes through it, so every body is bounded while it is read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readJson } from "./route";
import { HttpError } from "./errors";
import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from "./json-limits";

/** A chunked body that never ends on its own; counts what was pulled from it. */
function endlessBody(chunkBytes = 64 * 1024): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const chunk = new Uint8Array(chunkBytes).fill(0x20);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { body, pulled: () => pulled };
}

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://hub/hub/api/x", { method: "POST", body, headers, duplex: "half" } as RequestInit);
const status = (want: number, re: RegExp) => (e: unknown) => e instanceof HttpError && e.status === want && re.test(e.message);

test("a chunked body is cut off as soon as it passes the limit (413), not read to its end", async () => {
  const { body, pulled } = endlessBody();
  await assert.rejects(readJson(post(body)), status(413, new RegExp(`larger than ${MAX_BODY_BYTES} bytes`)));
  assert.ok(pulled() <= MAX_BODY_BYTES + 3 * 64 * 1024, `read ${pulled()} bytes of an endless body`);
  const small = endlessBody(512);
  await assert.rejects(readJson(post(small.body), { maxBytes: 4096 }), status(413, /larger than 4096 bytes/));
  assert.ok(small.pulled() <= 4096 + 3 * 512);
});

test("a declared Content-Length over the limit is a 413 before anything is read", async () => {
  const { body, pulled } = endlessBody();
  const req = post(body, { "content-length": String(MAX_BODY_BYTES + 1) });
  await assert.rejects(readJson(req), status(413, /larger than/));
  assert.equal(pulled() <= 64 * 1024, true, "at most what the stream buffered before anyone asked");
});

test("deep nesting is a 400 naming the limit (JSON.stringify of 100k levels throws a RangeError: a 500 when stored)", async () => {
  const deep = '{"a":' + "[".repeat(100_000) + "]".repeat(100_000) + "}";
  await assert.rejects(readJson(post(deep)), status(400, new RegExp(`deeper than ${MAX_JSON_DEPTH} levels`)));
  assert.deepEqual(await readJson(post(JSON.stringify({ a: [[[1]]] }))), { a: [[[1]]] });
});

test("malformed JSON is a 400; an empty body is {}", async () => {
  await assert.rejects(readJson(post("{nope")), status(400, /not valid JSON/));
  assert.deepEqual(await readJson(post("")), {});
  assert.deepEqual(await readJson(new Request("http://hub/hub/api/x")), {});
});
