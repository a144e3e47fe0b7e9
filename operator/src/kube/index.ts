export { TerminalError, WorkQueue, isTerminalError, runWorkers } from "./workqueue.js";
export type {
  ReconcileErrorHandler,
  ReconcileKey,
  ReconcileOutcome,
  WorkQueueMetrics,
  WorkQueueOptions,
} from "./workqueue.js";
export { createKubeClients, loadKubeConfig } from "./client.js";
export type { KubeClients, KubeClientsOptions, KubeConfigEnv, LoadKubeConfigOptions } from "./client.js";
export { collectionPath, startInformer } from "./informer.js";
export type {
  ChangeType,
  CollectionRef,
  Informer,
  InformerMetrics,
  InformerOptions,
  RestartReason,
} from "./informer.js";
export { createLeaderElector } from "./leader.js";
export type { LeaderElectionOptions, LeaderElector } from "./leader.js";
export { createEventRecorder, referenceTo } from "./events.js";
export type { EventRecorder, EventRecorderOptions, EventsApi, EventSpec } from "./events.js";
export {
  FIELD_MANAGER,
  applyObject,
  createIfAbsent,
  errorSummary,
  isAlreadyExists,
  isConflict,
  isNotFound,
  patchStatus,
  rfc3339,
  preserveTransitionTimes,
  statusChanged,
  statusCode,
  statusReason,
} from "./apply.js";
export type { Condition, CustomResourceType, ObservedResource, StatusWithConditions } from "./apply.js";
export { createControllerMetrics, informerMetrics, observeReconcile, workQueueMetrics } from "./metrics.js";
export type { ControllerMetrics, ReconcileResult } from "./metrics.js";
export { createCachedReader } from "./cache.js";
export type { CachedReader, CacheSource, KindRef, ObjectKey, WaitOutcome } from "./cache.js";
