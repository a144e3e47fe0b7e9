export { createClusterAgent } from "./agent.js";
export type { ClusterAgent, ClusterAgentOptions } from "./agent.js";
export { createNodeApi } from "./node-api.js";
export type { NodeApiOptions } from "./node-api.js";
export { applyClusterConfig } from "./apply.js";
export type { ClusterTargets } from "./apply.js";
export { createManagementClients } from "./clients.js";
export type { ManagementClients } from "./clients.js";
