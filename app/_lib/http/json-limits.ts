// Limits on JSON request bodies, checked before a body is parsed. Pure.

/** Largest request body any hub endpoint reads (the Express entry refuses a larger Content-Length up front). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Deepest nesting of arrays and objects a JSON body may have. */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether `text` nests arrays/objects deeper than `maxDepth`, found without parsing. V8's
 * JSON.parse accepts 100,000 levels, but storing such a value (JSON.stringify) or any recursive
 * walk of it then fails with a RangeError (stack overflow): refused before it gets that far.
 * Brackets inside strings do not count.
 */
export function jsonNestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
