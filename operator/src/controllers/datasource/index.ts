export { clusterKeyOf, createDataSourceReconciler, HUGR_DATA_SOURCE_RESOURCE } from "./reconcile.js";
export type { DataSourceReconcilerOptions } from "./reconcile.js";
