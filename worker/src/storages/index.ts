export { createStorageRegistry } from "./registry.js";
export type { StorageRegistry } from "./registry.js";
