// A throw-away OS account for tests that run servers as someone other than root: created with a
// home on first use, reused after. Needs root.
import { execFileSync } from "node:child_process";

/** The uid and gid of account `name`, created (useradd -m) if it does not exist yet. */
export function testAccount(name: string): { uid: number; gid: number } {
  try {
    execFileSync("id", ["-u", name], { stdio: "ignore" });
  } catch {
    execFileSync("useradd", ["-m", "-s", "/bin/bash", name]);
  }
  return { uid: Number(execFileSync("id", ["-u", name], { encoding: "utf8" })), gid: Number(execFileSync("id", ["-g", name], { encoding: "utf8" })) };
}
