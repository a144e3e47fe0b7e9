export { StorageError } from "./errors.js";
export type { StorageErrorDetails } from "./errors.js";
export type { ObjectStore } from "./object-store.js";
export { createStorageRegistry } from "./registry.js";
export type { StorageRegistry, StorageRegistryOptions } from "./registry.js";
