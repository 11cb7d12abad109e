import { test } from "node:test";
import assert from "node:assert/strict";
import { decideAdoption, type AdoptAction, type AdoptFacts } from "./adoption";

test("what a starting hub does with each server it finds (decision table)", () => {
  const rows: Array<[AdoptFacts, AdoptAction]> = [
    [{ state: "running", exited: false, answers: false, resumable: false }, "adopt"],
    [{ state: "running", exited: false, answers: false, resumable: true }, "adopt"],
    [{ state: "running", exited: true, answers: false, resumable: true }, "gone"],
    [{ state: "starting", exited: false, answers: true, resumable: true }, "ready"],
    [{ state: "starting", exited: false, answers: true, resumable: false }, "ready"],
    // a queued job or a process still coming up: followed again, never resubmitted
    [{ state: "starting", exited: false, answers: false, resumable: true }, "resume"],
    [{ state: "starting", exited: false, answers: false, resumable: false }, "restart"],
    // it ended while no hub watched: nothing to follow, start over
    [{ state: "starting", exited: true, answers: false, resumable: true }, "restart"],
    [{ state: "starting", exited: true, answers: true, resumable: true }, "restart"],
  ];
  for (const [facts, want] of rows) assert.equal(decideAdoption(facts), want, JSON.stringify(facts));
});
