// Hub-wide HTTP protections applied by the Express entry before Next or any handler runs.
import type { Request, Response, NextFunction } from "express";
import { renderErrorPage } from "@/proxy/forward/error-page";
import { classifyHost, userOrigin, type OriginPlan } from "@/proxy/origins/origin-plan";

/** A refusal from the Express side: the styled page for browsers (Accept: text/html), JSON otherwise. */
export function sendRefusal(req: Request, res: Response, status: number, message: string): void {
  if ((req.get("accept") ?? "").includes("text/html")) res.status(status).type("html").send(renderErrorPage(status, message));
  else res.status(status).json({ status, message });
}

/** The hub's Content-Security-Policy; Next's inline runtime scripts need 'unsafe-inline'. */
function contentSecurityPolicy(formAction: string): string {
  return `default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; form-action ${formAction}; base-uri 'self'; object-src 'none'`;
}

/**
 * The Content-Security-Policy of a hub page at `path`. form-action also governs where a form's
 * submission may be redirected, and the admin's confirmation on /hub/origin-login and the
 * acceptance of a share link on /hub/accept-share are answered with a redirect to a user's
 * origin: those pages alone may send a form on to users' origins. `formTargets`: origins the
 * page's form is answered with a redirect to besides (the OAuth consent page's client).
 */
const FORMS_TO_USER_ORIGINS = ["/hub/origin-login", "/hub/accept-share"];

export function hubContentSecurityPolicy(plan: OriginPlan, path: string, formTargets: readonly string[] = []): string {
  const toUsers = plan.userDomain !== null && FORMS_TO_USER_ORIGINS.some((p) => path === p || path.startsWith(p + "?"));
  const targets = [...(toUsers ? [`${plan.scheme}//*.${plan.userDomain}${plan.port}`] : []), ...formTargets.filter((o) => o !== plan.hubOrigin)];
  return contentSecurityPolicy(["'self'", ...new Set(targets)].join(" "));
}

/** The OAuth provider's authorization endpoint (app/api/oauth2/authorize), whose consent page sets its own policy. */
export const OAUTH_AUTHORIZE_PATH = "/hub/api/oauth2/authorize";

/**
 * The origin an OAuth client's redirect URI sends the browser to after the consent form, for the
 * consent page's form-action: an absolute URI's own origin; a path's is the hub's ('self'), except
 * a server's callback under /user/<owner>/ in per-user mode, which the proxy answers on the owner's
 * origin. Pure.
 */
export function oauthRedirectOrigin(plan: OriginPlan, redirectUri: string, serverOwner?: string): string {
  if (!redirectUri.startsWith("/")) return new URL(redirectUri).origin;
  return serverOwner !== undefined ? userOrigin(plan, serverOwner) : plan.hubOrigin;
}

/** Security headers for every hub response. */
export function securityHeaders(plan: OriginPlan) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.path === OAUTH_AUTHORIZE_PATH || req.path === `${OAUTH_AUTHORIZE_PATH}/`) {
      // The consent page's form is answered with a redirect to its client, wherever that is, and
      // Chromium holds the redirect to form-action too: the route adds the client's origin
      // (hubContentSecurityPolicy with oauthRedirectOrigin); any other answer gets the hub's.
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
      res.writeHead = ((...args: unknown[]) => {
        if (res.getHeader("content-security-policy") === undefined) res.setHeader("Content-Security-Policy", hubContentSecurityPolicy(plan, req.path));
        return writeHead(...args);
      }) as Response["writeHead"];
    } else res.setHeader("Content-Security-Policy", hubContentSecurityPolicy(plan, req.path));
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "same-origin");
    res.setHeader("X-Frame-Options", "SAMEORIGIN");
    next();
  };
}

/**
 * Is this state-changing request same-origin? Browsers send Origin on cross-site POSTs (and on
 * same-origin fetches); when absent we fall back to Referer. Requests with neither are allowed
 * only when they carry an API token (scripts), which a cross-site form cannot add. The hub's own
 * origin passes, and so does the origin of the Host the request was sent to (the hub reached by
 * another name) — unless that Host is a user's origin: user content is another origin even under
 * the hub's domain, and with real domains the same *site*, so SameSite cookies do not tell them apart.
 */
export function isSameOrigin(headers: { origin?: string; referer?: string; host?: string; authorization?: string }, plan: OriginPlan): boolean {
  const allowed = new Set<string>([plan.hubOrigin]);
  if (headers.host && classifyHost(plan, headers.host).kind === "hub") {
    allowed.add(`http://${headers.host}`);
    allowed.add(`https://${headers.host}`);
  }
  if (headers.origin) return headers.origin !== "null" && allowed.has(headers.origin);
  if (headers.referer) {
    try {
      return allowed.has(new URL(headers.referer).origin);
    } catch {
      return false;
    }
  }
  return !!headers.authorization;
}

/** The OAuth provider's token endpoint (app/api/oauth2/token). */
export const OAUTH_TOKEN_PATH = "/hub/api/oauth2/token";

export function originCheck(plan: OriginPlan) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (["GET", "HEAD", "OPTIONS"].includes(req.method)) return next();
    // The OAuth token endpoint is called by services' servers, not browsers; it reads no cookie
    // (the client's secret authenticates it), so another Origin could gain nothing there.
    if (req.path === OAUTH_TOKEN_PATH || req.path === `${OAUTH_TOKEN_PATH}/`) return next();
    const h = req.headers;
    if (isSameOrigin({ origin: h.origin, referer: h.referer, host: h.host, authorization: h.authorization }, plan)) return next();
    sendRefusal(
      req,
      res,
      403,
      "Cross-site request refused: the Origin of this request does not match this hub. Go back to the hub's page and try again from there.",
    );
  };
}
