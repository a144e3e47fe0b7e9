import { PatchStrategy, type KubernetesObjectApi, type V1Deployment } from "@kubernetes/client-node";
import { FIELD_MANAGER } from "../../kube/index.js";

/**
 * The field manager that holds a Deployment's `replicas` for a moment while autoscaling is turned on.
 * Server-side apply removes a field its last applier stops sending: if the operator simply left
 * `replicas` out, the apiserver would reset it to 1 until the HPA's next sync (about 15 s), dropping
 * a 5-worker cluster to 1. With a second owner of the same value, the operator's release keeps the
 * value, and the HPA's first scale takes it over.
 */
export const REPLICAS_HANDOFF_MANAGER = "hugr-operator-autoscaling-handoff";

/** Whether the operator's apply currently owns `spec.replicas` of this Deployment. */
export function operatorOwnsReplicas(deployment: V1Deployment | undefined): boolean {
  return (deployment?.metadata?.managedFields ?? []).some((entry) => {
    if (entry.manager !== FIELD_MANAGER || entry.operation !== "Apply") return false;
    const spec = (entry.fieldsV1 as { "f:spec"?: Record<string, unknown> } | undefined)?.["f:spec"];
    return spec !== undefined && "f:replicas" in spec;
  });
}

/**
 * Before the first apply without `replicas`, gives the current value a second owner (see
 * {@link REPLICAS_HANDOFF_MANAGER}). A no-op unless the operator owns the field.
 */
export async function handOverReplicas(
  objects: KubernetesObjectApi,
  current: V1Deployment | undefined,
): Promise<void> {
  if (!current || !operatorOwnsReplicas(current)) return;
  const { name, namespace } = current.metadata ?? {};
  const handoff = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace },
    spec: { replicas: current.spec?.replicas },
  };
  await objects.patch(
    handoff,
    undefined,
    undefined,
    REPLICAS_HANDOFF_MANAGER,
    true,
    PatchStrategy.ServerSideApply,
  );
}
