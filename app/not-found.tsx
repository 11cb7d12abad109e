// 404 for hub pages: say what happened and offer a way on.
import Link from "next/link";
import { PageFrame } from "./_components/page-frame";
import { Card } from "./_components/ui";

export default function NotFound() {
  return (
    <PageFrame narrow>
      <Card>
        <h1 className="text-xl font-semibold">Page not found</h1>
        <p className="mt-2 text-sm text-slate-600">There is nothing at this address. The link may be old, or the user or server may no longer exist.</p>
        <p className="mt-4 flex gap-4 text-sm">
          <Link href="/home" className="font-medium text-sky-700 underline">
            Go to your home page
          </Link>
          <Link href="/login" className="text-sky-700 underline">
            Sign in
          </Link>
        </p>
      </Card>
    </PageFrame>
  );
}
