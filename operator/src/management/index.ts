export { createManagementApp } from "./app.js";
export type { ManagementAppOptions } from "./app.js";
export { createClusterService } from "./service.js";
export type { ClusterService, ClusterServiceOptions } from "./service.js";
export { createManagementMetrics } from "./metrics.js";
export type { ManagementMetrics } from "./metrics.js";
