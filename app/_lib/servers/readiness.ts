// Readiness = the server answers its API with its token (GET <base>api/status → 200). Servers
// listen on TCP (http://host:port) or, for local servers, on a unix socket
// (http+unix://<%-encoded path>, the form jupyter_server itself prints and the proxy's routes use).
import http from "node:http";
import https from "node:https";

/** Where to connect for a server URL: a unix socket, or the URL's host and port. */
export function connectOptionsFor(url: string): { socketPath: string; secure: false } | { host: string; port: number; secure: boolean } {
  const u = new URL(url);
  if (u.protocol === "http+unix:") return { socketPath: decodeURIComponent(u.host), secure: false };
  const secure = u.protocol === "https:";
  return { host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port) || (secure ? 443 : 80), secure };
}

export function probeServer(url: string, baseUrl: string, token: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    let target;
    try {
      target = connectOptionsFor(url);
    } catch {
      return resolve(false);
    }
    const { secure, ...where } = target;
    const req = (secure ? https : http).request(
      { ...where, method: "GET", path: `${baseUrl}api/status`, headers: { authorization: `token ${token}` }, timeout: timeoutMs },
      (res) => {
        res.resume();
        res.once("end", () => resolve(res.statusCode === 200));
        res.once("error", () => resolve(false));
      },
    );
    req.once("timeout", () => req.destroy(new Error("timeout")));
    req.once("error", () => resolve(false));
    req.end();
  });
}
