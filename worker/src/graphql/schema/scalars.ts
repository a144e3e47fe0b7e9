import { GraphQLError, Kind } from "graphql";
import { jsonScalar } from "../../engine/index.js";
import { builder } from "../builder.js";

builder.addScalarType("JSON", jsonScalar);

/** hugr's BigInt: a 64-bit integer, written as a JSON number while it is safe, otherwise as a string. */
builder.scalarType("BigInt", {
  description: "A 64-bit integer",
  serialize: (value) => {
    const big = BigInt(value);
    return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(big)
      : big.toString();
  },
  parseValue: (value) => toBigInt(value),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.INT && ast.kind !== Kind.STRING)
      throw new GraphQLError("BigInt must be an integer");
    return toBigInt(ast.value);
  },
});

function toBigInt(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (
    (typeof value === "number" && Number.isInteger(value)) ||
    (typeof value === "string" && /^-?\d+$/.test(value))
  ) {
    return BigInt(value);
  }
  throw new GraphQLError("BigInt must be an integer");
}
