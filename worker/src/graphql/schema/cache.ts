import { builder } from "../builder.js";
import { CoreFunctions } from "./modules.js";
import { OperationResultRef } from "./operation-result.js";

/**
 * `function { core { cache { invalidate(tags:) } } }`: hugr's way to drop cached results. With tags,
 * the results carrying any of them; without, every result of this cluster, and only of this cluster
 * (hugr flushes the whole Redis database). On every node at once.
 */
type Module = Record<string, never>;
const MODULE: Module = {};

const CacheFunctions = builder.objectRef<Module>("_module_core_cache_function").implement({
  description: "The node's cache",
  fields: (t) => ({
    invalidate: t.field({
      type: OperationResultRef,
      description:
        "Drops the cached results with any of the tags, or, without tags, this cluster's every result",
      args: { tags: t.arg.stringList({ required: false }) },
      resolve: async (_root, args, ctx) => {
        const cache = ctx.cache?.cache;
        if (!cache) return { success: true, message: "the cache is disabled: nothing to invalidate" };
        const tags = args.tags ?? [];
        if (tags.length === 0) {
          await cache.invalidateAll();
          return { success: true, message: "every cached result of this cluster invalidated" };
        }
        await cache.invalidateTags(tags);
        return { success: true, message: `cached results tagged ${tags.join(", ")} invalidated` };
      },
    }),
  }),
});

builder.objectField(CoreFunctions, "cache", (t) => t.field({ type: CacheFunctions, resolve: () => MODULE }));
