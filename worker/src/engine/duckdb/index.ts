export { openDuckDbEngine } from "./engine.js";
export type { DuckDbEngineOptions } from "./engine.js";
export { duckDbDialect } from "./dialect.js";
export { rewriteObjectUrls } from "./object-urls.js";
