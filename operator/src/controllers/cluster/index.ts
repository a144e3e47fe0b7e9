export { createClusterReconciler } from "./reconcile.js";
export type { ClusterEventRecorder, ClusterReconcilerOptions } from "./reconcile.js";
export { referencedSecretNames } from "./inputs.js";
