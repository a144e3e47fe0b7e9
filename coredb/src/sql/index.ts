export type { ColumnType, RelationSpec, TableSpec } from "./table.js";
export type { SqlParams } from "./params.js";
export { createParams } from "./params.js";
export type { OrderByField } from "./filter.js";
export { compileFilter, compileOrderBy, FilterError } from "./filter.js";
export { quoteIdent, joinAnd, joinOr, isPlainObject } from "./sql-text.js";
