// Header + centred main column, shared by all pages.
import type { ReactNode } from "react";
import { SiteHeader, type HeaderUser } from "./site-header";

export function PageFrame({ user, children, narrow = false }: { user?: HeaderUser | null; children: ReactNode; narrow?: boolean }) {
  return (
    <>
      <SiteHeader user={user} />
      <main id="main" className={`mx-auto px-4 py-8 ${narrow ? "max-w-md" : "max-w-5xl"}`}>
        {children}
      </main>
    </>
  );
}
