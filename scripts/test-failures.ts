// The failed tests in node:test's spec output, for run-tests.ts's closing list.
import { OUTSIDE_HEADING } from "./test-file-times.mjs";

/** Lines of an error kept in the list: its message, not its stack. */
const ERROR_LINES = 4;

/**
 * The tests in the spec reporter's "✖ failing tests:" section, one entry each: the test's place and
 * name (with its time), and the first lines of its error (up to the stack). A file whose process
 * failed outside its tests is only 'test failed' there: its entry gets how the process ended, from
 * test-file-times.mjs's section on such files.
 */
export function failingTests(specOutput: string): string[] {
  const start = specOutput.lastIndexOf("\n✖ failing tests:");
  if (start < 0) return [];
  const section = specOutput.slice(start).split(/\n(?=Time per test file)/)[0];
  const outside = outsideTests(specOutput);
  return section
    .split(/\n(?=test at )/)
    .slice(1)
    .map((block) => {
      const [place, name = "", ...rest] = block.trimEnd().split("\n");
      const stack = rest.findIndex((line) => /^\s+at /.test(line));
      const message = (stack < 0 ? rest : rest.slice(0, stack)).filter((line) => line.trim());
      const lines = message.slice(0, ERROR_LINES).map((line) => `    ${line.trim().slice(0, 300)}`);
      const at = place.replace(/^test at /, "");
      const how = /:1:1$/.test(at) ? (outside.get(at.replace(/:1:1$/, "")) ?? []) : [];
      return [`${at} › ${name.replace(/^✖ /, "").trim()}`, ...lines, ...how.map((line) => `    ${line.slice(0, 600)}`)].join("\n");
    });
}

/** test-file-times.mjs's section: for each file that failed outside its tests, how its process ended. */
function outsideTests(output: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const start = output.lastIndexOf(`\n${OUTSIDE_HEADING}\n`);
  if (start < 0) return found;
  let file: string[] | undefined;
  for (const line of output.slice(start + OUTSIDE_HEADING.length + 2).split("\n")) {
    if (/^ {4}\S/.test(line)) file?.push(line.trim());
    else if (/^ {2}\S/.test(line)) found.set(line.trim(), (file = []));
    else break;
  }
  return found;
}
