// Root layout: document shell and the admin's announcement banner. Pages render the site header
// themselves, because the signed-in user is read per page (and error/not-found pages must render
// without a database; the banner then renders nothing).
import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { AnnouncementBanner } from "./_components/announcement-banner";

export const metadata: Metadata = {
  title: { default: "Gyre", template: "%s · Gyre" },
  description: "Notebook servers for science teams",
  // public/ is served under the basePath; metadata URLs are not prefixed with it automatically.
  icons: { icon: { url: "/hub/favicon.svg", type: "image/svg+xml" } },
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:shadow"
        >
          Skip to content
        </a>
        <AnnouncementBanner />
        {children}
      </body>
    </html>
  );
}
