import { test } from "node:test";
import assert from "node:assert/strict";
import { SecretScrubber, isHtmlResponse } from "./secret-scrub";

const SECRET = "0123456789abcdef0123456789abcdef";

function scrubInPieces(text: string, sizes: number[]): string {
  const s = new SecretScrubber(Buffer.from(SECRET));
  const out: Buffer[] = [];
  let at = 0;
  for (const n of sizes) {
    out.push(s.push(Buffer.from(text.slice(at, at + n))));
    at += n;
  }
  out.push(s.push(Buffer.from(text.slice(at))), s.end());
  return Buffer.concat(out).toString();
}

test("every occurrence is removed, whatever the piece boundaries", () => {
  const page = `<body data-jupyter-api-token="${SECRET}"><a href="/user/a/?token=${SECRET}">x</a>${SECRET}${SECRET}</body>`;
  const want = `<body data-jupyter-api-token=""><a href="/user/a/?token=">x</a></body>`;
  assert.equal(scrubInPieces(page, []), want);
  for (let cut = 1; cut < page.length; cut += 3) assert.equal(scrubInPieces(page, [cut]), want, `one cut at ${cut}`);
  assert.equal(scrubInPieces(page, Array<number>(page.length).fill(1)), want, "byte by byte");
});

test("text that only looks like the start of the secret is kept", () => {
  const page = `abc ${SECRET.slice(0, 31)}X and at the very end ${SECRET.slice(0, 10)}`;
  assert.equal(scrubInPieces(page, [5, 20, 7]), page);
  assert.equal(scrubInPieces(page, Array<number>(page.length).fill(1)), page);
});

test("only HTML responses are pages", () => {
  assert.equal(isHtmlResponse(["Content-Type", "text/html; charset=UTF-8"]), true);
  assert.equal(isHtmlResponse(["content-type", "TEXT/HTML"]), true);
  assert.equal(isHtmlResponse(["Content-Type", "application/json"]), false);
  assert.equal(isHtmlResponse(["X-Other", "text/html"]), false);
  assert.equal(isHtmlResponse([]), false);
});
