"use client";
// Creating a group, and changing the open one: properties (JSON), name, members, deletion.
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { hubFetch } from "@/app/_components/hub-fetch";
import { Card, Notice, buttonClass, inputClass, labelClass } from "@/app/_components/ui";

const groupApi = (name: string) => `/hub/api/admin/groups/${encodeURIComponent(name)}`;
const groupPage = (name: string) => `/admin/groups?open=${encodeURIComponent(name)}`;

function Feedback({ error, info }: { error: string; info: string }) {
  return (
    <div aria-live="polite" className="mt-3">
      {error && (
        <Notice kind="error" testId="group-error">
          {error}
        </Notice>
      )}
      {!error && info && (
        <Notice kind="success" testId="group-info">
          {info}
        </Notice>
      )}
    </div>
  );
}

export function CreateGroupForm({ csrf }: { csrf: string }) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [error, setError] = useState("");
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError("");
    const r = await hubFetch<{ name: string }>("/hub/api/admin/groups", { method: "POST", body: { name }, csrf });
    if (!r.ok || !r.data) return setError(r.message);
    setName("");
    router.push(groupPage(r.data.name));
    router.refresh();
  };
  return (
    <Card>
      <form onSubmit={(e) => void submit(e)} data-testid="create-group-form">
        <label htmlFor="new-group" className={labelClass}>
          New group
        </label>
        <div className="flex gap-2">
          <input id="new-group" required value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. climate" className={inputClass} />
          <button type="submit" data-testid="create-group-submit" className={`${buttonClass.primary} mt-1`}>
            Create
          </button>
        </div>
      </form>
      <Feedback error={error} info="" />
    </Card>
  );
}

interface EditorProps {
  csrf: string;
  name: string;
  github: boolean;
  properties: string;
  members: string[];
  memberCount: number;
}

export function GroupEditor({ csrf, name, github, properties, members, memberCount }: EditorProps) {
  const router = useRouter();
  const [props, setProps] = useState(properties);
  const [newName, setNewName] = useState(name);
  const [add, setAdd] = useState("");
  const [error, setError] = useState("");
  const [info, setInfo] = useState("");

  const run = async (fn: () => Promise<string | null>) => {
    setError("");
    setInfo("");
    const msg = await fn();
    if (msg !== null) setInfo(msg);
  };
  const saveProperties = () =>
    run(async () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(props);
      } catch (err) {
        setError(`The properties are not valid JSON: ${(err as Error).message}`);
        return null;
      }
      const r = await hubFetch(groupApi(name), { method: "PATCH", body: { properties: parsed }, csrf });
      if (!r.ok) return (setError(r.message), null);
      router.refresh();
      return "Properties saved.";
    });
  const rename = () =>
    run(async () => {
      const r = await hubFetch<{ name: string }>(groupApi(name), { method: "PATCH", body: { name: newName }, csrf });
      if (!r.ok || !r.data) return (setError(r.message), null);
      router.replace(groupPage(r.data.name));
      router.refresh();
      return null;
    });
  const remove = () =>
    run(async () => {
      if (!window.confirm(`Delete the group ${name}? Its ${memberCount} member(s) lose the profiles it unlocks.`)) return null;
      const r = await hubFetch(groupApi(name), { method: "DELETE", csrf });
      if (!r.ok) return (setError(r.message), null);
      router.replace("/admin/groups");
      router.refresh();
      return null;
    });
  const changeMembers = (method: "POST" | "DELETE", users: string[]) =>
    run(async () => {
      const r = await hubFetch(`${groupApi(name)}/members`, { method, body: { users }, csrf });
      if (!r.ok) return (setError(r.message), null);
      setAdd("");
      router.refresh();
      return method === "POST" ? `Added ${users.join(", ")}.` : `Removed ${users.join(", ")}.`;
    });

  return (
    <div className="mt-5 space-y-6">
      <section>
        <h3 className="text-sm font-semibold text-slate-700">Members ({memberCount})</h3>
        {members.length === 0 ? (
          <p className="mt-1 text-sm text-slate-500">No members.</p>
        ) : (
          <ul data-testid="group-members" className="mt-2 flex flex-wrap gap-2 text-sm">
            {members.map((m) => (
              <li key={m} className="inline-flex items-center gap-1 rounded border border-slate-200 px-2 py-0.5">
                <span>{m}</span>
                {!github && (
                  <button
                    type="button"
                    aria-label={`Remove ${m} from ${name}`}
                    data-testid={`remove-member-${m}`}
                    onClick={() => void changeMembers("DELETE", [m])}
                    className="text-slate-500 hover:text-red-700"
                  >
                    ×
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
        {!github && (
          <form
            className="mt-3 flex gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              // Names as typed (spaces and commas separate them): the hub refuses a name rather than changing it.
              const users = add.split(/[\s,]+/).filter(Boolean);
              if (users.length) void changeMembers("POST", users);
            }}
          >
            <label htmlFor="add-members" className="sr-only">
              Add members (user names, separated by spaces or commas)
            </label>
            <input id="add-members" value={add} onChange={(e) => setAdd(e.target.value)} placeholder="user names to add" className={inputClass} />
            <button type="submit" data-testid="add-members-submit" className={`${buttonClass.secondary} mt-1`}>
              Add
            </button>
          </form>
        )}
      </section>
      <section>
        <label htmlFor="group-properties" className="text-sm font-semibold text-slate-700">
          Properties (JSON object, as JupyterHub&apos;s group properties)
        </label>
        <textarea
          id="group-properties"
          data-testid="group-properties"
          rows={6}
          value={props}
          onChange={(e) => setProps(e.target.value)}
          spellCheck={false}
          className={`${inputClass} font-mono`}
        />
        <button type="button" data-testid="group-properties-save" onClick={() => void saveProperties()} className={`${buttonClass.secondary} mt-2`}>
          Save properties
        </button>
      </section>
      {!github && (
        <section className="flex flex-wrap items-end gap-2">
          <div>
            <label htmlFor="group-rename" className={labelClass}>
              Name
            </label>
            <input id="group-rename" value={newName} onChange={(e) => setNewName(e.target.value)} className={inputClass} />
          </div>
          <button type="button" data-testid="group-rename-submit" onClick={() => void rename()} className={buttonClass.secondary}>
            Rename
          </button>
          <button type="button" data-testid="group-delete" onClick={() => void remove()} className={buttonClass.danger}>
            Delete group
          </button>
        </section>
      )}
      {github && memberCount === 0 && (
        <button type="button" data-testid="group-delete" onClick={() => void remove()} className={buttonClass.danger}>
          Delete group
        </button>
      )}
      <Feedback error={error} info={info} />
    </div>
  );
}
