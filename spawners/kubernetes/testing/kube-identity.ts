// Test identities for the *.kube.test.ts suites: a client certificate signed with the lab's CA
// (scripts/kube/kube-up.sh trusts pki/ca.crt via --client-ca-file), so the API server knows its
// holder as user CN with groups O, and a kubeconfig for it; plus raw HTTPS requests as that
// identity, for checks where the exact HTTP status matters (403 vs 404) and no typed client call
// exists (e.g. PATCH pods/status with an arbitrary body).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { KUBE_STATE } from "./kube-lab";

export interface TestIdentity {
  user: string;
  /** a kubeconfig with one context (named after the user) that authenticates with the certificate */
  kubeconfigPath: string;
  kubeContext: string;
  server: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/**
 * Signs a client certificate for `user` (and `groups`) with the lab CA and writes a kubeconfig for
 * it into `dir`. `adminKubeconfigPath` supplies the server address and its CA. Nothing is written
 * into the lab's pki directory (a random serial instead of -CAcreateserial's ca.srl).
 */
export function issueTestIdentity(opts: { user: string; groups?: string[]; dir: string; adminKubeconfigPath: string; pkiDir?: string }): TestIdentity {
  const pki = opts.pkiDir ?? join(KUBE_STATE, "pki");
  mkdirSync(opts.dir, { recursive: true });
  const key = join(opts.dir, `${opts.user}.key`);
  const csr = join(opts.dir, `${opts.user}.csr`);
  const crt = join(opts.dir, `${opts.user}.crt`);
  const ext = join(opts.dir, `${opts.user}.ext`);
  const subject = [...(opts.groups ?? []).map((g) => `/O=${g}`), `/CN=${opts.user}`].join("");
  execFileSync("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", key, "-out", csr], { stdio: "ignore" });
  // clientAuth only: the certificate cannot serve as a server identity
  writeFileSync(ext, "extendedKeyUsage=clientAuth\n");
  execFileSync(
    "openssl",
    [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      join(pki, "ca.crt"),
      "-CAkey",
      join(pki, "ca.key"),
      "-set_serial",
      `0x${randomBytes(8).toString("hex")}`,
      "-days",
      "1",
      "-extfile",
      ext,
      "-out",
      crt,
    ],
    { stdio: "ignore" },
  );

  const admin = new KubeConfig();
  admin.loadFromFile(opts.adminKubeconfigPath);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error(`${opts.adminKubeconfigPath} names no cluster`);
  const ca = cluster.caData ? Buffer.from(cluster.caData, "base64") : readFileSync(cluster.caFile ?? join(pki, "ca.crt"));
  const cert = readFileSync(crt);
  const keyPem = readFileSync(key);
  const kubeconfigPath = join(opts.dir, `${opts.user}.kubeconfig`);
  // JSON is valid YAML; the kubeconfig holds only this identity, so nothing can fall back to admin
  writeFileSync(
    kubeconfigPath,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "lab", cluster: { server: cluster.server, "certificate-authority-data": ca.toString("base64") } }],
      users: [{ name: opts.user, user: { "client-certificate-data": cert.toString("base64"), "client-key-data": keyPem.toString("base64") } }],
      contexts: [{ name: opts.user, context: { cluster: "lab", user: opts.user } }],
      "current-context": opts.user,
    }),
    { mode: 0o600 },
  );
  return { user: opts.user, kubeconfigPath, kubeContext: opts.user, server: cluster.server, ca, cert, key: keyPem };
}

export interface RawResponse {
  status: number;
  body: string;
}

/** One HTTPS request to the API server as `id` (client certificate) or with a bearer token. */
export function kubeRequest(
  id: Pick<TestIdentity, "server" | "ca"> & { cert?: Buffer; key?: Buffer; token?: string },
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
  extraHeaders: Record<string, string> = {},
): Promise<RawResponse> {
  const url = new URL(path, id.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method,
        ca: id.ca,
        cert: id.cert,
        key: id.key,
        headers: {
          Accept: "application/json",
          ...extraHeaders,
          ...(id.token ? { Authorization: `Bearer ${id.token}` } : {}),
          ...(payload !== undefined ? { "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        // a watch that was allowed streams until an event comes: its status is all we need
        const isWatch = url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1";
        if (isWatch && res.statusCode === 200) {
          resolve({ status: 200, body: "" });
          req.destroy();
          return;
        }
        res.on("data", (c: Buffer) => chunks.push(c));
        const done = () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
        res.on("end", done);
        res.on("close", done);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
