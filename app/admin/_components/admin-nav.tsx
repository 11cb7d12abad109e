// The control panel's sections, on top of every admin page.
import Link from "next/link";

const SECTIONS = [
  { key: "users", href: "/admin", label: "Users" },
  { key: "servers", href: "/admin/servers", label: "Servers" },
  { key: "groups", href: "/admin/groups", label: "Groups" },
  { key: "usage", href: "/admin/usage", label: "Usage" },
  { key: "announcement", href: "/admin/announcement", label: "Announcement" },
] as const;

export type AdminSection = (typeof SECTIONS)[number]["key"];

export function AdminNav({ current }: { current: AdminSection }) {
  return (
    <nav aria-label="Control panel" className="mb-6 border-b border-slate-200">
      <ul className="-mb-px flex flex-wrap gap-x-6 text-sm">
        {SECTIONS.map((s) => (
          <li key={s.key}>
            <Link
              href={s.href}
              aria-current={s.key === current ? "page" : undefined}
              className={`inline-block border-b-2 px-1 pb-2 pt-1 font-medium ${s.key === current ? "border-sky-700 text-sky-800" : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900"}`}
            >
              {s.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
