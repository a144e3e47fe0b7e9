export { createCache } from "./cache.js";
export { createCacheMetrics } from "./metrics.js";
export type { CacheLevel, CacheMetrics } from "./metrics.js";
export type {
  Cache,
  CacheInvalidation,
  CacheSetOptions,
  CacheValue,
  CreateCacheOptions,
  GetOrLoadOptions,
} from "./types.js";
