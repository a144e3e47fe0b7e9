import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

/** The node's Prometheus metrics, on a registry of its own (several nodes can share a process in tests). */
export interface WorkerMetrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route">;
  graphqlErrors: Counter<"code">;
  /** Cluster mode: registrations with the management node by result (ok, failed). */
  clusterRegistrations: Counter<"result">;
  /** Cluster mode: heartbeats by result (ok, unknown_node, failed). */
  clusterHeartbeats: Counter<"result">;
  /** Cluster mode: cluster configurations applied (at registration and when they change). */
  clusterConfigApplies: Counter;
}

export function createMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: "hugr_http_requests_total",
      help: "HTTP requests by method, route and status",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "hugr_http_request_duration_seconds",
      help: "HTTP request latency by method and route",
      labelNames: ["method", "route"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    graphqlErrors: new Counter({
      name: "hugr_graphql_errors_total",
      help: "GraphQL errors returned to clients, by extensions.code",
      labelNames: ["code"],
      registers: [registry],
    }),
    clusterRegistrations: new Counter({
      name: "hugr_cluster_registrations_total",
      help: "Registrations with the management node, by result",
      labelNames: ["result"],
      registers: [registry],
    }),
    clusterHeartbeats: new Counter({
      name: "hugr_cluster_heartbeats_total",
      help: "Heartbeats to the management node, by result",
      labelNames: ["result"],
      registers: [registry],
    }),
    clusterConfigApplies: new Counter({
      name: "hugr_cluster_config_applies_total",
      help: "Cluster configurations applied by this node",
      registers: [registry],
    }),
  };
}
