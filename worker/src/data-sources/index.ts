export { createDataSourceRuntime } from "./runtime.js";
export type {
  DataSourceLoader,
  DataSourceRuntime,
  DataSourceRuntimeOptions,
  DataSourceStatus,
} from "./runtime.js";
export { DataSourceError } from "./errors.js";
export type { DataSourceErrorCode } from "./errors.js";
export { createSourceLoader } from "./loader.js";
export type { SourceLoaderOptions, SourceSettings } from "./loader.js";
export { createDirectWriter } from "./writer.js";
export type { DataSourceWriter, DirectWriterOptions } from "./writer.js";
