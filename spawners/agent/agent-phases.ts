// Reading the agent's progress lines: "[gyre-phase] {json}" (defined once, in
// spawners/agent/gyre_agent/phases.py; a test keeps the two in step). Pure. Other lines on the
// same stream are free text for the server log and are returned as null.
import { z } from "zod";

export const AGENT_PHASE_PREFIX = "[gyre-phase] ";

const text = z.string();
const environmentSchema = z
  .object({
    key: z.string(),
    prefix: z.string(),
    python: z.string(),
    kind: z.enum(["venv", "conda"]),
    kernelName: z.string(),
    jupyterPath: z.string(),
    files: z.array(z.string()),
    builtAt: z.number(),
    buildSeconds: z.number(),
  })
  .passthrough();

/** What `prepare` hands the spawner: how to start the server for this launch. */
export const preparedResultSchema = z.object({
  /** the per-launch folder: the server's root directory */
  dir: text,
  commit: text,
  /** null: no environment was built, the server's own is used */
  environment: environmentSchema.nullable(),
  /** variables to set for the server; JUPYTER_PATH goes FIRST on any existing JUPYTER_PATH */
  serverEnv: z.record(z.string(), z.string()),
});
export type PreparedResult = z.infer<typeof preparedResultSchema>;

export const agentEventSchema = z.discriminatedUnion("phase", [
  z.object({ phase: z.literal("fetching"), message: text }),
  z.object({ phase: z.literal("fetched"), message: text, commit: text, dir: text, reused: z.boolean(), seconds: z.number() }),
  z.object({ phase: z.literal("building"), message: text }),
  z.object({ phase: z.literal("built"), message: text, cached: z.boolean(), key: z.string().nullable(), seconds: z.number().optional() }),
  z.object({ phase: z.literal("warning"), message: text }),
  z.object({ phase: z.literal("merging"), message: text }),
  z.object({ phase: z.literal("prepared"), message: text, result: preparedResultSchema }),
  z.object({ phase: z.literal("pulled"), message: text, dir: text, commit: text, branch: text }),
  z.object({ phase: z.literal("failed"), message: text, reason: text, logTail: text.optional() }),
]);
export type AgentEvent = z.infer<typeof agentEventSchema>;
export type AgentPhase = AgentEvent["phase"];

/** The phase names, in the order the agent's docs list them (checked against phases.py). */
export const AGENT_PHASES: readonly AgentPhase[] = ["fetching", "fetched", "building", "built", "warning", "merging", "prepared", "pulled", "failed"];

/**
 * The event on a phase line; null for any other line. A line that has the prefix but does not
 * parse (a newer agent, a truncated write) is returned as a warning rather than dropped.
 */
export function parseAgentLine(line: string): AgentEvent | null {
  const trimmed = line.replace(/\r?\n?$/, "");
  if (!trimmed.startsWith(AGENT_PHASE_PREFIX)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(trimmed.slice(AGENT_PHASE_PREFIX.length));
  } catch {
    return { phase: "warning", message: "The launch agent wrote a progress line that is not JSON." };
  }
  const parsed = agentEventSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const phase = (raw as { phase?: unknown } | null)?.phase;
  return {
    phase: "warning",
    message: `The launch agent wrote a progress line this hub does not understand (phase ${JSON.stringify(phase ?? null).slice(0, 40)}).`,
  };
}

/** Splits a byte stream's text into whole lines (a chunk may end mid-line). */
export class LineSplitter {
  private pending = "";

  /** Whole lines completed by `chunk`, without their line ends. */
  push(chunk: string): string[] {
    const text = this.pending + chunk;
    const lines = text.split("\n");
    this.pending = lines.pop() ?? "";
    return lines.map((l) => l.replace(/\r$/, ""));
  }

  /** The last line when the stream ends without a newline. */
  end(): string[] {
    const rest = this.pending;
    this.pending = "";
    return rest ? [rest] : [];
  }
}
