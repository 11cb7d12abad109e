// Gyre's Jupyter server extension in a user pod (pure): the ConfigMap that carries its Python files
// (spawners/agent/gyre_agent: EXTENSION_FILES), the read-only volume that lays them out as the
// package gyre_agent, the /bin/sh wrapper that puts that folder first on PYTHONPATH, and the flag
// that loads the extension. Local and batch servers get the same extension from the agent's zip
// (spawners/local/command.ts, spawners/batch/launcher.ts). Nothing here reads the clock, the
// environment or the network.
import type { V1ConfigMap, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import { detectServerFlavor } from "../server-flavor";
import { buildObjectName } from "./names";
import { ANNOTATIONS, buildServerLabels, type ServerRef } from "./manifests";

/** Where the extension's volume is mounted in the server container: the folder put on PYTHONPATH. */
export const EXTENSION_MOUNT_PATH = "/gyre-extension";
/** Name of that volume in the pod. */
export const EXTENSION_VOLUME_NAME = "gyre-extension";
/** The Python package the files make up under EXTENSION_MOUNT_PATH. */
export const EXTENSION_PACKAGE = "gyre_agent";
/** The module Jupyter loads (spawners/agent/gyre_agent/jupyter_ext.py). */
export const EXTENSION_MODULE = "gyre_agent.jupyter_ext";
/** Label value (app.kubernetes.io/component) of extension ConfigMaps. */
export const EXTENSION_COMPONENT = "singleuser-extension";

/**
 * The wrapper's program, run as `/bin/sh -c <this> gyre-extension <folder> <command…> <args…>`:
 * the folder goes first on PYTHONPATH, then the command replaces the shell (exec: the server is
 * the container's process and gets its signals). A PYTHONPATH the container already has (the
 * image's ENV, or spawner.kubernetes.env) is kept after it; a pod's `env` could only replace the
 * image's (Kubernetes expands $(VAR) only for variables of the pod spec).
 */
export const EXTENSION_WRAPPER_SH = 'p="$1"; shift; export PYTHONPATH="$p${PYTHONPATH:+:$PYTHONPATH}"; exec "$@"';

export interface ExtensionConfigMapOptions extends ServerRef {
  spawnId: string;
  /** file name → text (spawners/agent/agent-bundle.ts loadExtensionFiles) */
  files: Record<string, string>;
}

/**
 * The server's extension ConfigMap: one key per file (keys cannot hold "/": the volume's items
 * put them into the package folder). Immutable, so that no one changes what a running server
 * loads and kubelets need not watch it; created per spawn, deleted with the server. It holds the
 * extension's source only: no token, no setting of the user or the server.
 */
export function buildExtensionConfigMap(o: ExtensionConfigMapOptions): V1ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: buildObjectName({ kind: "extension", userName: o.userName, serverName: o.serverName }),
      namespace: o.namespace,
      labels: buildServerLabels({ userName: o.userName, serverName: o.serverName, component: EXTENSION_COMPONENT }),
      annotations: { [ANNOTATIONS.user]: o.userName, [ANNOTATIONS.serverName]: o.serverName, [ANNOTATIONS.spawnId]: o.spawnId },
    },
    immutable: true,
    data: { ...o.files },
  };
}

/** The pod's volume of the extension: each key as gyre_agent/<key>, read-only for everyone (0444). */
export function buildExtensionVolume(o: { configMapName: string; fileNames: readonly string[] }): V1Volume {
  return {
    name: EXTENSION_VOLUME_NAME,
    configMap: {
      name: o.configMapName,
      defaultMode: 0o444,
      items: [...o.fileNames].sort().map((key) => ({ key, path: `${EXTENSION_PACKAGE}/${key}` })),
    },
  };
}

/** The server container's mount of that volume (read-only). */
export function buildExtensionMount(): V1VolumeMount {
  return { name: EXTENSION_VOLUME_NAME, mountPath: EXTENSION_MOUNT_PATH, readOnly: true };
}

/** The container's command: `command` run through the PYTHONPATH wrapper (EXTENSION_WRAPPER_SH). */
export function buildExtensionCommand(command: readonly string[]): string[] {
  return ["/bin/sh", "-c", EXTENSION_WRAPPER_SH, "gyre-extension", EXTENSION_MOUNT_PATH, ...command];
}

/**
 * The flag that loads the extension, as the local spawner gives it (a Dict trait as key=value):
 * jupyter_server and jupyterhub-singleuser take --ServerApp.jpserver_extensions, notebook 6
 * --NotebookApp.nbserver_extensions. A flag on the command line, which no config file of the user's
 * overrides.
 */
export function buildExtensionArg(command: readonly string[]): string {
  return detectServerFlavor(command) === "notebook"
    ? `--NotebookApp.nbserver_extensions=${EXTENSION_MODULE}=True`
    : `--ServerApp.jpserver_extensions=${EXTENSION_MODULE}=True`;
}
