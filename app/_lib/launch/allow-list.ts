// The admin's allow-list of launchable repositories, as one pure decision. An empty list allows
// nothing: a launch link runs the repository's install steps as whoever clicks it, so the admin
// names the organisations and hosts the hub trusts (see config.ts, launch.allow).
import type { LaunchConfig } from "@/config/launch-section";
import type { AllowSubject } from "./providers/types";

export type AllowDecision = { allowed: true } | { allowed: false; reason: string };

type AllowList = LaunchConfig["allow"];

export function decideLaunchAllowed(subject: AllowSubject, allow: AllowList): AllowDecision {
  switch (subject.kind) {
    case "github":
      return listed(allow.githubOwners, subject.owner) ? { allowed: true } : refuse(`Repositories of ${subject.owner} on GitHub`, "launch.allow.githubOwners");
    case "gist":
      return listed(allow.gistUsers, subject.user) ? { allowed: true } : refuse(`Gists of ${subject.user}`, "launch.allow.gistUsers");
    case "gitlab": {
      const project = subject.project.toLowerCase();
      const ok = allow.gitlabNamespaces.some((ns) => ns === "*" || project.startsWith(`${ns.toLowerCase()}/`));
      return ok ? { allowed: true } : refuse(`The GitLab project ${subject.project}`, "launch.allow.gitlabNamespaces");
    }
    case "git":
      return allow.gitHosts.includes(subject.host.toLowerCase()) ? { allowed: true } : refuse(`Repositories on ${subject.host}`, "launch.allow.gitHosts");
  }
}

function listed(names: string[], name: string): boolean {
  const lower = name.toLowerCase();
  return names.some((n) => n === "*" || n.toLowerCase() === lower);
}

function refuse(what: string, option: string): AllowDecision {
  return {
    allowed: false,
    reason: `${what} cannot be launched on this hub: they are not on its list of allowed repositories. An administrator can add them (${option}).`,
  };
}
