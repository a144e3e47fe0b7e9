export { createStorageReconciler, HUGR_OBJECT_STORAGE_RESOURCE } from "./reconcile.js";
export type { StorageReconcilerOptions } from "./reconcile.js";
