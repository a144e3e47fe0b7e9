export { withCoreTables } from "./tables.js";
export { createCoreEngine } from "./engine.js";
