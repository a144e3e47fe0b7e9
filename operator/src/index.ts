export { startManagement } from "./server.js";
export type { RunningManagement, StartManagementOptions } from "./server.js";
export { parseManagementConfig, selectMode } from "./config/index.js";
export type { ManagementConfig, Mode } from "./config/index.js";
