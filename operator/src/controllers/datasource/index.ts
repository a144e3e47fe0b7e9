export { createDataSourceReconciler } from "./reconcile.js";
export type { DataSourceReconcilerOptions } from "./reconcile.js";
