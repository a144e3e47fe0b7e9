export { clusterPath, createManagementApp, OperationRefused } from "./app.js";
export type {
  ClusterDirectory,
  ClusterEndpoint,
  ClusterOperationsTarget,
  ManagementAppOptions,
  ProbeResult,
} from "./app.js";
export { watchAuthFile } from "./auth-file.js";
export type { AuthFileWatch, AuthFileWatchOptions } from "./auth-file.js";
export { createClusterService } from "./service.js";
export { forgetClusterNodes, readyNodeNames, readyNodes } from "./registry.js";
export type { ClusterService, ClusterServiceOptions } from "./service.js";
export { clusterStateDatabase, createClusterRuntimes } from "./clusters.js";
export type { ClusterRuntimeOptions, ClusterRuntimes, ClusterSettings } from "./clusters.js";
export { createManagementMetrics } from "./metrics.js";
export type { ManagementMetrics } from "./metrics.js";
