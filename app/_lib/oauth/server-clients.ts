// Pure: the OAuth client of each server, as JupyterHub gives one to every server so that
// jupyterhub-singleuser (HubOAuth) logs its users in through the hub. A server's client is not
// stored: it exists while the server's record exists and has been spawned (it has a spawn id), and
// everything about it follows from the user, the server and the spawn — its id
// (jupyterhub-user-<user>[-<server>]), its redirect URI (<server base url>oauth_callback), its
// secret (the server's JUPYTERHUB_API_TOKEN) and the scope its tokens carry
// (access:servers!server=<user>/<server>). Deleting the server's record removes the client.
import { serverAccessScope, userScope } from "../auth/scopes";

/** JupyterHub's prefix of server clients' ids (user.py: 'jupyterhub-user-%s' % quote(name)). */
export const SERVER_CLIENT_PREFIX = "jupyterhub-user-";

/**
 * The client id of `user`'s server `server` ("" default): jupyterhub-user-<user>[-<server>].
 * JupyterHub URL-quotes both names; Gyre's names ([a-z0-9._-]) are left unchanged by quoting.
 */
export function serverClientId(user: string, server: string): string {
  return server ? `${SERVER_CLIENT_PREFIX}${user}-${server}` : `${SERVER_CLIENT_PREFIX}${user}`;
}

/** The redirect URI of a server's client: its base URL ("/user/alice/gpu/") + "oauth_callback". */
export function serverRedirectUri(baseUrl: string): string {
  return `${baseUrl}oauth_callback`;
}

/**
 * The (user, server) pairs a client id may name: "jupyterhub-user-a-b-c" is user "a-b-c"'s default
 * server, or server "b-c" of "a", or "c" of "a-b" (JupyterHub's ids are ambiguous the same way;
 * the redirect URI or the records decide). Empty for ids without the prefix.
 */
export function serverClientCandidates(clientId: string): { user: string; server: string }[] {
  if (!clientId.startsWith(SERVER_CLIENT_PREFIX)) return [];
  const rest = clientId.slice(SERVER_CLIENT_PREFIX.length);
  if (!rest) return [];
  const out = [{ user: rest, server: "" }];
  for (let i = rest.indexOf("-"); i > 0 && i < rest.length - 1; i = rest.indexOf("-", i + 1)) out.push({ user: rest.slice(0, i), server: rest.slice(i + 1) });
  return out;
}

/**
 * The scopes a server checks its users' tokens for (JUPYTERHUB_OAUTH_ACCESS_SCOPES, JupyterHub's
 * Spawner.oauth_access_scopes): either opens the server.
 */
export function serverOAuthAccessScopes(user: string, server: string): string[] {
  return [serverAccessScope(user, server), userScope("access:servers", user)];
}

/** What the environment of a server says about its OAuth client (JupyterHub's Spawner.get_env). */
export function buildServerOAuthEnv(o: { user: string; server: string; baseUrl: string }): Record<string, string> {
  const access = JSON.stringify(serverOAuthAccessScopes(o.user, o.server));
  return {
    JUPYTERHUB_CLIENT_ID: serverClientId(o.user, o.server),
    JUPYTERHUB_OAUTH_CALLBACK_URL: serverRedirectUri(o.baseUrl),
    JUPYTERHUB_OAUTH_ACCESS_SCOPES: access,
    // the name before JupyterHub 3.0, which older singleuser servers still read
    JUPYTERHUB_OAUTH_SCOPES: access,
    // no scopes beyond access are granted to a server's tokens (JupyterHub's default, [])
    JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: "[]",
  };
}
