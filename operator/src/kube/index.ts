export { WorkQueue, runWorkers } from "./workqueue.js";
export type {
  ReconcileErrorHandler,
  ReconcileKey,
  ReconcileOutcome,
  WorkQueueMetrics,
  WorkQueueOptions,
} from "./workqueue.js";
