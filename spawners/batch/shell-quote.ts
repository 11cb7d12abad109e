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
