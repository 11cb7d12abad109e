import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fillBlocks, HPC_DOC, renderHpcBlocks } from "./gen-hpc-docs";

test("docs/hpc.md shows the job scripts, template variables and sudoers rule the code produces (npm run docs:hpc)", async () => {
  const doc = readFileSync(HPC_DOC, "utf8");
  assert.equal(doc, fillBlocks(doc, await renderHpcBlocks()));
});

test("the example scripts are what the spawner submits: directives, memory per scheduler, no secret", async () => {
  const blocks = await renderHpcBlocks();
  assert.match(blocks["slurm-script"], /^#SBATCH --mem=16384M$/m);
  assert.match(blocks["sge-script"], /^#\$ -l h_vmem=4096M$/m, "Grid Engine: per slot");
  assert.match(blocks["sge-script"], /^module load git\/2\.39$/m);
  assert.doesNotMatch(blocks["slurm-script"] + blocks["sge-script"], /not-in-the-script|JUPYTER_TOKEN=/);
});

test("fillBlocks refuses unknown blocks and blocks without a place", () => {
  assert.throws(() => fillBlocks("<!-- generated:nope -->\n<!-- /generated:nope -->", {}), /unknown generated block nope/);
  assert.throws(() => fillBlocks("nothing", { sudoers: "x" }), /no place for the generated blocks sudoers/);
  assert.equal(fillBlocks("a\n<!-- generated:x -->\nold\n<!-- /generated:x -->\nb", { x: "new" }), "a\n<!-- generated:x -->\nnew\n<!-- /generated:x -->\nb");
});
