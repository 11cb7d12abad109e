#!/bin/bash
# STAND-IN for Slurm's squeue, used only by bench/batch-poll-bench.ts: appends its argv to
# $FAKE_SQUEUE_LOG (one line per invocation) and answers every id of `-j a,b,c` as RUNNING in
# the `-o '%i|%T|%r|%N|%B|%S'` format. It is not a scheduler.
printf '%s\n' "$*" >> "${FAKE_SQUEUE_LOG:?}"
ids=""
while [ $# -gt 0 ]; do
  if [ "$1" = "-j" ]; then ids=$2; shift; fi
  shift
done
IFS=, read -ra list <<< "$ids"
for id in "${list[@]}"; do printf '%s|RUNNING|None|node1|node1|2026-11-21T10:00:00\n' "$id"; done
