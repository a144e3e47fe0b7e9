export { createDataSourceReconciler } from "./reconcile.js";
export { hugrNameOf, namesakes, resourceNameFor } from "./names.js";
export type { DataSourceReconcilerOptions } from "./reconcile.js";
