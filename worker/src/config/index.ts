/** The work node's configuration: parsed once at startup from environment variables. */
export { parseWorkerConfig } from "./env.js";
export { parseDuration } from "./duration.js";
export { ConfigError } from "./errors.js";
export type { AuthConfig, CacheConfig, ClusterConfig, CoreDbConfig, WorkerConfig } from "./types.js";
