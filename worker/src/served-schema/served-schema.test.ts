import { GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from "graphql";
import { describe, expect, it } from "vitest";
import { createLogger } from "@hugr/common";
import type { SourceEngine } from "../engine/engine.js";
import { postgresDialect } from "../engine/postgres/index.js";
import { createServedSchema, type ServedSource } from "./served-schema.js";

const core = new GraphQLSchema({
  query: new GraphQLObjectType({ name: "Query", fields: { core: { type: GraphQLString } } }),
  mutation: new GraphQLObjectType({ name: "Mutation", fields: { core: { type: GraphQLString } } }),
});
const logger = createLogger("silent");

/** An engine that only records whether it was closed: the registry never queries. */
function engine(): SourceEngine & { closed: boolean } {
  return {
    closed: false,
    dialect: postgresDialect,
    writable: true,
    query: () => Promise.resolve([]),
    transaction: (work) => work({ query: () => Promise.resolve([]) }),
    close() {
      this.closed = true;
      return Promise.resolve();
    },
  };
}

/** A source whose root field is `<field>` returning a type named `<typeName>`. */
function source(
  name: string,
  field: string,
  typeName = field,
): ServedSource & { engine: ReturnType<typeof engine> } {
  const type = new GraphQLObjectType({
    name: typeName,
    fields: { id: { type: new GraphQLNonNull(GraphQLInt) } },
  });
  return { name, engine: engine(), schema: { query: { [field]: { type } }, mutation: {} } };
}

const rootFields = (schema: GraphQLSchema): string[] =>
  Object.keys(schema.getQueryType()?.getFields() ?? {}).sort();

describe("source registry", () => {
  it("serves the core schema alone, then the core schema with each source's root fields", () => {
    const registry = createServedSchema(core, logger);
    expect(registry.schema()).toBe(core);
    registry.put(source("shop", "customers"));
    registry.put(source("crm", "contacts"));
    expect(rootFields(registry.schema())).toEqual(["contacts", "core", "customers"]);
    expect(registry.names()).toEqual(["crm", "shop"]);
  });

  it("keeps a replaced engine open until the last request that leased it releases it", () => {
    const registry = createServedSchema(core, logger);
    const first = source("shop", "customers");
    registry.put(first);
    const lease = registry.acquire();
    registry.put(source("shop", "orders"));
    expect(rootFields(lease.schema)).toEqual(["core", "customers"]);
    expect(rootFields(registry.schema())).toEqual(["core", "orders"]);
    expect(first.engine.closed).toBe(false);
    lease.release();
    lease.release();
    expect(first.engine.closed).toBe(true);
  });

  it("closes a version nobody leased at once, and an older leased one only on release", () => {
    const registry = createServedSchema(core, logger);
    const first = source("shop", "customers");
    const second = source("shop", "orders");
    registry.put(first);
    const lease = registry.acquire();
    registry.put(second);
    registry.put(source("shop", "products"));
    expect(second.engine.closed).toBe(true);
    expect(first.engine.closed).toBe(false);
    lease.release();
    expect(first.engine.closed).toBe(true);
  });

  it("closes a removed source's engine at once when no request holds it", () => {
    const registry = createServedSchema(core, logger);
    const shop = source("shop", "customers");
    registry.put(shop);
    expect(registry.remove("shop")).toBe(true);
    expect(registry.remove("shop")).toBe(false);
    expect(shop.engine.closed).toBe(true);
    expect(registry.schema()).toBe(core);
  });

  it.each([
    [
      "a root field of the core module",
      source("x", "core", "x_core"),
      /Query\.core of data source 'x' collides with the core module/,
    ],
    [
      "another source's root field",
      source("crm", "customers", "crm_customers"),
      /collides with data source 'shop'/,
    ],
    ["another source's type name", source("crm", "contacts", "customers"), /collide with existing ones/],
  ])("refuses a source that collides with %s and changes nothing", (_what, colliding, message) => {
    const registry = createServedSchema(core, logger);
    registry.put(source("shop", "customers"));
    const before = registry.schema();
    expect(() => registry.put(colliding)).toThrow(message);
    expect(registry.schema()).toBe(before);
    expect(registry.names()).toEqual(["shop"]);
  });

  it("closes every engine on close and serves the core schema again", async () => {
    const registry = createServedSchema(core, logger);
    const shop = source("shop", "customers");
    registry.put(shop);
    const lease = registry.acquire();
    const closing = registry.close();
    lease.release();
    await closing;
    expect(shop.engine.closed).toBe(true);
    expect(registry.schema()).toBe(core);
  });
});
