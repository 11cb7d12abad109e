// Defaults that follow from other options, filled in only where the admin set nothing: the URL
// the proxy reaches the hub at (proxy.hubUrl) and the one batch jobs call back (hub.callbackUrl),
// both from hub.bindHost and hub.port, so changing the hub's port moves both. Pure.

/** "[::1]" for an IPv6 literal, the name or address as it is otherwise. */
function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

const ANY = new Set(["0.0.0.0", "::", ""]);

/**
 * Where the proxy reaches the hub when proxy.hubUrl is unset: the hub's own address, loopback when
 * it listens on every interface (the proxy runs beside it).
 */
export function defaultHubUrl(hub: { bindHost: string; port: number }): string {
  return `http://${ANY.has(hub.bindHost) ? "127.0.0.1" : urlHost(hub.bindHost)}:${hub.port}`;
}

/**
 * Where batch jobs call the hub back when hub.callbackUrl is unset: the hub's address, or, when it
 * listens on every interface, this host's name (`hostName`), which compute nodes can resolve;
 * loopback would reach only jobs on the hub's own host.
 */
export function defaultCallbackUrl(hub: { bindHost: string; port: number }, hostName: string): string {
  return `http://${ANY.has(hub.bindHost) ? urlHost(hostName) : urlHost(hub.bindHost)}:${hub.port}`;
}
