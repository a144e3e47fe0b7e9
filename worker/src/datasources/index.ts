export { createDataSourceRuntime } from "./runtime.js";
export type {
  DataSourceLoader,
  DataSourceRuntime,
  DataSourceRuntimeOptions,
  DataSourceStatus,
} from "./runtime.js";
export { DataSourceError } from "./errors.js";
export type { DataSourceErrorCode } from "./errors.js";
export { maskDsnPassword } from "./dsn.js";
