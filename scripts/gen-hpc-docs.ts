// Fills the generated parts of docs/hpc.md: the job scripts the batch spawner submits for an
// example profile (Slurm and Grid Engine, taken from a real BatchSpawner run against the
// command-level stand-in scheduler, so they are exactly what the hub sends), the variables a site
// template may use, the built-in template, and the sudoers rule. `npm run docs:hpc`;
// scripts/gen-hpc-docs.test.ts fails when docs/hpc.md is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { batchSpawnerConfigSchema } from "@/spawners/batch/config";
import { BUILT_IN_TEMPLATE, TEMPLATE_VARIABLES } from "@/spawners/batch/job-script";
import { LAUNCHER_EOF } from "@/spawners/batch/launcher";
import { closeSharedPollers } from "@/spawners/batch/poller";
import { BatchSpawner } from "@/spawners/batch/spawner";
import { renderSudoersRule } from "@/spawners/batch/user-commands";
import { FakeBatchScheduler, FakeCallbackChannel } from "@/spawners/testing/fake-batch-scheduler";

export const HPC_DOC = "docs/hpc.md";

/** The example profile of docs/hpc.md, per scheduler. */
function exampleConfig(scheduler: "slurm" | "sge") {
  return batchSpawnerConfigSchema.parse({
    scheduler,
    pollIntervalSeconds: 3600,
    stopTimeoutSeconds: 5,
    portRange: "7050-7099",
    prologue: ['echo "job $GYRE_JOB_ID on $(hostname)"'],
    epilogue: ["rm -rf /tmp/$USER-dask-worker-space"],
    profiles: [
      {
        name: "pangeo",
        display: "4 cores, 16 GiB, 2 h",
        queue: scheduler === "slurm" ? "compute" : "all.q",
        account: "geo",
        walltimeSeconds: 7200,
        cores: 4,
        memoryBytes: "16G",
        pythonEnvironment: "/opt/conda/envs/pangeo",
        modules: ["git/2.39"],
      },
    ],
  });
}

/** The script the hub submits for user alice's default server with the example profile; the launcher's Python is elided. */
export async function exampleJobScript(scheduler: "slurm" | "sge"): Promise<string> {
  const fake = new FakeBatchScheduler();
  const channel = new FakeCallbackChannel();
  const log = { info() {}, warn() {}, error() {}, debug() {} };
  const sp = new BatchSpawner(
    {
      user: { name: "alice", osUser: "alice", admin: false, groups: [] },
      serverName: "",
      baseUrl: "/user/alice/",
      spawnId: "Xq3example",
      token: "not-in-the-script",
      apiToken: "not-in-the-script-either",
      hubUrl: "",
      options: {},
      env: {},
      log,
    },
    exampleConfig(scheduler),
    { channel, run: fake.run },
  );
  const started = sp.start().catch(() => undefined);
  for (let i = 0; i < 400 && !sp.jobId; i++) await new Promise((r) => setTimeout(r, 5));
  const script = fake.jobs.get(sp.jobId ?? "")?.script;
  await sp.stop();
  await started;
  closeSharedPollers();
  if (!script) throw new Error("the example job was not submitted");
  if (script.includes("not-in-the-script")) throw new Error("the token reached the job script");
  const start = script.indexOf(`<<'${LAUNCHER_EOF}' &\n`);
  const end = script.indexOf(`\n${LAUNCHER_EOF}\n`);
  if (start < 0 || end < 0) throw new Error("the launcher's here-document was not found");
  const head = script.slice(0, start + `<<'${LAUNCHER_EOF}' &\n`.length);
  return `${head}# … the launcher's Python (spawners/batch/launcher.ts): binds a port, starts jupyter_server, calls the hub back …${script.slice(end)}`;
}

/** The generated blocks of docs/hpc.md by name. */
export async function renderHpcBlocks(): Promise<Record<string, string>> {
  const fence = (lang: string, text: string) => `\`\`\`${lang}\n${text.replace(/\n*$/, "")}\n\`\`\``;
  const variables = Object.entries(TEMPLATE_VARIABLES).map(
    ([name, v]) => `| \`{{${name}}}\` | ${v.block ? "block (alone on its line)" : "value"} | ${v.description.replace(/\|/g, "\\|")} |`,
  );
  return {
    "slurm-script": fence("bash", await exampleJobScript("slurm")),
    "sge-script": fence("bash", await exampleJobScript("sge")),
    "built-in-template": fence("mustache", BUILT_IN_TEMPLATE),
    "template-variables": ["| Variable | Kind | What it renders |", "|---|---|---|", ...variables].join("\n"),
    sudoers: fence("sudoers", renderSudoersRule("gyre", ["slurm", "sge"])),
  };
}

/** `doc` with every `<!-- generated:NAME -->…<!-- /generated:NAME -->` block replaced; throws on an unknown or missing block. */
export function fillBlocks(doc: string, blocks: Record<string, string>): string {
  const seen = new Set<string>();
  const out = doc.replace(/<!-- generated:([a-z-]+) -->\n[\s\S]*?<!-- \/generated:\1 -->/g, (_, name: string) => {
    if (!Object.hasOwn(blocks, name)) throw new Error(`${HPC_DOC}: unknown generated block ${name}`);
    seen.add(name);
    return `<!-- generated:${name} -->\n${blocks[name]}\n<!-- /generated:${name} -->`;
  });
  const missing = Object.keys(blocks).filter((b) => !seen.has(b));
  if (missing.length) throw new Error(`${HPC_DOC}: no place for the generated blocks ${missing.join(", ")}`);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(HPC_DOC, fillBlocks(readFileSync(HPC_DOC, "utf8"), await renderHpcBlocks()));
  console.log(`wrote ${HPC_DOC}`);
}
