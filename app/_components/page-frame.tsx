// Header + centred main column, shared by all pages.
import type { ReactNode } from "react";
import { SiteHeader, type HeaderUser } from "./site-header";

/** `narrow`: forms (login); `wide`: the admin's tables. */
export function PageFrame({
  user,
  children,
  narrow = false,
  wide = false,
}: {
  user?: HeaderUser | null;
  children: ReactNode;
  narrow?: boolean;
  wide?: boolean;
}) {
  return (
    <>
      <SiteHeader user={user} />
      <main id="main" className={`mx-auto px-4 py-8 ${narrow ? "max-w-md" : wide ? "max-w-7xl" : "max-w-5xl"}`}>
        {children}
      </main>
    </>
  );
}
