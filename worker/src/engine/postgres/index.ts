export { openPostgresEngine } from "./engine.js";
export type { PostgresEngineOptions } from "./engine.js";
export { postgresDialect } from "./dialect.js";
