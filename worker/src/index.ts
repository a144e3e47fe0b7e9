export { startWorker } from "./server.js";
export type { RunningWorker, StartWorkerOptions } from "./server.js";
export { parseWorkerConfig, ConfigError } from "./config/index.js";
export type { WorkerConfig } from "./config/index.js";
export { createLogger } from "@hugr/common";
