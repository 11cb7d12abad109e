// What the proxy's page says when a user's server does not answer: what the hub knows of it (its
// answer to POST /hub/api/proxy/server-check, null when the hub could not be asked in time) and a
// next step. Pure.
import type { ServerCheck } from "@/proxy/hub/connection";

/** A link on the error page. */
export interface PageLink {
  href: string;
  label: string;
}

/** The error page's text and its links, first the one to follow. */
export interface ServerDownPage {
  message: string;
  links: PageLink[];
}

/**
 * `who`: "alice's server" (describeUpstream); `code`: the connection error (ECONNREFUSED);
 * `hubUrl`: a hub path as a link from the page's origin (proxy/origins/origin-plan.ts hubUrl).
 */
export function describeServerDown(o: {
  who: string;
  code: string;
  user: string;
  server: string;
  check: ServerCheck | null;
  hubUrl: (path: string) => string;
}): ServerDownPage {
  const home = { href: o.hubUrl("/hub/home"), label: "Back to the hub" };
  const spawn = o.hubUrl(`/hub/spawn/${encodeURIComponent(o.user)}${o.server ? `/${encodeURIComponent(o.server)}` : ""}`);
  const notResponding = `${o.who} is not responding (${o.code}).`;
  switch (o.check?.state) {
    case undefined:
      return { message: `${notResponding} It may be starting or stopped.`, links: [home] };
    case "stopped":
    case "failed":
      return {
        message: `${o.who} has ${o.check.state === "failed" ? "failed" : "stopped"}. ${o.check.message ?? "The hub recorded no reason."}`,
        links: [{ href: spawn, label: "Start it again" }, home],
      };
    case "pending":
    case "starting":
      return { message: `${o.who} is starting.`, links: [{ href: spawn, label: "See its progress" }, home] };
    case "stopping":
      return { message: `${o.who} is stopping.`, links: [home] };
    default:
      return {
        message: `${notResponding} The hub still counts it as running: it may be busy or restarting. Reload this page in a moment.`,
        links: [home],
      };
  }
}
