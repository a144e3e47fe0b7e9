import type { NodeInfo } from "@hugr/protocol";
import type { Condition, NodeResult } from "../../api/v1alpha1/index.js";

/** Reasons of a HugrDataSource's or HugrObjectStorage's Ready condition (also their Events). */
export type ServedReason =
  | "Loaded"
  | "Unloaded"
  | "Registered"
  | "LoadFailed"
  | "RegisterFailed"
  | "NoReadyNodes"
  | "ClusterNotReady"
  | "SecretNotFound"
  | "SecretKeyNotFound"
  | "InvalidDataSource"
  | "NameConflict"
  | "Deleting";

/** Why the resource cannot be served at all right now. */
export interface ServedProblem {
  reason: Extract<
    ServedReason,
    "ClusterNotReady" | "SecretNotFound" | "SecretKeyNotFound" | "InvalidDataSource" | "NameConflict"
  >;
  message: string;
}

/** What a resource's status is computed from. */
export interface ServedObservation {
  generation: number;
  /** The cluster's registered nodes (ready or not). */
  nodes: readonly NodeInfo[];
  /** The resource's state on each node, as the nodes reported it. */
  perNode: readonly NodeResult[];
  /** The per-node state that counts as served: "attached" (data sources) or "registered" (storages). */
  servedState: string;
  /** Served on no node on purpose (a disabled data source). */
  off: boolean;
  problem: ServedProblem | undefined;
  now: string;
}

export interface ServedStatus {
  observedGeneration: number;
  /** Ready nodes that serve the resource (loaded or registered). */
  served: number;
  total: number;
  nodes: NodeResult[];
  conditions: Condition[];
}

/**
 * The status of a resource served by every ready node of its cluster. Ready when every ready node
 * serves it (or, switched off, none does); the message names the nodes that fail, with their error.
 */
export function buildServedStatus(observation: ServedObservation): ServedStatus {
  const readyNodes = new Set(observation.nodes.filter((n) => n.ready).map((n) => n.name));
  const onReady = observation.perNode.filter((r) => readyNodes.has(r.node));
  const served = onReady.filter((r) => r.status === observation.servedState).length;
  const ready = readyCondition(observation, { readyNodes: readyNodes.size, served, onReady });
  return {
    observedGeneration: observation.generation,
    served,
    total: readyNodes.size,
    nodes: [...observation.perNode].sort((a, b) => a.node.localeCompare(b.node)),
    conditions: [
      {
        type: "Ready",
        ...ready,
        observedGeneration: observation.generation,
        lastTransitionTime: observation.now,
      },
    ],
  };
}

type ReadyFields = { status: "True" | "False"; reason: ServedReason; message: string };

function readyCondition(
  observation: ServedObservation,
  counts: { readyNodes: number; served: number; onReady: readonly NodeResult[] },
): ReadyFields {
  const { problem, off, servedState } = observation;
  if (problem) return { status: "False", ...problem };
  const storage = servedState === "registered";
  if (off) {
    const still = counts.onReady.filter((r) => r.status === servedState).map((r) => r.node);
    return still.length === 0
      ? { status: "True", reason: "Unloaded", message: "disabled: unloaded on every node" }
      : {
          status: "False",
          reason: "LoadFailed",
          message: `disabled, but still loaded on ${still.join(", ")}`,
        };
  }
  if (counts.readyNodes === 0) {
    return { status: "False", reason: "NoReadyNodes", message: "the cluster has no ready node yet" };
  }
  const failing = counts.onReady.filter((r) => r.status !== servedState);
  if (failing.length === 0) {
    const reason = storage ? "Registered" : "Loaded";
    return {
      status: "True",
      reason,
      message: `${reason.toLowerCase()} on ${counts.served} of ${counts.readyNodes} ready nodes`,
    };
  }
  const details = failing.map((r) => `${r.node}: ${r.error || r.status}`).join("; ");
  return {
    status: "False",
    reason: storage ? "RegisterFailed" : "LoadFailed",
    message: `${counts.served} of ${counts.readyNodes} ready nodes; ${details}`,
  };
}

/** What a data source or storage names its cluster with. */
interface ClusterMember {
  metadata: { namespace?: string };
  spec: { clusterRef: { name: string } };
}

/** The key of the HugrCluster a data source or storage belongs to: "<namespace>/<clusterRef.name>". */
export const clusterKeyOf = (resource: ClusterMember): string =>
  `${resource.metadata.namespace ?? ""}/${resource.spec.clusterRef.name}`;

/** The problem of a resource whose cluster has no running coordination (yet). */
export const clusterNotReady = (resource: ClusterMember): ServedProblem => ({
  reason: "ClusterNotReady",
  message: `HugrCluster '${resource.spec.clusterRef.name}' is not reconciled yet (or does not exist)`,
});
