export { openCoreDb } from "./open.js";
export type { OpenCoreDbOptions } from "./open.js";
export { migrate, currentVersion, LATEST_VERSION } from "./migrations.js";
export { checkExportTarget, exportCoreDb, EXPORTED_TABLES } from "./export.js";
export type { ExportCoreDbOptions, ExportedTable } from "./export.js";
export type { Migration, MigrationReport } from "./migrations.js";
export { CoreDbError, readOnlyError, sqlState, SQLSTATE_INVALID_REGULAR_EXPRESSION } from "./errors.js";
export type { CoreDbErrorCode } from "./errors.js";
export type { CoreDb, CoreDbLogger, SqlExecutor } from "./types.js";
/** What openCoreDb opens: the configuration is read (and its type defined) by @hugr/common. */
export type { CoreDbConfig } from "@hugr/common";
export {
  listEnabledDataSources,
  getDataSource,
  getDataSources,
  insertDataSource,
  assertCatalogFits,
  dataSourceWithDefaults,
  putDataSource,
  updateDataSources,
  deleteDataSources,
  validateDataSource,
  validateCatalog,
  validatePatch,
  validateUpdate,
  DATA_SOURCE_TYPES,
  CATALOG_TYPES,
} from "./data-sources.js";
export type {
  DataSource,
  CatalogSource,
  DataSourceInput,
  CatalogSourceInput,
  DataSourcePatch,
} from "./data-sources.js";
export { announceCoreChange, withReadCache, CORE_CHANGED_CHANNEL } from "./read-cache.js";
export type { CachedCoreDb, ReadCacheOptions, ReadThrough } from "./read-cache.js";
