import SchemaBuilder from "@pothos/core";
import type { GraphQLContext } from "./context.js";

/**
 * The one Pothos builder. It defines no types: each file in schema/ adds its domain's types with
 * their queries and mutations, and schema/index.ts assembles them.
 */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  Scalars: {
    BigInt: { Input: bigint; Output: bigint | number };
    Timestamp: { Input: string; Output: string | Date };
    JSON: { Input: unknown; Output: unknown };
  };
}>({});
