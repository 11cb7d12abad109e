// Renders a batch job script from one typed options object and a Mustache template: Gyre's
// built-in one, or the site's own (spawner.batch.jobScriptTemplate), checked by
// checkJobScriptTemplate when the hub starts. Pure: no I/O, no clock, no env.
// Every inserted value is validated (strict patterns, bounded numbers) and what goes into shell
// lines is quoted; a value that could break out of a directive line or reach a shell is rejected.
import Mustache from "mustache";
import { AGENT_EOF, LAUNCHER_EOF, LAUNCHER_PY } from "./launcher";
import { assertSingleLine, quoteForBash, UnsafeValueError } from "./shell-quote";
import { formatHms, HARD_LIMITS, PATTERNS, type BatchDialect, type JobScriptOptions } from "./types";

export { HARD_LIMITS };

const JOB_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,62}$/;
const MODULE = /^[A-Za-z0-9][A-Za-z0-9_.+/@:-]{0,127}$/;

/** The line a job's log ends with once the server exited; the hub reads the status from it. */
export const EXIT_STATUS_MARKER = "[gyre-job] the server exited with status";

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
  checkPattern("pythonCommand", o.pythonCommand, PATTERNS.command, false);
  checkPattern("pythonEnvironment", o.pythonEnvironment, PATTERNS.path);
  const r = o.resources;
  checkPattern("queue", r.queue, PATTERNS.name);
  checkPattern("account", r.account, PATTERNS.name);
  checkPattern("parallelEnvironment", r.parallelEnvironment, PATTERNS.name);
  checkInt("walltimeSeconds", r.walltimeSeconds, false);
  checkInt("cores", r.cores, false);
  checkInt("memoryBytes", r.memoryBytes, true);
  checkInt("gpus", r.gpus, true);
  for (const m of o.modules ?? []) checkPattern("modules", m, MODULE, false);
  for (const d of r.extraDirectives ?? []) assertSingleLine("extraDirectives", d);
  for (const line of [...o.prologue, ...(o.epilogue ?? [])]) assertSingleLine("prologue/epilogue", line);
  for (const [k, v] of Object.entries(o.env)) {
    checkPattern("env name", k, PATTERNS.envName, false);
    assertSingleLine(`env ${k}`, v);
  }
  for (const a of o.serverArgs) assertSingleLine("serverArgs", a);
  for (const [k, v] of Object.entries(o.labels ?? {})) checkPattern(k, v, PATTERNS.name, false);
  if (o.agentBootstrap !== undefined) {
    if (o.agentBootstrap.split("\n").includes(AGENT_EOF)) throw new UnsafeValueError("agentBootstrap", `must not contain a line "${AGENT_EOF}"`);
    if (!o.env.GYRE_LAUNCH_SPEC || !o.env.GYRE_LAUNCH_RESULT)
      throw new UnsafeValueError("agentBootstrap", "needs GYRE_LAUNCH_SPEC and GYRE_LAUNCH_RESULT in env");
  }
}

/** A variable a job-script template may use: a block of whole lines, or one value. */
interface TemplateVariable {
  block: boolean;
  /** what docs/hpc.md says about it */
  description: string;
}

/**
 * The variables of a job-script template. Blocks stand alone on their line and render zero or
 * more whole lines; values are single-line text (empty when unset, so `{{#queue}}…{{/queue}}`
 * writes a line only when there is a queue).
 */
export const TEMPLATE_VARIABLES: Readonly<Record<string, TemplateVariable>> = {
  shebang: { block: true, description: "`#!/bin/bash`, or `#!/bin/bash -l` with loginShell on schedulers that run the script by its #! line" },
  directives: {
    block: true,
    description: "Gyre's directive lines for the scheduler (job name, log, working directory, resources), then the profile's extraDirectives",
  },
  setup: {
    block: true,
    description:
      "mandatory: the login-shell re-exec (Grid Engine with loginShell), `cd` to the working directory, the exports the launcher needs, the Python environment's PATH, spawner.batch.env and Dask's settings",
  },
  modules: { block: true, description: "one `module load <name>` line per configured module" },
  prologue: { block: true, description: "the section's prologue lines, then the profile's" },
  launcher: {
    block: true,
    description:
      "mandatory: for a launch link, prepares the repository first; then runs the Python launcher (binds a port, starts jupyter_server or jupyterhub-singleuser (spawner.batch.command) with Gyre's extension, calls the hub back), waits for it and logs its exit status",
  },
  epilogue: { block: true, description: "the profile's epilogue lines, then the section's, then `exit` with the server's status" },
  jobName: { block: false, description: 'the job name, "gyre-<user>[-S-<server>]" (long names end in a hash; spawners/batch/job-name.ts)' },
  logPath: { block: false, description: "the job's stdout+stderr file (the hub reads it)" },
  workDir: { block: false, description: "the directory the job runs in" },
  queue: { block: false, description: "queue or partition (empty when unset)" },
  account: { block: false, description: "account or project (empty when unset)" },
  walltime: { block: false, description: "walltime as HH:MM:SS" },
  walltimeSeconds: { block: false, description: "walltime in seconds" },
  walltimeMinutes: { block: false, description: "walltime in whole minutes (rounded up)" },
  cores: { block: false, description: "cores" },
  memoryBytes: { block: false, description: "memory for the whole job in bytes (empty when unset)" },
  memoryMegabytes: { block: false, description: "memory for the whole job in MiB, rounded up (empty when unset)" },
  memoryPerCoreMegabytes: { block: false, description: "memory per core in MiB, rounded up (Grid Engine's h_vmem is per slot; empty when unset)" },
  gpus: { block: false, description: "GPUs (empty when 0)" },
  parallelEnvironment: { block: false, description: 'Grid Engine parallel environment ("smp" unless the profile names one)' },
  directivePrefix: { block: false, description: "`#SBATCH`, `#$`, `#PBS` or `#BSUB`" },
  jobIdVariable: { block: false, description: "the shell expression of the job id in the job, e.g. `$SLURM_JOB_ID`" },
  pythonCommand: { block: false, description: "the interpreter the launcher runs with" },
  pythonEnvironment: { block: false, description: "the Python environment prefix (empty when unset)" },
  user: { block: false, description: "the hub user name" },
  osUser: { block: false, description: "the OS account the job runs as" },
  profile: { block: false, description: "the profile's name" },
  cluster: { block: false, description: "the cluster's name" },
  scheduler: { block: false, description: "sge, slurm, pbs or lsf" },
};

/** Gyre's own job script, as a template: what a site's template starts from (docs/hpc.md shows it). */
export const BUILT_IN_TEMPLATE = `{{shebang}}
{{directives}}
# Jupyter server job rendered by Gyre (spawners/batch/job-script.ts).
{{setup}}
{{modules}}
{{prologue}}
{{launcher}}
{{epilogue}}
`;

const BLOCK_SENTINEL = "\u0000gyre-block:";

/** A problem in a job-script template, with its 1-based line. */
export interface TemplateProblem {
  line: number;
  message: string;
}

type Token = [string, string, number, number, Token[]?];

/**
 * The problems of a job-script template (none: usable): unknown variables, partials, blocks not
 * alone on their line, a missing or repeated {{launcher}} / {{setup}}, no log path, no #! line.
 * `needs` lists blocks that must appear because the config fills them (modules, prologue, epilogue).
 */
export function checkJobScriptTemplate(template: string, needs: readonly string[] = []): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const lineOf = (offset: number) => template.slice(0, offset).split("\n").length;
  let tokens: Token[];
  try {
    tokens = Mustache.parse(template) as Token[];
  } catch (err) {
    const msg = (err as Error).message;
    // an unclosed section is reported at the end of the text: point at where it opens
    const section = /Unclosed section "([^"]+)"/.exec(msg);
    const opened = section ? template.search(new RegExp(`\\{\\{\\s*[#^]\\s*${section[1].replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*\\}\\}`)) : -1;
    const at = /at (\d+)/.exec(msg);
    const line = opened >= 0 ? lineOf(opened) : at ? lineOf(Number(at[1])) : 1;
    return [{ line, message: `not a valid Mustache template: ${msg.replace(/ at \d+$/, "")}` }];
  }
  const seen = new Map<string, number[]>();
  const walk = (list: Token[], inSection: boolean) => {
    for (const t of list) {
      const [type, value, start] = t;
      if (type === "text") continue;
      const line = lineOf(start);
      if (type === ">" || type === "=") {
        problems.push({ line, message: type === ">" ? `partials ({{> ${value}}}) are not supported` : "changing the delimiters is not supported" });
        continue;
      }
      if (type === "!") continue;
      const v = TEMPLATE_VARIABLES[value];
      if (!v) {
        problems.push({
          line,
          message: `unknown variable {{${value}}} (the variables are listed in docs/hpc.md: ${Object.keys(TEMPLATE_VARIABLES).join(", ")})`,
        });
      } else if (v.block) {
        if (type !== "name" && type !== "&" && type !== "{") problems.push({ line, message: `{{${value}}} is a block of lines; it cannot open a section` });
        else if (inSection) problems.push({ line, message: `{{${value}}} cannot be inside a section` });
        else if (!standsAlone(template, start, t[3])) problems.push({ line, message: `{{${value}}} must stand alone on its line` });
        seen.set(value, [...(seen.get(value) ?? []), line]);
      } else seen.set(value, [...(seen.get(value) ?? []), line]);
      if (t[4]) walk(t[4], true);
    }
  };
  walk(tokens, false);
  for (const mandatory of ["setup", "launcher"]) {
    const at = seen.get(mandatory) ?? [];
    if (at.length === 0) problems.push({ line: 1, message: `{{${mandatory}}} is missing: ${TEMPLATE_VARIABLES[mandatory].description}` });
    if (at.length > 1) problems.push({ line: at[1], message: `{{${mandatory}}} appears more than once (lines ${at.join(", ")})` });
  }
  const setupAt = seen.get("setup")?.[0];
  const launcherAt = seen.get("launcher")?.[0];
  if (setupAt && launcherAt && setupAt > launcherAt) problems.push({ line: launcherAt, message: "{{launcher}} must come after {{setup}}" });
  if (!seen.has("directives") && !seen.has("logPath"))
    problems.push({ line: 1, message: "neither {{directives}} nor {{logPath}} appears: the job's output must go to the log the hub reads" });
  if (!template.startsWith("#!") && !template.startsWith("{{shebang}}")) problems.push({ line: 1, message: "the first line must be {{shebang}} or a #! line" });
  for (const block of needs) {
    if (!seen.has(block)) problems.push({ line: 1, message: `{{${block}}} is missing, but the configuration sets ${block} for jobs that use this template` });
  }
  return problems;
}

function standsAlone(template: string, start: number, end: number): boolean {
  const lineStart = template.lastIndexOf("\n", start - 1) + 1;
  const nl = template.indexOf("\n", end);
  const lineEnd = nl < 0 ? template.length : nl;
  return template.slice(lineStart, start).trim() === "" && template.slice(end, lineEnd).trim() === "";
}

/** Thrown when a template that was not checked cannot be used. */
export class JobScriptTemplateError extends Error {
  name = "JobScriptTemplateError";
}

/**
 * The job script for `dialect`: directives, setup, modules, prologue, the launcher (bind →
 * Jupyter → callback, then its exit status), the epilogue. Secrets are NOT in it: the launcher
 * reads them from the secret file. `template` defaults to the built-in script.
 */
export function renderJobScript(dialect: BatchDialect, o: JobScriptOptions, template = BUILT_IN_TEMPLATE): string {
  validateJobScriptOptions(o);
  const problems = template === BUILT_IN_TEMPLATE ? [] : checkJobScriptTemplate(template);
  if (problems.length) throw new JobScriptTemplateError(problems.map((p) => `line ${p.line}: ${p.message}`).join("; "));
  const r = o.resources;
  const blocks: Record<string, string[]> = {
    shebang: [o.loginShell && dialect.loginShellBy === "shebang" ? "#!/bin/bash -l" : "#!/bin/bash"],
    directives: [...dialect.renderDirectives(o), ...(r.extraDirectives ?? [])].map((d) => `${dialect.directivePrefix} ${d}`),
    setup: renderSetup(dialect, o),
    modules: (o.modules ?? []).map((m) => `module load ${m}`),
    prologue: o.prologue.length ? ["# prologue (admin-defined)", ...o.prologue] : [],
    launcher: renderLauncher(o),
    epilogue: [...((o.epilogue ?? []).length ? ["# epilogue (admin-defined)", ...o.epilogue!] : []), 'exit "$GYRE_SERVER_STATUS"'],
  };
  const mb = (n: number) => String(Math.ceil(n / 2 ** 20));
  const view: Record<string, string> = {
    jobName: o.jobName,
    logPath: o.logPath,
    workDir: o.workDir,
    queue: r.queue ?? "",
    account: r.account ?? "",
    walltime: formatHms(r.walltimeSeconds),
    walltimeSeconds: String(r.walltimeSeconds),
    walltimeMinutes: String(Math.ceil(r.walltimeSeconds / 60)),
    cores: String(r.cores),
    memoryBytes: r.memoryBytes ? String(r.memoryBytes) : "",
    memoryMegabytes: r.memoryBytes ? mb(r.memoryBytes) : "",
    memoryPerCoreMegabytes: r.memoryBytes ? mb(r.memoryBytes / r.cores) : "",
    gpus: r.gpus ? String(r.gpus) : "",
    parallelEnvironment: r.parallelEnvironment ?? "smp",
    directivePrefix: dialect.directivePrefix,
    jobIdVariable: dialect.jobIdVariable,
    pythonCommand: o.pythonCommand,
    pythonEnvironment: o.pythonEnvironment ?? "",
    user: o.labels?.user ?? "",
    osUser: o.labels?.osUser ?? "",
    profile: o.labels?.profile ?? "",
    cluster: o.labels?.cluster ?? "",
    scheduler: dialect.kind,
  };
  for (const name of Object.keys(blocks)) view[name] = BLOCK_SENTINEL + name;
  const rendered = Mustache.render(template, view, {}, { escape: (s: string) => s });
  const out: string[] = [];
  for (const line of rendered.split("\n")) {
    const i = line.indexOf(BLOCK_SENTINEL);
    if (i < 0) out.push(line);
    else out.push(...blocks[line.slice(i + BLOCK_SENTINEL.length).trim()]);
  }
  return out.join("\n").replace(/\n*$/, "\n");
}

function renderSetup(dialect: BatchDialect, o: JobScriptOptions): string[] {
  const lines: string[] = [];
  if (o.loginShell && dialect.loginShellBy === "reexec") {
    // the queue's shell may already be a login shell (login_shells in `qconf -sconf`)
    lines.push('shopt -q login_shell || exec /bin/bash -l "$0" "$@"');
  }
  lines.push(`cd ${quoteForBash(o.workDir)} || exit 1`, `export GYRE_JOB_ID="${dialect.jobIdVariable}"`);
  if (o.pythonEnvironment) lines.push(`export PATH=${quoteForBash(o.pythonEnvironment + "/bin")}:"$PATH"`);
  for (const [k, v] of Object.entries(o.env)) lines.push(`export ${k}=${quoteForBash(v, `env ${k}`)}`);
  return lines;
}

/**
 * The launcher in the background and a wait: a TERM from the scheduler (scancel, Slurm's walltime)
 * reaches bash too, and bash runs the epilogue only if it outlives the server.
 */
function renderLauncher(o: JobScriptOptions): string[] {
  const args = o.serverArgs.map((a) => quoteForBash(a, "serverArgs")).join(" ");
  return [
    ...(o.agentBootstrap !== undefined
      ? [
          "# launch: fetch the repository and prepare its environment, as the user, on this node (spawners/agent)",
          `${quoteForBash(o.pythonCommand)} - prepare --spec-file "$GYRE_LAUNCH_SPEC" --result-file "$GYRE_LAUNCH_RESULT" <<'${AGENT_EOF}' || exit 1`,
          o.agentBootstrap.trimEnd(),
          AGENT_EOF,
        ]
      : []),
    `${quoteForBash(o.pythonCommand)} -${args ? " " + args : ""} <<'${LAUNCHER_EOF}' &`,
    ...(o.agentZip ? [`_GYRE_AGENT_ZIP = """${base64Lines(o.agentZip)}"""`] : []),
    LAUNCHER_PY.trimEnd(),
    LAUNCHER_EOF,
    "GYRE_SERVER_PID=$!",
    `trap 'kill -TERM "$GYRE_SERVER_PID" 2>/dev/null' TERM INT`,
    'wait "$GYRE_SERVER_PID"; GYRE_SERVER_STATUS=$?',
    // a trapped signal ends the first wait early; the second collects the server's own status
    'if kill -0 "$GYRE_SERVER_PID" 2>/dev/null; then wait "$GYRE_SERVER_PID"; GYRE_SERVER_STATUS=$?; fi',
    `echo "${EXIT_STATUS_MARKER} $GYRE_SERVER_STATUS" >&2`,
  ];
}

/** base64 in 76-character lines (no line can be a heredoc terminator: those have a "_"). */
function base64Lines(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join("\n");
}
