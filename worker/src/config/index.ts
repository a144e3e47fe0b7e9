/** The work node's configuration: parsed once at startup from environment variables. */
export { parseWorkerConfig } from "./env.js";
export { ConfigError, parseDuration } from "@hugr/common";
export type { AuthSettings, CacheConfig, ClusterConfig, CoreDbConfig, WorkerConfig } from "./types.js";
