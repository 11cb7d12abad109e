import assert from "node:assert/strict";
import { test } from "node:test";
import { parseQacct, parseQconfSel, parseQstatJobXml, parseQstatXml, SgeDialect } from "./sge";

// Literal output captured on Son of Grid Engine 8.1.9 (Debian 12's gridengine packages)
const PENDING = `<?xml version='1.0'?>
<job_info  xmlns:xsd="http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qstat/qstat.xsd">
  <queue_info>
  </queue_info>
  <job_info>
    <job_list state="pending">
      <JB_job_number>7</JB_job_number>
      <JAT_prio>0.75000</JAT_prio>
      <JB_name>smoke-server</JB_name>
      <JB_owner>sgetest</JB_owner>
      <state>qw</state>
      <JB_submission_time>2026-11-21T10:19:25</JB_submission_time>
      <queue_name></queue_name>
      <slots>1</slots>
    </job_list>
    <job_list state="pending">
      <JB_job_number>8</JB_job_number>
      <JAT_prio>0.25000</JAT_prio>
      <JB_name>smoke-server</JB_name>
      <JB_owner>sgetest</JB_owner>
      <state>qw</state>
      <JB_submission_time>2026-11-21T10:19:26</JB_submission_time>
      <queue_name></queue_name>
      <slots>1</slots>
    </job_list>
  </job_info>
</job_info>
`;

const RUNNING = `<?xml version='1.0'?>
<job_info  xmlns:xsd="http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qstat/qstat.xsd">
  <queue_info>
    <job_list state="running">
      <JB_job_number>8</JB_job_number>
      <JAT_prio>0.50000</JAT_prio>
      <JB_name>smoke-server</JB_name>
      <JB_owner>sgetest</JB_owner>
      <state>r</state>
      <JAT_start_time>2026-11-21T10:19:30</JAT_start_time>
      <queue_name>all.q@vm</queue_name>
      <slots>1</slots>
    </job_list>
  </queue_info>
  <job_info>
  </job_info>
</job_info>
`;

const EMPTY = `<?xml version='1.0'?>
<job_info  xmlns:xsd="http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qstat/qstat.xsd">
  <queue_info>
  </queue_info>
  <job_info>
  </job_info>
</job_info>
`;

const ok = (stdout: string) => ({ stdout, stderr: "", exitCode: 0 });
// Eqw/hqw/dr, as seen on the same cell, differ from the captures above only in <state>
const withState = (xml: string, state: string) =>
  xml.replace("<state>r</state>", `<state>${state}</state>`).replace(/<state>qw<\/state>/, `<state>${state}</state>`);

test("SGE: qstat -xml pending jobs (real SGE 8.1.9 output)", () => {
  const s = parseQstatXml(ok(PENDING), ["7", "8", "9"]);
  assert.deepEqual(s.get("7"), { kind: "pending", code: "qw", reason: "waiting in the queue" });
  assert.deepEqual(s.get("8"), { kind: "pending", code: "qw", reason: "waiting in the queue" });
  assert.deepEqual(s.get("9"), { kind: "unknown" });
});

test("SGE: qstat -xml running job, host is the part after @ (real output)", () => {
  assert.deepEqual(parseQstatXml(ok(RUNNING), ["8"]).get("8"), { kind: "running", code: "r", host: "vm", startedAt: new Date("2026-11-21T10:19:30") });
  assert.equal(parseQstatXml(ok(withState(RUNNING, "t")), ["8"]).get("8")?.kind, "running");
});

test("SGE: Eqw sits in the pending list but is an error", () => {
  const s = parseQstatXml(ok(withState(PENDING, "Eqw")), ["7"]).get("7");
  assert.equal(s?.kind, "pending");
  assert.equal(s?.kind === "pending" && s.error, true);
  assert.equal(parseQstatXml(ok(withState(PENDING, "hqw")), ["7"]).get("7")?.kind === "pending", true);
});

test("SGE: dr (deleted while running) is done; a job gone from qstat is unknown", () => {
  assert.deepEqual(parseQstatXml(ok(withState(RUNNING, "dr")), ["8"]).get("8"), {
    kind: "done",
    code: "dr",
    reason: "the job was deleted (qdel)",
    ending: true,
  });
  assert.deepEqual(parseQstatXml(ok(EMPTY), ["8"]).get("8"), { kind: "unknown" });
});

test("SGE: a failing qstat throws instead of reporting jobs gone", () => {
  assert.throws(() => parseQstatXml({ stdout: "", stderr: "error: commlib error", exitCode: 1 }, ["1"]), /qstat failed/);
});

test("SGE: submit output (-terse and plain, real)", () => {
  assert.equal(SgeDialect.parseSubmitOutput("8\n"), "8");
  assert.equal(SgeDialect.parseSubmitOutput('Your job 7 ("smoke-server") has been submitted\n'), "7");
  assert.throws(() => SgeDialect.parseSubmitOutput("Unable to run job: Error reading answer list from qmaster\n"));
});

test("SGE: one query for all users' jobs, secrets passed by name only", () => {
  assert.deepEqual(SgeDialect.queryCommand(["1", "2", "3"]), ["qstat", "-xml", "-u", "*"]);
  assert.deepEqual(SgeDialect.submitCommand(["JUPYTER_TOKEN", "GYRE_CALLBACK_SECRET"]), ["qsub", "-terse", "-v", "JUPYTER_TOKEN,GYRE_CALLBACK_SECRET"]);
});

test("SGE: qacct explains walltime and qdel (fields as qacct 8.1.9 prints them)", () => {
  const qdel =
    "==============================================================\nqname        all.q\nhostname     vm\njobnumber    8\nfailed       100 : assumedly after job\nexit_status  137                 (Killed)\nru_wallclock 12s\n";
  assert.deepEqual(parseQacct(qdel, 7200), { exitCode: 137, reason: "the job was deleted (qdel) or killed" });
  const wall = "failed       0    \nexit_status  137                 (Killed)\nru_wallclock 7201s\n";
  assert.deepEqual(parseQacct(wall, 7200), { exitCode: 137, reason: "your job reached its 2 h walltime" });
  assert.equal(parseQacct("error: job id 99 not found\n", 60), null);
});

// `qstat -j 29,30 -xml` for two held jobs, captured here (SGE 8.1.9), trimmed to the elements read
const HELD_DETAIL = `<?xml version='1.0'?>
<detailed_job_info  xmlns:xsd="http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qstat/detailed_job_info.xsd">
  <djob_info>
    <element>
      <JB_job_number>29</JB_job_number>
      <JB_ar>0</JB_ar>
      <JB_exec_file>job_scripts/29</JB_exec_file>
      <JB_owner>hpctest</JB_owner>
    </element>
    <element>
      <JB_job_number>30</JB_job_number>
      <JB_ar>0</JB_ar>
      <JB_exec_file>job_scripts/30</JB_exec_file>
      <JB_owner>hpctest</JB_owner>
    </element>
  </djob_info>
  <messages>
    <element>
      <SME_message_list>
        <element>
          <MES_job_number_list>
            <ulong_sublist>
              <ULNG_value>29</ULNG_value>
            </ulong_sublist>
            <ulong_sublist>
              <ULNG_value>30</ULNG_value>
            </ulong_sublist>
          </MES_job_number_list>
          <MES_message_number>33</MES_message_number>
          <MES_message>Job is in hold state</MES_message>
        </element>
      </SME_message_list>
    </element>
  </messages>
</detailed_job_info>
`;

test("SGE: the scheduler's reason per pending job from one qstat -j <ids> -xml (real output)", () => {
  assert.deepEqual(SgeDialect.pendingReasonCommand!(["29", "30"]), ["qstat", "-j", "29,30", "-xml"]);
  assert.deepEqual(
    parseQstatJobXml(ok(HELD_DETAIL), ["29", "30"]),
    new Map([
      ["29", "Job is in hold state"],
      ["30", "Job is in hold state"],
    ]),
  );
  // a job the answer does not list keeps Gyre's own words
  assert.deepEqual(parseQstatJobXml(ok(HELD_DETAIL), ["31"]), new Map());
  assert.deepEqual(parseQstatJobXml({ stdout: "Following jobs do not exist: \n31\n", stderr: "", exitCode: 1 }, ["31"]), new Map());
});

// A disabled queue: the messages come in SME_global_message_list, for every pending job (job 53,
// captured with qmod -d all.q; the job's own fields cut to three).
const DISABLED_QUEUE_DETAIL = `<?xml version='1.0'?>
<detailed_job_info  xmlns:xsd="http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qstat/detailed_job_info.xsd">
  <djob_info>
    <element>
      <JB_job_number>53</JB_job_number>
      <JB_ar>0</JB_ar>
      <JB_exec_file>job_scripts/53</JB_exec_file>
    </element>
  </djob_info>
  <messages>
    <element>
      <SME_global_message_list>
        <element>
          <MES_message_number>39</MES_message_number>
          <MES_message>queue instance &quot;all.q@vm&quot; dropped because it is disabled</MES_message>
        </element>
        <element>
          <MES_message_number>28</MES_message_number>
          <MES_message>All queues dropped because of overload or full</MES_message>
        </element>
      </SME_global_message_list>
    </element>
  </messages>
</detailed_job_info>
`;

test("SGE: the scheduler's global messages (a disabled queue) are the reason of every pending job asked about (real output)", () => {
  assert.deepEqual(
    parseQstatJobXml(ok(DISABLED_QUEUE_DETAIL), ["53"]),
    new Map([["53", 'queue instance "all.q@vm" dropped because it is disabled; All queues dropped because of overload or full']]),
  );
});

test("SGE: execution hosts from qconf -sel", () => {
  assert.deepEqual(SgeDialect.execHostsCommand!(), ["qconf", "-sel"]);
  assert.deepEqual(parseQconfSel("vm\nnode01.cluster\n"), ["vm", "node01.cluster"]);
});

test("SGE: qacct words an exit status (127: a command was not found)", () => {
  assert.deepEqual(parseQacct("failed       0    \nexit_status  127\nru_wallclock 1s\n", 3600), {
    exitCode: 127,
    reason: "the job ended with exit status 127 (a command was not found: check pythonCommand, pythonEnvironment and modules)",
  });
});
