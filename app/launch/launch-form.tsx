"use client";
// The "launch a repository" form: the link and badge are computed as the user types (pure
// buildLaunchLink), the same way mybinder.org's form writes them. The fields are uncontrolled and
// read once the page is interactive: what was typed or chosen before React hydrated the form
// counts (a controlled field would be reset to its empty state then, and the link never shown).
import { useEffect, useMemo, useRef, useState } from "react";
import { buildLaunchLink, type LaunchLinkParts } from "../_lib/launch/launch-link";
import { inputClass, labelClass } from "../_components/ui";

const PROVIDERS: { id: LaunchLinkParts["provider"]; label: string; placeholder: string }[] = [
  { id: "gh", label: "GitHub repository", placeholder: "org/repository" },
  { id: "gl", label: "GitLab project", placeholder: "group/project" },
  { id: "git", label: "Git repository URL", placeholder: "https://git.example.org/project.git" },
  { id: "gist", label: "GitHub gist", placeholder: "user/gist-id" },
];

export function LaunchForm({ publicUrl }: { publicUrl: string }) {
  const [provider, setProvider] = useState<LaunchLinkParts["provider"]>("gh");
  const [repo, setRepo] = useState("");
  const [ref, setRef] = useState("");
  const [path, setPath] = useState("");
  const [kind, setKind] = useState<"labpath" | "urlpath" | "filepath">("labpath");
  const fields = useRef<HTMLFormElement>(null);
  useEffect(() => {
    const f = fields.current?.elements;
    if (!f) return;
    const text = (name: string) => (f.namedItem(name) as HTMLInputElement | HTMLSelectElement | null)?.value ?? "";
    setProvider(text("provider") as LaunchLinkParts["provider"]);
    setRepo(text("repo"));
    setRef(text("ref"));
    setKind(text("kind") as typeof kind);
    setPath(text("path"));
  }, []);
  const out = useMemo(
    () =>
      repo.trim()
        ? buildLaunchLink({
            publicUrl,
            provider,
            repo: repo.trim(),
            ref,
            open: path.trim() ? { kind, path: path.trim() } : undefined,
            badgeImageUrl: `${publicUrl.replace(/\/+$/, "")}/hub/launch-badge.svg`,
          })
        : null,
    [publicUrl, provider, repo, ref, path, kind],
  );
  const p = PROVIDERS.find((x) => x.id === provider)!;
  return (
    <form ref={fields} className="space-y-4" onSubmit={(e) => e.preventDefault()} data-testid="launch-form">
      <div className="grid gap-4 sm:grid-cols-3">
        <label className={labelClass}>
          Where
          <select
            name="provider"
            className={inputClass}
            defaultValue="gh"
            onChange={(e) => setProvider(e.target.value as LaunchLinkParts["provider"])}
            data-testid="launch-form-provider"
          >
            {PROVIDERS.map((x) => (
              <option key={x.id} value={x.id}>
                {x.label}
              </option>
            ))}
          </select>
        </label>
        <label className={`${labelClass} sm:col-span-2`}>
          {p.label}
          <input name="repo" className={inputClass} placeholder={p.placeholder} onChange={(e) => setRepo(e.target.value)} data-testid="launch-form-repo" />
        </label>
      </div>
      <div className="grid gap-4 sm:grid-cols-3">
        <label className={labelClass}>
          Branch, tag or commit
          <input name="ref" className={inputClass} placeholder="HEAD" onChange={(e) => setRef(e.target.value)} data-testid="launch-form-ref" />
        </label>
        <label className={labelClass}>
          Open
          <select
            name="kind"
            className={inputClass}
            defaultValue="labpath"
            onChange={(e) => setKind(e.target.value as typeof kind)}
            data-testid="launch-form-kind"
          >
            <option value="labpath">a file in JupyterLab</option>
            <option value="filepath">a file (classic)</option>
            <option value="urlpath">a URL path</option>
          </select>
        </label>
        <label className={labelClass}>
          Path
          <input
            name="path"
            className={inputClass}
            placeholder={kind === "urlpath" ? "lab/tree/index.ipynb" : "index.ipynb"}
            onChange={(e) => setPath(e.target.value)}
            data-testid="launch-form-path"
          />
        </label>
      </div>
      {out && (
        <div className="space-y-3">
          <Output label="Link" value={out.url} testId="launch-form-url" />
          <Output label="Badge (Markdown)" value={out.markdown} testId="launch-form-markdown" />
          <Output label="Badge (HTML)" value={out.html} testId="launch-form-html" />
          <p className="flex items-center gap-3 text-sm">
            <a href={out.url} className="inline-flex" data-testid="launch-form-open">
              <img src="/hub/launch-badge.svg" alt="Launch on Gyre" width={112} height={20} />
            </a>
            <span className="text-slate-500">opens the link (it launches for you).</span>
          </p>
        </div>
      )}
    </form>
  );
}

function Output({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <label className={labelClass}>
      {label}
      <input readOnly className={`${inputClass} font-mono text-xs`} value={value} data-testid={testId} onFocus={(e) => e.currentTarget.select()} />
    </label>
  );
}
