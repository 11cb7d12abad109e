// The objects a spawn makes beside its pod (the token Secret, the launch's and the server
// extension's ConfigMaps) have the same name at every spawn of a server. A stop must delete its
// own spawn's and no newer one's: the hub's clean-up of a server that ended can run on past
// hub.stopTimeoutSeconds, after the server was marked stopped and a new spawn of it made its own.
// So each spawn makes its objects anew (one left by an earlier spawn is deleted first, never
// replaced: a PUT keeps the uid) and records their uids; a stop deletes with that uid as the
// DELETE's precondition. An object whose uid is not known (a spawn's state saved by an older hub,
// a reconcile after a restart) is read first and deleted only if its spawn-id annotation is the
// spawn's, still with the uid it was read with.
import type { V1ConfigMap, V1Secret } from "@kubernetes/client-node";
import { getApiStatusCode, type KubeClient } from "./client";
import { ANNOTATIONS } from "./manifests";

export type SpawnObject = { kind: "Secret"; body: V1Secret } | { kind: "ConfigMap"; body: V1ConfigMap };
export type SpawnObjectKind = SpawnObject["kind"];

/** Whose object a delete may take: the uid it was made with, or else the spawn that made it. */
export interface SpawnObjectOwner {
  uid?: string;
  spawnId?: string;
}

/**
 * POSTs the object; one of the same name left by an earlier spawn of the server (409) is deleted
 * and the object posted again, once. Returns the new object's uid. API errors are thrown as the
 * client raised them.
 */
export async function createSpawnObject(client: KubeClient, namespace: string, object: SpawnObject): Promise<string> {
  const name = object.body.metadata!.name!;
  for (let attempt = 1; ; attempt++) {
    try {
      const created =
        object.kind === "Secret"
          ? await client.core.createNamespacedSecret({ namespace, body: object.body })
          : await client.core.createNamespacedConfigMap({ namespace, body: object.body });
      return created.metadata?.uid ?? "";
    } catch (e) {
      if (getApiStatusCode(e) !== 409 || attempt > 1) throw e;
    }
    await deleteByName(client, object.kind, namespace, name, undefined);
  }
}

/**
 * Deletes the object `name` if it is the owner's (see the file's comment). Resolves true when it
 * deleted it, false when it was gone or is another spawn's; other API errors are thrown.
 */
export async function deleteSpawnObject(client: KubeClient, kind: SpawnObjectKind, namespace: string, name: string, owner: SpawnObjectOwner): Promise<boolean> {
  let uid = owner.uid;
  if (!uid) {
    if (!owner.spawnId) return false;
    let found: V1Secret | V1ConfigMap;
    try {
      found = kind === "Secret" ? await client.core.readNamespacedSecret({ name, namespace }) : await client.core.readNamespacedConfigMap({ name, namespace });
    } catch (e) {
      if (getApiStatusCode(e) === 404) return false;
      throw e;
    }
    if (found.metadata?.annotations?.[ANNOTATIONS.spawnId] !== owner.spawnId || !found.metadata.uid) return false;
    uid = found.metadata.uid;
  }
  return deleteByName(client, kind, namespace, name, uid);
}

/** DELETE, with the uid as precondition when given: 404 (gone) and 409 (another uid) are false. */
async function deleteByName(client: KubeClient, kind: SpawnObjectKind, namespace: string, name: string, uid: string | undefined): Promise<boolean> {
  const body = uid ? { preconditions: { uid } } : undefined;
  try {
    if (kind === "Secret") await client.core.deleteNamespacedSecret({ name, namespace, body });
    else await client.core.deleteNamespacedConfigMap({ name, namespace, body });
    return true;
  } catch (e) {
    const code = getApiStatusCode(e);
    if (code === 404 || (code === 409 && uid)) return false;
    throw e;
  }
}
