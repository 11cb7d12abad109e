"use client";
// Error boundary for hub pages: a calm message, a retry and a way home. Details stay in the hub's
// log (Next hides server error messages in production builds; the digest links the two).
import Link from "next/link";
import { PageFrame } from "./_components/page-frame";
import { Card, buttonClass } from "./_components/ui";

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <PageFrame narrow>
      <Card>
        <h1 className="text-xl font-semibold">Something went wrong</h1>
        <p className="mt-2 text-sm text-slate-600">
          The hub could not show this page. Trying again often helps; if it keeps happening, tell your hub administrator.
        </p>
        {error.digest && (
          <p className="mt-2 text-xs text-slate-500">
            Reference: <code className="font-mono">{error.digest}</code>
          </p>
        )}
        <div className="mt-6 flex flex-wrap items-center gap-4">
          <button type="button" onClick={reset} className={buttonClass.primary}>
            Try again
          </button>
          <Link href="/home" className="text-sm font-medium text-sky-700 underline">
            Go to your home page
          </Link>
          <a href="/hub/login" className="text-sm text-sky-700 underline">
            Sign in
          </a>
        </div>
      </Card>
    </PageFrame>
  );
}
