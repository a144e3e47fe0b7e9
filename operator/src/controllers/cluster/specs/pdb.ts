import type { IntOrString, V1PodDisruptionBudget } from "@kubernetes/client-node";
import type { HugrCluster } from "../../../api/v1alpha1/index.js";
import { clusterName, selectorLabels } from "./names.js";
import { ownedMetadata } from "./owner.js";

/** Workers a voluntary disruption may take down when the spec sets neither bound. */
const DEFAULT_MAX_UNAVAILABLE = 1;

/**
 * The workers' policy/v1 PodDisruptionBudget, rendered unless podDisruptionBudget.enabled is false
 * (undefined then; the reconciler deletes any PDB it rendered before). Unhealthy pods may always be
 * evicted (AlwaysAllow, as Kubernetes recommends): a crash-looping worker must not block a node drain.
 */
export function buildPdb(cluster: HugrCluster): V1PodDisruptionBudget | undefined {
  const pdb = cluster.spec.podDisruptionBudget;
  if (pdb?.enabled === false) return undefined;
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: ownedMetadata(cluster, clusterName(cluster)),
    spec: {
      selector: { matchLabels: selectorLabels(cluster) },
      ...budget(pdb?.minAvailable, pdb?.maxUnavailable),
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    },
  };
}

/** The CRD's CEL rule allows at most one of the two. */
function budget(
  minAvailable: IntOrString | undefined,
  maxUnavailable: IntOrString | undefined,
): { minAvailable: IntOrString } | { maxUnavailable: IntOrString } {
  if (minAvailable !== undefined) return { minAvailable };
  return { maxUnavailable: maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE };
}
