export { createSourceRegistry } from "./registry.js";
export type { SchemaLease, ServedSource, SourceRegistry } from "./registry.js";
export { createSourceLoader, LOADABLE_TYPES } from "./loader.js";
export type { SourceLoaderOptions, SourceSettings } from "./loader.js";
export { SourceConnectionError, SourceQueryError } from "./errors.js";
export { DataInputError } from "./sql/errors.js";
export { createRequestTransactions } from "./transactions.js";
export type { RequestTransactions, SourceRequestContext } from "./transactions.js";
