import { graphql, type GraphQLScalarType } from "graphql";
import { describe, expect, it } from "vitest";
import { buildSchema } from "./index.js";

describe("BigInt scalar", () => {
  const schema = buildSchema({ cluster: false });
  const bigInt = schema.getType("BigInt") as GraphQLScalarType;

  it("serializes safe integers as numbers and larger ones as strings", () => {
    expect(bigInt.serialize(1n)).toBe(1);
    expect(bigInt.serialize(2n ** 60n)).toBe("1152921504606846976");
    expect(bigInt.serialize(-5)).toBe(-5);
  });

  it("parses integers and integer strings, and rejects anything else", () => {
    expect(bigInt.parseValue("1152921504606846976")).toBe(2n ** 60n);
    expect(bigInt.parseValue(42)).toBe(42n);
    expect(() => bigInt.parseValue(1.5)).toThrow("BigInt must be an integer");
    expect(() => bigInt.parseValue("12abc")).toThrow("BigInt must be an integer");
  });
});

describe("schema", () => {
  it("answers hugr's module paths without a database for introspection", async () => {
    const result = await graphql({
      schema: buildSchema({ cluster: false }),
      source: `{ __type(name: "_module_core_function_mutation") { fields { name } } }`,
    });
    expect(result.data).toEqual({
      __type: { fields: [{ name: "load_data_source" }, { name: "unload_data_source" }] },
    });
  });
});
