// Quoting for the few places where a value must appear inside a bash script (export lines, the
// launcher's argv in the job script). Pure. Values are validated first; quoting is the second line.

/** A value that may never appear in a script or a directive line. */
export class UnsafeValueError extends Error {
  constructor(
    readonly field: string,
    why: string,
  ) {
    super(`${field}: ${why}`);
    this.name = "UnsafeValueError";
  }
}

/**
 * Throw unless `value` is a single line without NUL/control characters: a newline would end a
 * directive line or an export and start a new shell command.
 */
export function assertSingleLine(field: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) throw new UnsafeValueError(field, "must be a single line without control characters");
  return value;
}

/**
 * Quote a value as ONE bash word that bash takes literally: single quotes, with each embedded
 * quote written as '\''. Nothing inside single quotes is special to bash ($, `, \, ;, globbing),
 * so `echo <quoted>` prints the value unchanged. Rejects control characters (see assertSingleLine).
 */
export function quoteForBash(value: string, field = "value"): string {
  assertSingleLine(field, value);
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** True when a prefix goes through ssh: some word of it is an `ssh` program (ssh, /usr/bin/ssh). */
export function isSshPrefix(prefix: readonly string[]): boolean {
  return prefix.some((w) => /(^|\/)ssh$/.test(w));
}

/**
 * The argv that runs `command` through `prefix`. sudo and env exec the words they get as argv;
 * ssh does not: it joins everything after the destination with spaces into ONE line that the
 * remote login shell parses again, so `a b`, `x|y` (squeue's format), `;` or `$()` would be split,
 * piped or run there. With an ssh prefix every command word is therefore quoted as one shell word
 * (single quotes read the same in sh, bash, zsh and csh); a word with a newline or control
 * character throws UnsafeValueError before anything runs. The prefix's own words are the admin's
 * and pass as written. One ssh hop only: ssh inside ssh would need a second level of quoting.
 */
export function prefixCommand(prefix: readonly string[], command: readonly string[]): string[] {
  if (!isSshPrefix(prefix)) return [...prefix, ...command];
  return [...prefix, ...command.map((w, i) => quoteForBash(w, `command word ${i + 1} for the ssh prefix`))];
}
