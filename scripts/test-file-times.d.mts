// Types of test-file-times.mjs for the TypeScript that imports it (test-failures.ts).
export const OUTSIDE_HEADING: string;
declare const fileTimes: (source: AsyncIterable<{ type: string; data: unknown }>) => AsyncGenerator<string>;
export default fileTimes;
