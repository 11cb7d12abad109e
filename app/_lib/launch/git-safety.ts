// How the hub runs git against a repository named in a link (`git ls-remote` only): the same
// protections as the agent's (spawners/agent/gyre_agent/gitsafe.py) — https only (http for the
// admin's httpHosts), no redirects to elsewhere, no hooks, no credential prompts or helpers, no
// system or global config (the hub may run as root, whose config is not the hub's business).
// Pure: builds arguments and the environment.

/** `-c` options that go before the git subcommand. */
export function gitSafetyArgs(allowHttp: boolean): string[] {
  return [
    "-c",
    "protocol.allow=never",
    "-c",
    "protocol.https.allow=always",
    "-c",
    `protocol.http.allow=${allowHttp ? "always" : "never"}`,
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "credential.helper=",
    "-c",
    "core.askPass=",
    "-c",
    "http.followRedirects=false",
  ];
}

/** The environment for git: PATH and locale from `base`, nothing else of it (no GIT_* leaks in). */
export function gitSafetyEnv(base: Record<string, string | undefined>, opts: { allowHttp: boolean; emptyHome: string }): Record<string, string> {
  return {
    PATH: base.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    ...(base.http_proxy ? { http_proxy: base.http_proxy } : {}),
    ...(base.https_proxy ? { https_proxy: base.https_proxy } : {}),
    ...(base.no_proxy ? { no_proxy: base.no_proxy } : {}),
    HOME: opts.emptyHome,
    XDG_CONFIG_HOME: opts.emptyHome,
    LC_ALL: "C",
    GIT_ALLOW_PROTOCOL: opts.allowHttp ? "https:http" : "https",
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "",
    GCM_INTERACTIVE: "never",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
  };
}
