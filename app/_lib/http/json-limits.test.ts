import { test } from "node:test";
import assert from "node:assert/strict";
import { jsonNestsDeeperThan } from "./json-limits";

test("nesting depth is found without parsing; brackets in strings do not count (table-driven)", () => {
  const cases: Array<[text: string, max: number, deeper: boolean]> = [
    ["{}", 1, false],
    ["[[]]", 1, true],
    ['{"a":{"b":[1,2,{"c":3}]}}', 4, false],
    ['{"a":{"b":[1,2,{"c":3}]}}', 3, true],
    ['{"a":"[[[[[[[[[["}', 1, false],
    ['{"a":"\\"[[[[", "b": [[]]}', 2, true],
    ['"\\\\"', 0, false],
    ["[".repeat(100_000) + "]".repeat(100_000), 32, true],
  ];
  for (const [text, max, deeper] of cases) assert.equal(jsonNestsDeeperThan(text, max), deeper, text.slice(0, 40));
});
