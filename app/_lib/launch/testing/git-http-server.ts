// A real git server for tests: git's smart HTTP protocol on loopback, served by Debian's
// /usr/lib/git-core/git-http-backend run as a CGI program per request (argument list, CGI
// environment, request body on stdin), over the bare repositories in `root`. Like GitHub, it
// serves <root>/<owner>/<repo>.git at <url>/<owner>/<repo> too (GitHub's clone URLs as the
// gh provider writes them). Options slow it
// down or count what it serves, for the time-limit tests.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const GIT_HTTP_BACKEND = "/usr/lib/git-core/git-http-backend";

export interface GitHttpServer {
  /** http://127.0.0.1:<port> (repositories are at <url>/<name>.git) */
  url: string;
  /** host:port, as the allow-lists see it */
  host: string;
  /** request lines served, e.g. "GET /org/repo.git/info/refs?service=git-upload-pack" */
  requests: string[];
  close(): Promise<void>;
}

export interface GitHttpServerOptions {
  /** folder of bare repositories (GIT_PROJECT_ROOT) */
  root: string;
  /** wait this long before answering each upload-pack POST (the time-limit test) */
  delayPackMs?: number;
  /** answer every request under this path prefix with a redirect to this URL */
  redirect?: { prefix: string; location: string };
}

export async function startGitHttpServer(opts: GitHttpServerOptions): Promise<GitHttpServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (opts.redirect && req.url?.startsWith(opts.redirect.prefix)) {
      res.writeHead(302, { location: opts.redirect.location + req.url.slice(opts.redirect.prefix.length) });
      res.end();
      return;
    }
    const isPack = req.method === "POST" && (req.url ?? "").includes("git-upload-pack");
    // a client that gave up while the answer was delayed gets none (and no backend is left waiting)
    const go = () => (res.destroyed || req.destroyed ? undefined : runBackend(req, res, opts.root));
    if (isPack && opts.delayPackMs) setTimeout(go, opts.delayPackMs);
    else go();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function runBackend(req: IncomingMessage, res: ServerResponse, root: string): void {
  const url = new URL(req.url ?? "/", "http://localhost");
  const env: Record<string, string> = {
    PATH: "/usr/bin:/bin",
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: "1",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_PROTOCOL: "HTTP/1.1",
    REQUEST_METHOD: req.method ?? "GET",
    PATH_INFO: githubStylePath(root, decodeURIComponent(url.pathname)),
    QUERY_STRING: url.search.slice(1),
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    CONTENT_TYPE: req.headers["content-type"] ?? "",
  };
  if (req.headers["content-length"]) env.CONTENT_LENGTH = String(req.headers["content-length"]);
  if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = String(req.headers["content-encoding"]);
  // protocol v2 is negotiated through this header (git-http-backend passes it on as GIT_PROTOCOL)
  if (req.headers["git-protocol"]) env.HTTP_GIT_PROTOCOL = String(req.headers["git-protocol"]);

  const child = spawn(GIT_HTTP_BACKEND, [], { env: env as unknown as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
  req.pipe(child.stdin);
  child.stdin.on("error", () => {});
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = findHeaderEnd(head);
    if (end < 0) return;
    headersDone = true;
    const { status, headers } = parseCgiHeaders(head.subarray(0, end).toString("latin1"));
    res.writeHead(status, headers);
    const rest = head.subarray(end + (head[end] === 13 ? 4 : 2));
    if (rest.length) res.write(rest);
  });
  child.stdout.on("end", () => {
    if (!headersDone) res.writeHead(502);
    res.end();
  });
  child.on("error", () => {
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
  res.on("close", () => child.kill("SIGKILL"));
}

/** As on GitHub, <owner>/<repo> works without ".git": the path of the bare repository when only that exists. */
function githubStylePath(root: string, path: string): string {
  const m = /^(\/.+?)(\/(?:info\/refs|git-upload-pack|git-receive-pack|HEAD|objects\/.*))$/.exec(path);
  if (!m || m[1].endsWith(".git") || existsSync(root + m[1]) || !existsSync(`${root}${m[1]}.git`)) return path;
  return `${m[1]}.git${m[2]}`;
}

function findHeaderEnd(buf: Buffer): number {
  const crlf = buf.indexOf("\r\n\r\n");
  const lf = buf.indexOf("\n\n");
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf;
  return lf;
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    const name = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 200;
    else headers[name] = value;
  }
  return { status, headers };
}
