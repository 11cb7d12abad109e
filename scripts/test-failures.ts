// The failed tests in node:test's spec output, for run-tests.ts's closing list.

/** Lines of an error kept in the list: its message, not its stack. */
const ERROR_LINES = 4;

/**
 * The tests in the spec reporter's "✖ failing tests:" section, one entry each: the test's place and
 * name (with its time), and the first lines of its error (up to the stack).
 */
export function failingTests(specOutput: string): string[] {
  const start = specOutput.lastIndexOf("\n✖ failing tests:");
  if (start < 0) return [];
  const section = specOutput.slice(start).split(/\n(?=Time per test file)/)[0];
  return section
    .split(/\n(?=test at )/)
    .slice(1)
    .map((block) => {
      const [place, name = "", ...rest] = block.trimEnd().split("\n");
      const stack = rest.findIndex((line) => /^\s+at /.test(line));
      const message = (stack < 0 ? rest : rest.slice(0, stack)).filter((line) => line.trim());
      const lines = message.slice(0, ERROR_LINES).map((line) => `    ${line.trim().slice(0, 300)}`);
      return [`${place.replace(/^test at /, "")} › ${name.replace(/^✖ /, "").trim()}`, ...lines].join("\n");
    });
}
