export type { Querier, Row, SourceEngine, SqlDialect } from "./engine.js";
export { SourceConnectionError, SourceQueryError } from "./errors.js";
export { DataInputError, FilterError } from "./sql/errors.js";
export { createRequestTransactions } from "./transactions.js";
export type { RequestTransactions, SourceRequestContext } from "./transactions.js";
