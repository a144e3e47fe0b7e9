export { createMetrics } from "./metrics.js";
export type { WorkerMetrics } from "./metrics.js";
