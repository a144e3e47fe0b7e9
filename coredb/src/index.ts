export { openCoreDb } from "./open.js";
export type { OpenCoreDbOptions } from "./open.js";
export { migrate, currentVersion, LATEST_VERSION } from "./migrations.js";
export type { Migration, MigrationReport } from "./migrations.js";
export { CoreDbError, readOnlyError } from "./errors.js";
export type { CoreDbErrorCode } from "./errors.js";
export type { CoreDb, CoreDbConfig, CoreDbLogger, SqlExecutor } from "./types.js";
export {
  listDataSources,
  getDataSource,
  insertDataSource,
  assertCatalogFits,
  putDataSource,
  updateDataSources,
  deleteDataSources,
  validateDataSource,
  validateCatalog,
  validatePatch,
  DATA_SOURCE_TYPES,
  CATALOG_TYPES,
} from "./data-sources.js";
export type {
  DataSource,
  CatalogSource,
  DataSourceInput,
  CatalogSourceInput,
  DataSourcePatch,
  ListDataSourcesOptions,
} from "./data-sources.js";
export { FilterError, createParams, quoteIdent, joinAnd, joinOr, isPlainObject } from "./sql/index.js";
export type { OrderByField, SqlParams } from "./sql/index.js";
export { withReadCache, CORE_CHANGED_CHANNEL } from "./read-cache.js";
export type { CachedCoreDb, ReadCacheOptions, ReadThrough } from "./read-cache.js";
