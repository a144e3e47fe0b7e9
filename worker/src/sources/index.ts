export { createSourceRegistry } from "./registry.js";
export type { SourceRegistry } from "./registry.js";
export { createSourceLoader } from "./loader.js";
export { SourceConnectionError, SourceQueryError } from "./errors.js";
export { DataInputError } from "./sql/errors.js";
export { createRequestTransactions } from "./transactions.js";
export type { RequestTransactions, SourceRequestContext } from "./transactions.js";
