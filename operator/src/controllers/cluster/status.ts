import type { V1Deployment } from "@kubernetes/client-node";
import type { NodeInfo } from "@hugr/protocol";
import type { Condition, HugrCluster, HugrClusterStatus } from "../../api/v1alpha1/index.js";
import type { ClusterReason, ConditionUpdate } from "./conditions.js";
import { DEFAULT_REPLICAS, selectorString } from "./specs/index.js";

/** Why the cluster cannot be fully reconciled, when it cannot. */
export interface ClusterProblem {
  reason: Extract<
    ClusterReason,
    "SecretNotFound" | "SecretKeyNotFound" | "InvalidAuthConfig" | "CoreDatabaseUnreachable"
  >;
  message: string;
}

/** What the status is computed from: observed once per reconcile. */
export interface StatusObservation {
  cluster: HugrCluster;
  /** The worker Deployment as the apiserver has it; undefined when it does not exist (yet). */
  deployment: V1Deployment | undefined;
  /** The management registry's nodes of this cluster; empty when its coordination is not running. */
  nodes: readonly NodeInfo[];
  problem: ClusterProblem | undefined;
  /** RFC 3339 time for conditions that change status now. */
  now: string;
}

/**
 * Workers the cluster should have: spec.replicas, or while the HPA owns the Deployment, the count it
 * last set there.
 */
export function desiredReplicas(cluster: HugrCluster, deployment: V1Deployment | undefined): number {
  const autoscaling = cluster.spec.autoscaling;
  if (autoscaling?.enabled === true) {
    return deployment?.spec?.replicas ?? autoscaling.minReplicas ?? 1;
  }
  return cluster.spec.replicas ?? DEFAULT_REPLICAS;
}

/** The status a reconcile writes; pure, so equal observations give equal statuses. */
export function buildStatus(observation: StatusObservation): HugrClusterStatus {
  const { cluster, deployment, nodes } = observation;
  const generation = cluster.metadata.generation ?? 0;
  // patchStatus (kube/apply.ts) keeps the stored lastTransitionTime of a condition whose status holds.
  const conditions: Condition[] = conditionUpdates(observation).map((update) => ({
    ...update,
    observedGeneration: generation,
    lastTransitionTime: observation.now,
  }));
  return {
    observedGeneration: generation,
    replicas: deployment?.status?.replicas ?? 0,
    readyReplicas: deployment?.status?.readyReplicas ?? 0,
    registeredNodes: nodes.length,
    selector: selectorString(cluster),
    nodes: nodes.map((node) => ({
      name: node.name,
      url: node.url,
      version: node.version,
      ready: node.ready,
      error: node.error,
    })),
    conditions,
  };
}

function conditionUpdates(observation: StatusObservation): ConditionUpdate[] {
  return [readyCondition(observation), progressingCondition(observation), degradedCondition(observation)];
}

function readyCondition({ cluster, deployment, nodes, problem }: StatusObservation): ConditionUpdate {
  if (problem) return { type: "Ready", status: "False", reason: problem.reason, message: problem.message };
  const desired = desiredReplicas(cluster, deployment);
  if (desired === 0) {
    return { type: "Ready", status: "True", reason: "ScaledToZero", message: "the cluster has no workers" };
  }
  const readyPods = deployment?.status?.readyReplicas ?? 0;
  const readyNodes = nodes.filter((n) => n.ready).length;
  const message = `${readyPods} of ${desired} worker pods ready; ${readyNodes} of ${desired} nodes registered and ready`;
  const ready = readyPods >= desired && readyNodes >= desired;
  return {
    type: "Ready",
    status: ready ? "True" : "False",
    reason: ready ? "AllNodesReady" : "NodesNotReady",
    message,
  };
}

function progressingCondition({ cluster, deployment }: StatusObservation): ConditionUpdate {
  const rollingOut = (message: string): ConditionUpdate => ({
    type: "Progressing",
    status: "True",
    reason: "RollingOut",
    message,
  });
  if (!deployment) return rollingOut("the worker Deployment is being created");
  const desired = desiredReplicas(cluster, deployment);
  const status = deployment.status ?? {};
  if ((status.observedGeneration ?? 0) < (deployment.metadata?.generation ?? 0)) {
    return rollingOut("the Deployment controller has not observed the latest worker Deployment yet");
  }
  const updated = status.updatedReplicas ?? 0;
  if (updated < desired || (status.replicas ?? 0) > updated) {
    return rollingOut(`${updated} of ${desired} worker pods run the latest pod template`);
  }
  return {
    type: "Progressing",
    status: "False",
    reason: "RolloutComplete",
    message: "every worker runs the latest pod template",
  };
}

function degradedCondition({ problem }: StatusObservation): ConditionUpdate {
  if (problem) return { type: "Degraded", status: "True", reason: problem.reason, message: problem.message };
  return { type: "Degraded", status: "False", reason: "AsExpected", message: "" };
}
