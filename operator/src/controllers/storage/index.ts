export { createStorageReconciler } from "./reconcile.js";
export type { StorageReconcilerOptions } from "./reconcile.js";
