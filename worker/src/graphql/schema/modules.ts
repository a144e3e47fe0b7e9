import { builder } from "../builder.js";

/**
 * hugr's module tree. Module objects carry no data (resolvers return `{}`); domain files add
 * their fields to these types:
 *   query    { core { ... } }             -> CoreQuery
 *   query    { function { core { ... } } } -> CoreFunctions
 *   mutation { core { ... } }             -> CoreMutation
 *   mutation { function { core { ... } } } -> CoreMutationFunctions
 */
type Module = Record<string, never>;
const MODULE: Module = {};

export const CoreQuery = builder.objectRef<Module>("_module_core_query").implement({
  description: "The core module: hugr's own configuration tables",
});
export const CoreMutation = builder.objectRef<Module>("_module_core_mutation").implement({
  description: "Changes to the core module's tables",
});
export const CoreFunctions = builder.objectRef<Module>("_module_core_function").implement({
  description: "Functions of the core module",
});
export const CoreMutationFunctions = builder.objectRef<Module>("_module_core_function_mutation").implement({
  description: "Functions of the core module that change state",
});

const Functions = builder.objectRef<Module>("Function").implement({
  description: "Functions, grouped by module",
  fields: (t) => ({ core: t.field({ type: CoreFunctions, resolve: () => MODULE }) }),
});
const MutationFunctions = builder.objectRef<Module>("MutationFunction").implement({
  description: "Functions that change state, grouped by module",
  fields: (t) => ({ core: t.field({ type: CoreMutationFunctions, resolve: () => MODULE }) }),
});

builder.queryType({
  fields: (t) => ({
    core: t.field({ type: CoreQuery, resolve: () => MODULE }),
    function: t.field({ type: Functions, resolve: () => MODULE }),
  }),
});

builder.mutationType({
  fields: (t) => ({
    core: t.field({ type: CoreMutation, resolve: () => MODULE }),
    function: t.field({ type: MutationFunctions, resolve: () => MODULE }),
  }),
});
