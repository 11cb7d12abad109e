// The id of a login session as the tokens the OAuth provider issues through it carry it
// (JupyterHub's session_id). Pure.
import { createHash } from "node:crypto";

/**
 * Derived one-way from the session's id, which is the secret part of the session cookie, so
 * showing it (token models, GET /user) tells nothing that could sign anyone in.
 */
export function oauthSessionId(sessionId: string): string {
  return createHash("sha256").update(`gyre-oauth-session\0${sessionId}`).digest("hex").slice(0, 32);
}
