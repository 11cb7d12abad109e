// Pure: which runtime-bus topics reach the other hub replicas, and how they travel in a
// PostgreSQL NOTIFY payload (app/_lib/replicas/hub-bus.ts does the I/O).

/**
 * Topics worth telling the other replicas: they carry no arguments (a listener re-reads the
 * database) and someone on another replica may be waiting for them.
 * - "wake": a start or stop request (the owner's spawn worker looks at once, not at its next tick)
 * - "bulk": a bulk admin job to claim
 * - "server:<id>": a server's state or progress changed (progress streams, a DELETE waiting for its stop)
 * - "batch-callback:<spawnId>": a batch job called back (the spawn waiting for it)
 * Anything else stays in its process; a message naming another topic is dropped, so whoever can
 * NOTIFY on the channel cannot emit "error" (which throws without a listener) or a topic with
 * arguments ("check-server" carries a callback).
 */
const SHARED_TOPIC = /^(?:wake|bulk|server:\d{1,15}|batch-callback:[A-Za-z0-9_-]{1,128})$/;

export function isSharedTopic(topic: string): boolean {
  return SHARED_TOPIC.test(topic);
}

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; stay well under. */
export const MAX_PAYLOAD_BYTES = 7000;

/**
 * The payloads announcing `topics` from `origin` (a random id of the sending process, so it can
 * ignore its own messages): "<origin> <topic> <topic> …", split so that none exceeds `maxBytes`.
 * Topics are ASCII and contain no spaces (isSharedTopic).
 */
export function encodeBusMessages(origin: string, topics: Iterable<string>, maxBytes = MAX_PAYLOAD_BYTES): string[] {
  const out: string[] = [];
  let current = origin;
  for (const topic of topics) {
    if (!isSharedTopic(topic)) continue;
    if (current.length + 1 + topic.length > maxBytes && current !== origin) {
      out.push(current);
      current = origin;
    }
    current += ` ${topic}`;
  }
  if (current !== origin) out.push(current);
  return out;
}

/** The sender and the topics of a payload; topics that are not shared ones are left out. */
export function decodeBusMessage(payload: string): { origin: string; topics: string[] } | null {
  const [origin, ...rest] = payload.split(" ");
  if (!origin) return null;
  return { origin, topics: rest.filter(isSharedTopic) };
}
