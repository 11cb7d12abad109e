// Gyre's server extension in the pod manifest and its ConfigMap, against literal JSON; and that the
// wrapper really prepends (run by /bin/sh here, with and without a PYTHONPATH).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { kubernetesSpawnerConfigSchema } from "./config";
import { buildPodManifest } from "./manifests";
import {
  EXTENSION_MOUNT_PATH,
  EXTENSION_WRAPPER_SH,
  buildExtensionArg,
  buildExtensionCommand,
  buildExtensionConfigMap,
  buildExtensionVolume,
} from "./extension-manifests";

const FILES = { "__init__.py": "init\n", "jupyter_ext.py": "ext\n", "activity.py": "act\n" };

function podWith(command: string[] | undefined, extension: boolean) {
  return buildPodManifest({
    userName: "alice",
    serverName: "gpu",
    namespace: "gyre-users",
    baseUrl: "/user/alice/gpu/",
    spawnId: "sp-1",
    settings: kubernetesSpawnerConfigSchema.parse({ ...(command ? { command } : {}), args: ["--debug"], env: { PYTHONPATH: "/opt/lib" } }),
    profileName: null,
    env: {},
    ...(extension ? { extension: { configMapName: "gyre-extension-alice--gpu", fileNames: Object.keys(FILES) } } : {}),
  });
}

test("the ConfigMap: the files as keys, immutable, labelled and annotated with its server and spawn, nothing else", () => {
  assert.deepEqual(buildExtensionConfigMap({ userName: "alice", serverName: "gpu", namespace: "gyre-users", spawnId: "sp-1", files: FILES }), {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: "gyre-extension-alice--gpu",
      namespace: "gyre-users",
      labels: {
        "app.kubernetes.io/name": "gyre",
        "app.kubernetes.io/component": "singleuser-extension",
        "app.kubernetes.io/managed-by": "gyre",
        "gyre.io/user": "alice",
        "gyre.io/server-name": "gpu",
      },
      annotations: { "gyre.io/user": "alice", "gyre.io/server-name": "gpu", "gyre.io/spawn-id": "sp-1" },
    },
    immutable: true,
    data: FILES,
  });
});

test("jupyter server: the wrapper around the command, the flag before the admin's args, the read-only mount, the volume's items into gyre_agent/", () => {
  const pod = podWith(["jupyter", "server"], true);
  const c = pod.spec!.containers[0];
  assert.deepEqual(c.command, ["/bin/sh", "-c", EXTENSION_WRAPPER_SH, "gyre-extension", "/gyre-extension", "jupyter", "server"]);
  assert.deepEqual(c.args!.slice(-2), ["--ServerApp.jpserver_extensions=gyre_agent.jupyter_ext=True", "--debug"]);
  assert.deepEqual(c.volumeMounts, [
    { name: "home", mountPath: "/home/jovyan" },
    { name: "gyre-extension", mountPath: "/gyre-extension", readOnly: true },
  ]);
  assert.deepEqual(pod.spec!.volumes!.at(-1), {
    name: "gyre-extension",
    configMap: {
      name: "gyre-extension-alice--gpu",
      defaultMode: 0o444,
      items: [
        { key: "__init__.py", path: "gyre_agent/__init__.py" },
        { key: "activity.py", path: "gyre_agent/activity.py" },
        { key: "jupyter_ext.py", path: "gyre_agent/jupyter_ext.py" },
      ],
    },
  });
  // the admin's PYTHONPATH stays a plain variable of the pod: the wrapper puts the folder before it
  assert.deepEqual(
    c.env!.find((e) => e.name === "PYTHONPATH"),
    { name: "PYTHONPATH", value: "/opt/lib" },
  );
});

test("jupyterhub-singleuser and python -m jupyterhub.singleuser take --ServerApp.jpserver_extensions; notebook 6 --NotebookApp.nbserver_extensions", () => {
  assert.equal(buildExtensionArg(["jupyterhub-singleuser"]), "--ServerApp.jpserver_extensions=gyre_agent.jupyter_ext=True");
  assert.equal(buildExtensionArg(["python3", "-m", "jupyterhub.singleuser"]), "--ServerApp.jpserver_extensions=gyre_agent.jupyter_ext=True");
  assert.equal(buildExtensionArg(["jupyter", "notebook"]), "--NotebookApp.nbserver_extensions=gyre_agent.jupyter_ext=True");
  const c = podWith(["jupyterhub-singleuser"], true).spec!.containers[0];
  assert.deepEqual(c.command!.slice(5), ["jupyterhub-singleuser"]);
  assert.ok(c.args!.includes("--ServerApp.jpserver_extensions=gyre_agent.jupyter_ext=True"));
});

test("serverExtension off: the pod has none of it (command as configured, no flag, no volume, no mount)", () => {
  const pod = podWith(["jupyter", "server"], false);
  const c = pod.spec!.containers[0];
  assert.deepEqual(c.command, ["jupyter", "server"]);
  assert.ok(!c.args!.some((a) => a.includes("gyre_agent")));
  assert.ok(!c.volumeMounts!.some((m) => m.name === "gyre-extension"));
  assert.ok(!pod.spec!.volumes!.some((v) => v.name === "gyre-extension"));
});

test("the volume lists each file once, sorted, and only the given keys", () => {
  assert.deepEqual(
    buildExtensionVolume({ configMapName: "x", fileNames: ["b.py", "a.py"] }).configMap!.items!.map((i) => i.path),
    ["gyre_agent/a.py", "gyre_agent/b.py"],
  );
});

test("the wrapper under /bin/sh: the folder first, an existing PYTHONPATH kept after it, an empty one adds no empty entry; argv passed on as is", () => {
  const argv = buildExtensionCommand(["/bin/sh", "-c", 'printf "%s|" "$PYTHONPATH" "$@"', "inner"]);
  const run = (env: Record<string, string>) =>
    execFileSync(argv[0], [...argv.slice(1), "--a=b c", ""], { env: { PATH: "/usr/bin:/bin", ...env } as unknown as NodeJS.ProcessEnv, encoding: "utf8" });
  assert.equal(run({}), `${EXTENSION_MOUNT_PATH}|--a=b c||`);
  assert.equal(run({ PYTHONPATH: "" }), `${EXTENSION_MOUNT_PATH}|--a=b c||`);
  assert.equal(run({ PYTHONPATH: "/image/lib:/more" }), `${EXTENSION_MOUNT_PATH}:/image/lib:/more|--a=b c||`);
});
