export { parseManagementConfig } from "./env.js";
export { selectMode } from "./mode.js";
export type { ManagementConfig, Mode } from "./types.js";
