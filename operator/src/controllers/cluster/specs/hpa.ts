import type { V2HorizontalPodAutoscaler, V2MetricSpec } from "@kubernetes/client-node";
import type { HugrCluster, HugrClusterSpec } from "../../../api/v1alpha1/index.js";
import { clusterName } from "./names.js";
import { ownedMetadata } from "./owner.js";

type Autoscaling = NonNullable<HugrClusterSpec["autoscaling"]>;

/** CPU utilization the HPA aims for when the spec names no target at all. */
const DEFAULT_CPU_UTILIZATION = 80;

/**
 * Whether the HPA owns the worker count. Then the Deployment is applied without `replicas`, so the
 * operator's apply never takes the field back from the HPA.
 */
export function autoscalingEnabled(cluster: HugrCluster): boolean {
  return cluster.spec.autoscaling?.enabled === true;
}

/**
 * The autoscaling/v2 HPA of the worker Deployment, or undefined when autoscaling is off (the
 * reconciler then deletes any HPA it rendered before). Throws when enabled without maxReplicas, which
 * the CRD's CEL rule already rejects.
 */
export function buildHpa(cluster: HugrCluster): V2HorizontalPodAutoscaler | undefined {
  const autoscaling = cluster.spec.autoscaling;
  if (autoscaling?.enabled !== true) return undefined;
  const { minReplicas, maxReplicas, behavior } = autoscaling;
  if (maxReplicas === undefined) {
    throw new Error(`HugrCluster '${clusterName(cluster)}': autoscaling is enabled without maxReplicas`);
  }
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: ownedMetadata(cluster, clusterName(cluster)),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: clusterName(cluster) },
      ...(minReplicas === undefined ? {} : { minReplicas }),
      maxReplicas,
      metrics: utilizationMetrics(autoscaling),
      // Free-form in the CRD: copied as written; the apiserver validates it in the HPA.
      ...(behavior === undefined ? {} : { behavior }),
    },
  };
}

/** One Resource metric per utilization target set; CPU at 80% when none is. */
function utilizationMetrics(autoscaling: Autoscaling): V2MetricSpec[] {
  const { targetCPUUtilizationPercentage: cpu, targetMemoryUtilizationPercentage: memory } = autoscaling;
  if (cpu === undefined && memory === undefined) return [utilization("cpu", DEFAULT_CPU_UTILIZATION)];
  const metrics: V2MetricSpec[] = [];
  if (cpu !== undefined) metrics.push(utilization("cpu", cpu));
  if (memory !== undefined) metrics.push(utilization("memory", memory));
  return metrics;
}

function utilization(resource: "cpu" | "memory", averageUtilization: number): V2MetricSpec {
  return {
    type: "Resource",
    resource: { name: resource, target: { type: "Utilization", averageUtilization } },
  };
}
