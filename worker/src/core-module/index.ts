export { withCoreTables } from "./tables.js";
export { createCoreEngine } from "./engine.js";
export { CORE_CATALOG_SDL } from "./catalog.js";
