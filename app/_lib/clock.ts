// The hub's clock for server components that show time-dependent text (a batch job's time left):
// rendered once per request on the server and handed to client components as a prop, so the
// client's first render matches the server's.
export function renderTimeMs(): number {
  return Date.now();
}
