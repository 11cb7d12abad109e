// Launch links in BinderHub's scheme, both ways. Pure.
//   /v2/<provider>/<spec>?urlpath=...|labpath=...|filepath=...   (the launch page)
//   /build/<provider>/<spec>                                     (the event-stream API)
// The spec is taken from the raw path (not %-decoded first), as BinderHub does, because
// "group%2Fproject/main" and "group/project/main" mean different things to the gl and git
// providers. What to open afterwards follows BinderHub's client (LaunchSpec.fromSearchParams):
// labpath=P → "doc/tree/P", filepath=P → "tree/P", else urlpath as given, leading "/" removed.
import { LaunchError } from "./launch-error";
import { isLaunchProviderId, LAUNCH_PROVIDERS, type ProviderSettings, type RepoSpec } from "./providers";

export interface LaunchLink {
  spec: RepoSpec;
  /** path inside the server to open once it runs, relative ("" = the server's default page) */
  urlPath: string;
}

/** Parses "<provider>/<spec>" (the path after /v2/ or /build/, raw) and the link's query. */
export function parseLaunchLink(opts: { path: string; query: URLSearchParams; settings: ProviderSettings }): LaunchLink {
  const path = opts.path.replace(/\/+$/, "");
  const slash = path.indexOf("/");
  const id = slash < 0 ? path : path.slice(0, slash);
  if (!isLaunchProviderId(id))
    throw new LaunchError("bad-link", `"${id.slice(0, 32)}" is not a launch provider; use one of ${Object.keys(LAUNCH_PROVIDERS).join(", ")}.`);
  if (slash < 0 || slash === path.length - 1) throw new LaunchError("bad-link", `The link names no repository after /${id}/.`);
  const spec = LAUNCH_PROVIDERS[id].parse(path.slice(slash + 1), opts.settings);
  return { spec, urlPath: launchUrlPath(opts.query) };
}

/** The path to open inside the server, from urlpath / labpath / filepath (BinderHub's precedence). */
export function launchUrlPath(query: URLSearchParams): string {
  const labpath = query.get("labpath");
  if (labpath !== null) return `doc/tree/${encodeURI(labpath.replace(/\/$/, ""))}`;
  const filepath = query.get("filepath");
  if (filepath !== null) return `tree/${encodeURI(filepath.replace(/\/$/, ""))}`;
  return (query.get("urlpath") ?? "").replace(/^\/*/, "");
}

/**
 * Where to send the browser once the server runs: `urlPath` resolved against the server's base
 * path ("/user/alice/launch-x/"). Anything that would leave that prefix (an absolute URL,
 * "../", a backslash trick) falls back to the server's own page instead.
 */
export function serverRedirectPath(serverBasePath: string, urlPath: string): string {
  const base = serverBasePath.endsWith("/") ? serverBasePath : `${serverBasePath}/`;
  if (!urlPath || /^[a-z][a-z0-9+.-]*:/i.test(urlPath) || urlPath.includes("\\") || urlPath.startsWith("//")) return base;
  let resolved: URL;
  try {
    resolved = new URL(urlPath, `http://gyre.invalid${base}`);
  } catch {
    return base;
  }
  if (resolved.origin !== "http://gyre.invalid" || !resolved.pathname.startsWith(base)) return base;
  return resolved.pathname + resolved.search + resolved.hash;
}

/** What the "launch a repository" form produces: the link and the badge Markdown. */
export interface LaunchLinkParts {
  /** the hub's public URL, e.g. https://hub.example.org */
  publicUrl: string;
  provider: keyof typeof LAUNCH_PROVIDERS;
  /** gh: "owner/repo"; gist: "user/id"; gl: "group/project"; git: the repository URL */
  repo: string;
  ref?: string;
  /** a file to open, as labpath (JupyterLab) or urlpath (anything else) */
  open?: { kind: "labpath" | "urlpath" | "filepath"; path: string };
  /** URL of the badge image */
  badgeImageUrl: string;
}

export function buildLaunchLink(p: LaunchLinkParts): { url: string; markdown: string; html: string } {
  const repo = p.provider === "gl" || p.provider === "git" ? encodeURIComponent(p.repo.replace(/^\/+|\/+$/g, "")) : p.repo.replace(/^\/+|\/+$/g, "");
  const ref = p.ref?.trim() ? encodeRefForLink(p.provider, p.ref.trim()) : "HEAD";
  let url = `${p.publicUrl.replace(/\/+$/, "")}/v2/${p.provider}/${repo}/${ref}`;
  if (p.open?.path) url += `?${p.open.kind}=${encodeURIComponent(p.open.path)}`;
  const alt = "Launch on Gyre";
  return {
    url,
    markdown: `[![${alt}](${p.badgeImageUrl})](${url})`,
    html: `<a href="${escapeHtml(url)}"><img src="${escapeHtml(p.badgeImageUrl)}" alt="${alt}"></a>`,
  };
}

function encodeRefForLink(provider: string, ref: string): string {
  // gh keeps "/" in refs (the spec splits at the first two slashes only); the others %-decode
  return provider === "gh" ? ref.split("/").map(encodeURIComponent).join("/") : encodeURIComponent(ref);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
