export { startOperator } from "./start.js";
export type { RunningOperator } from "./start.js";
