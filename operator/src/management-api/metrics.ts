import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** The management node's Prometheus metrics. */
export interface ManagementMetrics {
  registry: Registry;
  registrations: Counter<"cluster">;
  heartbeats: Counter<"cluster" | "result">;
  healthChecks: Counter<"cluster" | "result">;
  nodes: Gauge<"cluster" | "ready">;
  fanOutDuration: Histogram<"cluster" | "operation" | "result">;
  fanOutNodeFailures: Counter<"cluster" | "operation" | "node">;
  removedNodes: Counter<"cluster">;
}

export function createManagementMetrics(): ManagementMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    registrations: new Counter({
      name: "hugr_management_registrations_total",
      help: "Node registrations",
      labelNames: ["cluster"],
      registers,
    }),
    heartbeats: new Counter({
      name: "hugr_management_heartbeats_total",
      help: "Node heartbeats by result (ok, unknown_node)",
      labelNames: ["cluster", "result"],
      registers,
    }),
    healthChecks: new Counter({
      name: "hugr_management_health_checks_total",
      help: "Health checks of nodes by result (ready, not_ready, unreachable)",
      labelNames: ["cluster", "result"],
      registers,
    }),
    nodes: new Gauge({
      name: "hugr_management_nodes",
      help: "Registered nodes by readiness",
      labelNames: ["cluster", "ready"],
      registers,
    }),
    fanOutDuration: new Histogram({
      name: "hugr_management_fanout_duration_seconds",
      help: "Duration of cluster operations across all ready nodes",
      labelNames: ["cluster", "operation", "result"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    fanOutNodeFailures: new Counter({
      name: "hugr_management_fanout_node_failures_total",
      help: "Nodes that failed their part of a cluster operation",
      labelNames: ["cluster", "operation", "node"],
      registers,
    }),
    removedNodes: new Counter({
      name: "hugr_management_removed_nodes_total",
      help: "Nodes removed from the registry after the grace period",
      labelNames: ["cluster"],
      registers,
    }),
  };
}
