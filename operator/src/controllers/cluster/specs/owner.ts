import type { V1ObjectMeta, V1OwnerReference } from "@kubernetes/client-node";
import { API_VERSION, HUGR_CLUSTER_KIND, type HugrCluster } from "../../../api/v1alpha1/index.js";
import { clusterName, clusterNamespace, workerLabels } from "./names.js";

/**
 * The controller reference every rendered object carries: the garbage collector deletes the objects
 * with the HugrCluster, and `blockOwnerDeletion` keeps a foreground deletion of the cluster waiting
 * for them. Needs metadata.uid, so it is built from a HugrCluster read from the apiserver.
 */
export function ownerReference(cluster: HugrCluster): V1OwnerReference {
  const name = clusterName(cluster);
  const uid = cluster.metadata.uid;
  if (!uid) throw new Error(`HugrCluster '${name}' has no metadata.uid; read it from the apiserver first`);
  return {
    apiVersion: API_VERSION,
    kind: HUGR_CLUSTER_KIND,
    name,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Metadata of an object owned by the cluster: its name, the cluster's namespace, labels and owner. */
export function ownedMetadata(cluster: HugrCluster, name: string): V1ObjectMeta {
  return {
    name,
    namespace: clusterNamespace(cluster),
    labels: workerLabels(cluster),
    ownerReferences: [ownerReference(cluster)],
  };
}
