// The scheduler dialects by config name. Adding a scheduler: one file in this folder + one line here.
import type { BatchDialect } from "../types";
import { LsfDialect } from "./lsf";
import { PbsDialect } from "./pbs";
import { SgeDialect } from "./sge";
import { SlurmDialect } from "./slurm";

export const DIALECTS = {
  sge: SgeDialect,
  slurm: SlurmDialect,
  pbs: PbsDialect,
  lsf: LsfDialect,
} as const satisfies Record<string, BatchDialect>;

export type SchedulerKind = keyof typeof DIALECTS;
export const SCHEDULER_KINDS = Object.keys(DIALECTS) as [SchedulerKind, ...SchedulerKind[]];
