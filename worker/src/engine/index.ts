export type { AccessRules } from "./access.js";
export type { Querier, Row, SourceEngine, SqlDialect } from "./engine.js";
export { SourceConnectionError, SourceQueryError } from "./errors.js";
export { AccessDeniedError, DataInputError, FilterError } from "./sql/errors.js";
export { jsonScalar } from "./graphql/shared.js";
export { createRequestTransactions } from "./transactions.js";
export type { RequestTransactions, SourceRequestContext } from "./transactions.js";
