export { createGraphQLHandler } from "./yoga.js";
export type { GraphQLHandler, GraphQLHandlerOptions } from "./yoga.js";
export type { GraphQLContext } from "./context.js";
export { buildSchema, printSortedSchema } from "./schema/index.js";
