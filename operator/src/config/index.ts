export { parseManagementConfig } from "./env.js";
export { parseOperatorConfig } from "./kubernetes.js";
export { selectMode } from "./mode.js";
export type { ManagementConfig, Mode, OperatorConfig } from "./types.js";
