import type { KubernetesObject } from "@kubernetes/client-node";
import type { ChangeType } from "../kube/index.js";

/**
 * controller-runtime's GenerationChanged-or-metadata predicate for the HugrCluster watch: an update
 * wakes the reconciler only when the spec (generation), labels, annotations, finalizers or deletion
 * changed. The operator's own status writes change none of these, so they never re-trigger a
 * reconcile (no self-triggered loops). Remembers the last signature per object, since the informer
 * hands over the new object only.
 */
export function createRelevantChangeFilter(): (obj: KubernetesObject, change: ChangeType) => boolean {
  const seen = new Map<string, string>();
  return (obj, change) => {
    const uid = obj.metadata?.uid ?? `${obj.metadata?.namespace}/${obj.metadata?.name}`;
    if (change === "delete") {
      seen.delete(uid);
      return true;
    }
    const signature = signatureOf(obj);
    const before = seen.get(uid);
    seen.set(uid, signature);
    // A resync re-delivers everything: reconcile it, which is what a resync is for.
    return change !== "update" || before !== signature;
  };
}

function signatureOf(obj: KubernetesObject): string {
  const meta = obj.metadata ?? {};
  return JSON.stringify([
    meta.generation,
    meta.labels ?? {},
    meta.annotations ?? {},
    meta.finalizers ?? [],
    meta.deletionTimestamp ?? null,
  ]);
}
