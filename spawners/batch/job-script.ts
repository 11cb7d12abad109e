// Renders a batch job script from one typed options object. Pure: no I/O, no clock, no env.
// Every inserted value is validated (strict patterns, bounded numbers) and what goes into shell
// lines is quoted; a value that could break out of a directive line or reach a shell is rejected.
import { AGENT_EOF, LAUNCHER_EOF, LAUNCHER_PY } from "./launcher";
import { assertSingleLine, quoteForBash, UnsafeValueError } from "./shell-quote";
import { PATTERNS, type BatchDialect, type JobScriptOptions } from "./types";

/** Bounds that hold whatever the admin configured (a template never sees a value outside them). */
export const HARD_LIMITS = {
  walltimeSeconds: { min: 60, max: 366 * 86400 },
  cores: { min: 1, max: 4096 },
  memoryBytes: { min: 2 ** 20, max: 2 ** 46 },
  gpus: { min: 0, max: 64 },
} as const;

const JOB_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,62}$/;
const COMMAND = /^(?!-)(?!.*\.\.)[A-Za-z0-9_./+-]+$/;

function checkInt(field: keyof typeof HARD_LIMITS, v: number | undefined, optional: boolean): void {
  if (v === undefined && optional) return;
  const { min, max } = HARD_LIMITS[field];
  if (!Number.isInteger(v) || v! < min || v! > max) throw new UnsafeValueError(field, `must be an integer in ${min}..${max}`);
}

function checkPattern(field: string, v: string | undefined, re: RegExp, optional = true): void {
  if (v === undefined && optional) return;
  if (typeof v !== "string" || !re.test(v)) throw new UnsafeValueError(field, `"${String(v).slice(0, 40)}" is not allowed (pattern ${re.source})`);
}

/** Throw UnsafeValueError (naming the field) unless every value may reach the template. */
export function validateJobScriptOptions(o: JobScriptOptions): void {
  checkPattern("jobName", o.jobName, JOB_NAME, false);
  checkPattern("workDir", o.workDir, PATTERNS.path, false);
  checkPattern("logPath", o.logPath, PATTERNS.path, false);
  checkPattern("pythonCommand", o.pythonCommand, COMMAND, false);
  checkPattern("pythonEnvironment", o.pythonEnvironment, PATTERNS.path);
  const r = o.resources;
  checkPattern("queue", r.queue, PATTERNS.name);
  checkPattern("account", r.account, PATTERNS.name);
  checkPattern("parallelEnvironment", r.parallelEnvironment, PATTERNS.name);
  checkInt("walltimeSeconds", r.walltimeSeconds, false);
  checkInt("cores", r.cores, false);
  checkInt("memoryBytes", r.memoryBytes, true);
  checkInt("gpus", r.gpus, true);
  for (const d of r.extraDirectives ?? []) assertSingleLine("extraDirectives", d);
  for (const line of o.prologue) assertSingleLine("prologue", line);
  for (const [k, v] of Object.entries(o.env)) {
    checkPattern("env name", k, PATTERNS.envName, false);
    assertSingleLine(`env ${k}`, v);
  }
  for (const a of o.serverArgs) assertSingleLine("serverArgs", a);
  if (o.agentBootstrap !== undefined) {
    if (o.agentBootstrap.split("\n").includes(AGENT_EOF)) throw new UnsafeValueError("agentBootstrap", `must not contain a line "${AGENT_EOF}"`);
    if (!o.env.GYRE_LAUNCH_SPEC || !o.env.GYRE_LAUNCH_RESULT)
      throw new UnsafeValueError("agentBootstrap", "needs GYRE_LAUNCH_SPEC and GYRE_LAUNCH_RESULT in env");
  }
}

/**
 * The job script for `dialect`: directives, exports, the admin's prologue, then the launcher
 * (bind → Jupyter → callback). Secrets are NOT in it: they come through the submit environment.
 */
export function renderJobScript(dialect: BatchDialect, o: JobScriptOptions): string {
  validateJobScriptOptions(o);
  const directives = [...dialect.renderDirectives(o), ...(o.resources.extraDirectives ?? [])].map((d) => `${dialect.directivePrefix} ${d}`);
  const exports = Object.entries(o.env).map(([k, v]) => `export ${k}=${quoteForBash(v, `env ${k}`)}`);
  const args = o.serverArgs.map((a) => quoteForBash(a, "serverArgs")).join(" ");
  return [
    "#!/bin/bash",
    ...directives,
    "# Jupyter server job rendered by Gyre (spawners/batch/job-script.ts).",
    `cd ${quoteForBash(o.workDir)} || exit 1`,
    `export GYRE_JOB_ID="${dialect.jobIdVariable}"`,
    ...(o.pythonEnvironment ? [`export PATH=${quoteForBash(o.pythonEnvironment + "/bin")}:"$PATH"`] : []),
    ...exports,
    ...(o.prologue.length ? ["# prologue (admin-defined)", ...o.prologue] : []),
    ...(o.agentBootstrap !== undefined
      ? [
          "# launch: fetch the repository and prepare its environment, as the user, on this node (spawners/agent)",
          `${quoteForBash(o.pythonCommand)} - prepare --spec-file "$GYRE_LAUNCH_SPEC" --result-file "$GYRE_LAUNCH_RESULT" <<'${AGENT_EOF}' || exit 1`,
          o.agentBootstrap.trimEnd(),
          AGENT_EOF,
        ]
      : []),
    `exec ${quoteForBash(o.pythonCommand)} -${args ? " " + args : ""} <<'${LAUNCHER_EOF}'`,
    ...(o.agentZip ? [`_GYRE_AGENT_ZIP = """${base64Lines(o.agentZip)}"""`] : []),
    LAUNCHER_PY.trimEnd(),
    LAUNCHER_EOF,
    "",
  ].join("\n");
}

/** base64 in 76-character lines (no line can be a heredoc terminator: those have a "_"). */
function base64Lines(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join("\n");
}
