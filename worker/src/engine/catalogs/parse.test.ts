import { describe, expect, it } from "vitest";
import { CatalogError } from "./errors.js";
import type { CatalogModel, ObjectModel } from "./model.js";
import { parseCatalog } from "./parse.js";

const sdl = (text: string, origin = "shop.graphql"): CatalogModel => parseCatalog([{ origin, text }]);

const object = (model: CatalogModel, name: string): ObjectModel => {
  const found = model.objects.find((o) => o.name === name);
  if (!found) throw new Error(`no object ${name}`);
  return found;
};

const SHOP = `
  """People who buy"""
  type customers @table(name: "sales.customers")
    @unique(fields: ["email"])
    @unique(fields: ["tax_id", "country"], query_suffix: "by_tax") {
    id: Int! @pk @default(sequence: "customers_id_seq")
    "Login and contact address"
    email: String!
    tax_id: String
    country: String @default(value: "NO")
    tags: [String!]!
    scores: [Float]
    profile: JSON @field_source(field: "profile_json")
  }

  type orders @table(name: "orders") {
    id: BigInt! @pk
    customer_id: Int! @field_references(
      references_name: "customers"
      query: "customer"
      description: "Who ordered"
      references_query: "orders"
      references_description: "What they ordered"
    )
    placed: Timestamp
    day: Date
    at: Time
    paid: Boolean @default(value: false)
    options: JSON @default(value: { gift: true, tags: ["a", 1, 2.5, null] })
  }

  type order_lines @table(name: "order_lines")
    @references(references_name: "orders", source_fields: ["order_id"], references_fields: ["id"], references_query: "lines") {
    order_id: BigInt! @pk
    line: Int! @pk
  }

  type line_notes @view(name: "line_notes", sql: "select 1 as order_id, 2 as line, 'x' as note")
    @references(
      name: "notes_fk"
      references_name: "order_lines"
      source_fields: ["order_id", "line"]
      references_fields: ["order_id", "line"]
      query: "line_of"
      references_query: "notes"
    ) {
    order_id: BigInt!
    line: Int!
    note: String
  }

  type plain_view @view(name: "reporting.plain") {
    n: Int
  }
`;

describe("parseCatalog", () => {
  it("reads tables, views, fields and their directives", () => {
    const model = sdl(SHOP);
    expect(model.objects.map((o) => o.name)).toEqual([
      "customers",
      "orders",
      "order_lines",
      "line_notes",
      "plain_view",
    ]);
    const customers = object(model, "customers");
    expect(customers).toMatchObject({
      kind: "table",
      sqlName: "sales.customers",
      description: "People who buy",
      uniques: [
        { fields: ["email"], querySuffix: "email" },
        { fields: ["tax_id", "country"], querySuffix: "tax" },
      ],
    });
    expect(customers.fields).toEqual([
      {
        name: "id",
        column: "id",
        type: "Int",
        list: false,
        nonNull: true,
        pk: true,
        default: { sequence: "customers_id_seq" },
      },
      {
        name: "email",
        column: "email",
        type: "String",
        list: false,
        nonNull: true,
        pk: false,
        description: "Login and contact address",
      },
      { name: "tax_id", column: "tax_id", type: "String", list: false, nonNull: false, pk: false },
      {
        name: "country",
        column: "country",
        type: "String",
        list: false,
        nonNull: false,
        pk: false,
        default: { value: "NO" },
      },
      { name: "tags", column: "tags", type: "String", list: true, nonNull: true, pk: false },
      { name: "scores", column: "scores", type: "Float", list: true, nonNull: false, pk: false },
      { name: "profile", column: "profile_json", type: "JSON", list: false, nonNull: false, pk: false },
    ]);
    const orders = object(model, "orders");
    expect(orders.fields.map((f) => [f.name, f.type])).toEqual([
      ["id", "BigInt"],
      ["customer_id", "Int"],
      ["placed", "Timestamp"],
      ["day", "Date"],
      ["at", "Time"],
      ["paid", "Boolean"],
      ["options", "JSON"],
    ]);
    expect(orders.fields.find((f) => f.name === "paid")?.default).toEqual({ value: false });
    expect(orders.fields.find((f) => f.name === "options")?.default).toEqual({
      value: { gift: true, tags: ["a", 1, 2.5, null] },
    });
    expect(object(model, "line_notes")).toMatchObject({
      kind: "view",
      sqlName: "line_notes",
      sql: "select 1 as order_id, 2 as line, 'x' as note",
    });
    expect(object(model, "plain_view")).toMatchObject({ kind: "view", sqlName: "reporting.plain" });
    expect(object(model, "plain_view")).not.toHaveProperty("sql");
  });

  it("puts each relation on both objects, sorted by name", () => {
    const model = sdl(SHOP);
    expect(object(model, "orders").relations).toEqual([
      {
        name: "customer",
        target: "customers",
        kind: "one",
        sourceFields: ["customer_id"],
        targetFields: ["id"],
        description: "Who ordered",
      },
      {
        name: "lines",
        target: "order_lines",
        kind: "many",
        sourceFields: ["id"],
        targetFields: ["order_id"],
      },
    ]);
    expect(object(model, "customers").relations).toEqual([
      {
        name: "orders",
        target: "orders",
        kind: "many",
        sourceFields: ["id"],
        targetFields: ["customer_id"],
        description: "What they ordered",
      },
    ]);
    expect(object(model, "order_lines").relations).toEqual([
      {
        name: "notes",
        target: "line_notes",
        kind: "many",
        sourceFields: ["order_id", "line"],
        targetFields: ["order_id", "line"],
      },
      { name: "orders", target: "orders", kind: "one", sourceFields: ["order_id"], targetFields: ["id"] },
    ]);
    expect(object(model, "line_notes").relations).toEqual([
      {
        name: "line_of",
        target: "order_lines",
        kind: "one",
        sourceFields: ["order_id", "line"],
        targetFields: ["order_id", "line"],
      },
    ]);
  });

  it("defaults the relation name to the referenced type and the field to its primary key, without a reverse", () => {
    const model = sdl(`
      type a @table(name: "a") { id: Int! @pk }
      type b @table(name: "b") { a_id: Int @field_references(references_name: "a") other: Int @field_references(references_name: "a", field: "id", query: "other_a") }
    `);
    expect(object(model, "b").relations.map((r) => [r.name, r.targetFields])).toEqual([
      ["a", ["id"]],
      ["other_a", ["id"]],
    ]);
    expect(object(model, "a").relations).toEqual([]);
  });

  it("collects objects across documents, with relations between them, and skips comment-only files", () => {
    const model = parseCatalog([
      { origin: "a.graphql", text: 'type a @table(name: "a") { id: Int! @pk }' },
      { origin: "empty.graphql", text: "# nothing here yet\n" },
      {
        origin: "b.graphql",
        text: 'type b @table(name: "b") { a_id: Int @field_references(references_name: "a", references_query: "bs") }',
      },
    ]);
    expect(model.objects.map((o) => o.name)).toEqual(["a", "b"]);
    expect(object(model, "a").relations.map((r) => r.name)).toEqual(["bs"]);
  });

  const LINKED = `
    type data_sources @table(name: "data_sources") { name: String! @pk type: String }
    type catalog_sources @table(name: "catalog_sources") { name: String! @pk }
  `;

  it("turns the references of an is_m2m link table into many-to-many relations of the objects it links", () => {
    const model = sdl(`${LINKED}
      type data_source_catalogs @table(name: "data_source_catalogs", is_m2m: true) {
        data_source_name: String! @pk @field_references(references_name: "data_sources", field: "name", query: "data_source", references_query: "catalogs", references_description: "Its catalogs")
        catalog_name: String! @pk @field_references(references_name: "catalog_sources", field: "name", query: "catalog", references_query: "data_sources")
      }
    `);
    expect(object(model, "data_source_catalogs")).toMatchObject({ kind: "table", m2m: true });
    expect(object(model, "data_sources")).not.toHaveProperty("m2m");
    expect(object(model, "data_sources").relations).toEqual([
      {
        name: "catalogs",
        target: "catalog_sources",
        kind: "many",
        sourceFields: ["name"],
        targetFields: ["name"],
        through: {
          object: "data_source_catalogs",
          sourceFields: ["data_source_name"],
          targetFields: ["catalog_name"],
        },
        description: "Its catalogs",
      },
    ]);
    expect(object(model, "catalog_sources").relations).toEqual([
      {
        name: "data_sources",
        target: "data_sources",
        kind: "many",
        sourceFields: ["name"],
        targetFields: ["name"],
        through: {
          object: "data_source_catalogs",
          sourceFields: ["catalog_name"],
          targetFields: ["data_source_name"],
        },
      },
    ]);
    // The link table keeps its own many-to-one relations.
    expect(object(model, "data_source_catalogs").relations).toEqual([
      {
        name: "catalog",
        target: "catalog_sources",
        kind: "one",
        sourceFields: ["catalog_name"],
        targetFields: ["name"],
      },
      {
        name: "data_source",
        target: "data_sources",
        kind: "one",
        sourceFields: ["data_source_name"],
        targetFields: ["name"],
      },
    ]);
  });

  it("reads a link table's object-level @references with composite keys, and a self-link", () => {
    const model = sdl(`
      type shelves @table(name: "shelves") { room: Int! @pk n: Int! @pk }
      type books @table(name: "books") { isbn: String! @pk }
      type shelf_books @table(name: "shelf_books", is_m2m: true)
        @references(references_name: "shelves", source_fields: ["shelf_room", "shelf_n"], references_fields: ["room", "n"], query: "shelf", references_query: "books")
        @references(references_name: "books", source_fields: ["book"], references_fields: ["isbn"], references_query: "shelves") {
        shelf_room: Int! @pk
        shelf_n: Int! @pk
        book: String! @pk
      }
      type people @table(name: "people") { id: Int! @pk }
      type friendships @table(name: "friendships", is_m2m: true) {
        person_id: Int! @field_references(references_name: "people", query: "person", references_query: "friends")
        friend_id: Int! @field_references(references_name: "people", query: "friend", references_query: "friend_of")
      }
    `);
    expect(object(model, "shelves").relations).toEqual([
      {
        name: "books",
        target: "books",
        kind: "many",
        sourceFields: ["room", "n"],
        targetFields: ["isbn"],
        through: { object: "shelf_books", sourceFields: ["shelf_room", "shelf_n"], targetFields: ["book"] },
      },
    ]);
    expect(object(model, "books").relations).toEqual([
      {
        name: "shelves",
        target: "shelves",
        kind: "many",
        sourceFields: ["isbn"],
        targetFields: ["room", "n"],
        through: { object: "shelf_books", sourceFields: ["book"], targetFields: ["shelf_room", "shelf_n"] },
      },
    ]);
    expect(object(model, "shelf_books").relations.map((r) => [r.name, r.kind, r.target])).toEqual([
      ["books", "one", "books"],
      ["shelf", "one", "shelves"],
    ]);
    expect(object(model, "people").relations.map((r) => [r.name, r.target, r.through])).toEqual([
      [
        "friend_of",
        "people",
        { object: "friendships", sourceFields: ["friend_id"], targetFields: ["person_id"] },
      ],
      [
        "friends",
        "people",
        { object: "friendships", sourceFields: ["person_id"], targetFields: ["friend_id"] },
      ],
    ]);
  });

  it("gives a linked object no relation when its reference has no references_query; is_m2m: false is a plain table", () => {
    const model = sdl(`${LINKED}
      type links @table(name: "links", is_m2m: true) {
        ds: String! @field_references(references_name: "data_sources", references_query: "catalogs")
        cat: String! @field_references(references_name: "catalog_sources")
      }
      type plain @table(name: "plain", is_m2m: false) {
        ds: String! @field_references(references_name: "data_sources", query: "source", references_query: "plain_rows")
        cat: String! @field_references(references_name: "catalog_sources", query: "catalog")
      }
    `);
    expect(object(model, "data_sources").relations.map((r) => [r.name, r.target, r.through?.object])).toEqual(
      [
        ["catalogs", "catalog_sources", "links"],
        ["plain_rows", "plain", undefined],
      ],
    );
    expect(object(model, "catalog_sources").relations).toEqual([]);
    expect(object(model, "plain")).not.toHaveProperty("m2m");
  });

  it("accepts a single string where a list of field names is expected", () => {
    const model = sdl('type a @table(name: "a") @unique(fields: "code") { code: String! }');
    expect(object(model, "a").uniques).toEqual([{ fields: ["code"], querySuffix: "code" }]);
  });

  const T = 'type a @table(name: "a")';
  const REFERENCED = 'type c @table(name: "c") { id: Int! @pk code: String }\n';
  it.each([
    ["a syntax error", "type a {", "shop.graphql:1:9: Syntax Error: Expected Name, found <EOF>."],
    [
      "extend type",
      `${T} { id: Int }\nextend type a { x: Int }`,
      "shop.graphql:2:1: extend type 'a' is not supported",
    ],
    ["an input", "input i { x: Int }", "shop.graphql:1:1: input 'i' is not supported in a catalog"],
    ["an enum", "enum e { A }", "shop.graphql:1:1: enum 'e' is not supported"],
    ["an interface", "interface i { x: Int }", "interface 'i' is not supported"],
    ["a union", `${T} { x: Int }\nunion u = a`, "shop.graphql:2:1: union 'u' is not supported"],
    ["a scalar", "scalar Money", "scalar 'Money' is not supported"],
    ["an operation", "query { a }", "shop.graphql:1:1: operation is not supported"],
    [
      "a type without @table or @view",
      "type a { x: Int }",
      `shop.graphql:1:6: type 'a' needs @table(name: "...") or @view(name: "...")`,
    ],
    [
      "@table and @view",
      `${T} @view(name: "v") { x: Int }`,
      "shop.graphql:1:26: type 'a' has both @table and @view",
    ],
    ["@table twice", `${T} @table(name: "b") { x: Int }`, "@table is given twice on type 'a'"],
    [
      "@table without name",
      "type a @table { x: Int }",
      "shop.graphql:1:8: @table on type 'a' needs the argument name:",
    ],
    [
      "@table with an empty name",
      'type a @table(name: "") { x: Int }',
      "@table on type 'a': name: must be a non-empty string",
    ],
    [
      "@table with a number name",
      "type a @table(name: 1) { x: Int }",
      "shop.graphql:1:21: @table on type 'a': name: must be a non-empty string",
    ],
    [
      "@table(is_m2m:) that is not a boolean",
      'type a @table(name: "a", is_m2m: "yes") { x: Int }',
      "shop.graphql:1:34: @table on type 'a': is_m2m: must be true or false",
    ],
    [
      "@view(is_m2m:)",
      'type a @view(name: "a", is_m2m: true) { x: Int }',
      "shop.graphql:1:25: @view on type 'a' has no argument 'is_m2m' (it takes name, sql)",
    ],
    [
      "an is_m2m table with one reference",
      `${REFERENCED}type l @table(name: "l", is_m2m: true) { c_id: Int @field_references(references_name: "c") }`,
      "shop.graphql:2:8: type 'l' is a link table (@table(is_m2m: true)) with 1 reference(s); it needs exactly two",
    ],
    [
      "an is_m2m table with three references",
      `${REFERENCED}type l @table(name: "l", is_m2m: true) @references(references_name: "c", source_fields: ["x"], references_fields: ["id"], query: "cx") {
        a: Int @field_references(references_name: "c", query: "ca") b: Int @field_references(references_name: "c", query: "cb") x: Int }`,
      "type 'l' is a link table (@table(is_m2m: true)) with 3 reference(s)",
    ],
    [
      "an is_m2m table without references",
      'type l @table(name: "l", is_m2m: true) { a: Int }',
      "shop.graphql:1:8: type 'l' is a link table (@table(is_m2m: true)) with 0 reference(s)",
    ],
    [
      "a many-to-many relation named like a field",
      `${REFERENCED}type l @table(name: "l", is_m2m: true) {
        a: Int @field_references(references_name: "c", query: "ca", references_query: "code")
        b: Int @field_references(references_name: "c", query: "cb") }`,
      "shop.graphql:3:16: relation 'c.code' has the name of a field of 'c'; name the relation with references_query:",
    ],
    [
      "a many-to-many relation named like another relation",
      `${REFERENCED}type d @table(name: "d") { id: Int! @pk c_id: Int @field_references(references_name: "c", references_query: "ds") }
      type l @table(name: "l", is_m2m: true) {
        c_id: Int @field_references(references_name: "c", references_query: "ds")
        d_id: Int @field_references(references_name: "d") }`,
      "shop.graphql:4:19: relation 'c.ds' is already declared at shop.graphql:2:51; name this one with references_query:",
    ],
    [
      "an argument twice",
      'type a @table(name: "a", name: "b") { x: Int }',
      "@table on type 'a': argument name: is given twice",
    ],
    [
      "@function",
      `${T} { f: Int @function(name: "f") }`,
      "shop.graphql:1:35: @function on field 'a.f' is a hugr directive this server does not support; catalogs may use @table",
    ],
    [
      "@join",
      `${T} { f: Int @join(references_name: "a") }`,
      "@join on field 'a.f' is a hugr directive this server does not support",
    ],
    [
      "@sql",
      `${T} { f: Int @sql(exp: "1") }`,
      "@sql on field 'a.f' is a hugr directive this server does not support",
    ],
    [
      "@module",
      `${T} @module(name: "m") { f: Int }`,
      "@module on type 'a' is a hugr directive this server does not support",
    ],
    ["@args", `${T} @args(name: "x") { f: Int }`, "@args on type 'a' is a hugr directive"],
    ["@cube", `${T} @cube { f: Int }`, "@cube on type 'a' is a hugr directive"],
    ["@hypertable", `${T} @hypertable { f: Int }`, "@hypertable on type 'a' is a hugr directive"],
    [
      "an unknown directive",
      `${T} { f: Int @shiny }`,
      "shop.graphql:1:35: @shiny on field 'a.f' is an unknown directive",
    ],
    [
      "a field directive on a type",
      `${T} @pk { f: Int }`,
      "shop.graphql:1:26: @pk belongs on fields, not on type 'a'",
    ],
    [
      "a type directive on a field",
      `${T} { f: Int @unique(fields: ["f"]) }`,
      "@unique belongs on types, not on field 'a.f'",
    ],
    ["@pk twice", `${T} { f: Int @pk @pk }`, "@pk is given twice on field 'a.f'"],
    [
      "a @cache ttl that is not an interval",
      `${T} { f: Int @cache(ttl: "soon") }`,
      `shop.graphql:1:35: @cache on field 'a.f': ttl: "soon": `,
    ],
    [
      "@cache on a field with an unknown argument",
      `${T} { f: Int @cache(scope: "x") }`,
      "@cache on field 'a.f' has no argument 'scope'",
    ],
    ["@cache twice", `${T} @cache @cache { f: Int }`, "@cache is given twice on type 'a'"],
    [
      "@no_cache",
      `${T} { f: Int @no_cache }`,
      "@no_cache on field 'a.f' is a directive of queries (on a field the query asks), not of catalogs",
    ],
    [
      "@invalidate_cache",
      `${T} @invalidate_cache { f: Int }`,
      "@invalidate_cache on type 'a' is a directive of queries",
    ],
    [
      "@pk with an argument",
      `${T} { f: Int @pk(x: 1) }`,
      "@pk on field 'a.f' has no argument 'x' (it takes no arguments)",
    ],
    [
      "@default without arguments",
      `${T} { f: Int @default }`,
      "@default on field 'a.f' needs value: or sequence:",
    ],
    [
      "an unknown scalar",
      `${T} { f: Money }`,
      "shop.graphql:1:31: field 'a.f' has unknown type 'Money'; the supported scalars are String, Int",
    ],
    ["an ID field", `${T} { f: ID }`, "field 'a.f' has unknown type 'ID'"],
    [
      "an object-typed field",
      `${REFERENCED}${T} { c: c }`,
      "shop.graphql:2:31: field 'a.c' has the object type 'c'; relation fields are generated",
    ],
    ["a list of lists", `${T} { f: [[Int]] }`, "field 'a.f' is a list of lists"],
    ["field arguments", `${T} { f(x: Int): Int }`, "field 'a.f' has arguments"],
    [
      "an interface implementation",
      'type a implements i @table(name: "a") { f: Int }',
      "type 'a' implements an interface",
    ],
    ["a type without fields", T, "shop.graphql:1:6: type 'a' has no fields"],
    [
      "a duplicate type",
      `${T} { f: Int }\n${T} { g: Int }`,
      "shop.graphql:2:6: type 'a' is already declared at shop.graphql:1:6",
    ],
    [
      "a duplicate field",
      `${T} { f: Int\n f: String }`,
      "shop.graphql:2:2: field 'a.f' is already declared at shop.graphql:1:28",
    ],
    ["a reserved name", `${T} { __f: Int }`, "field 'a.__f': '__f' is not a valid name"],
    [
      "@unique on an unknown field",
      `${T} @unique(fields: ["nope"]) { f: Int }`,
      "@unique on 'a' names unknown field 'nope'",
    ],
    [
      "@unique with an invalid suffix",
      `${T} @unique(fields: ["f"], query_suffix: "by-f") { f: Int }`,
      "query suffix 'by-f' may hold only letters",
    ],
    [
      "two @unique with one suffix",
      `${T} @unique(fields: ["f"]) @unique(fields: ["g"], query_suffix: "f") { f: Int g: Int }`,
      "@unique on 'a' makes a_by_f again (first at shop.graphql:1:26)",
    ],
    [
      "@unique with an empty list",
      `${T} @unique(fields: []) { f: Int }`,
      "@unique on type 'a': fields: must be a non-empty list of non-empty strings",
    ],
    [
      "a reference to an unknown type",
      `${T} { f: Int @field_references(references_name: "nope") }`,
      "shop.graphql:1:35: @field_references on 'a' references unknown type 'nope'",
    ],
    [
      "a reference to an unknown field",
      `${REFERENCED}${T} { f: Int @field_references(references_name: "c", field: "nope") }`,
      "@field_references on 'a': 'c' has no field 'nope'",
    ],
    [
      "an unknown source field",
      `${REFERENCED}${T} @references(references_name: "c", source_fields: ["nope"], references_fields: ["id"]) { f: Int }`,
      "@references on 'a': 'a' has no field 'nope'",
    ],
    [
      "unequal field counts",
      `${REFERENCED}${T} @references(references_name: "c", source_fields: ["f", "g"], references_fields: ["id"]) { f: Int g: Int }`,
      "@references on 'a': 2 source field(s) but 1 referenced field(s)",
    ],
    [
      "no single primary key to default to",
      'type c @table(name: "c") { id: Int }\n' + `${T} { f: Int @field_references(references_name: "c") }`,
      "'c' has 0 primary key fields, so say which field is referenced with field:",
    ],
    [
      "a relation named like a field",
      `${REFERENCED}${T} { c: Int @field_references(references_name: "c") }`,
      "relation 'a.c' has the name of a field of 'a'; name the relation with query:",
    ],
    [
      "a reverse relation named like a field",
      `${REFERENCED}${T} { f: Int @field_references(references_name: "c", references_query: "code") }`,
      "relation 'c.code' has the name of a field of 'c'; name the relation with references_query:",
    ],
    [
      "two relations with one name",
      `${REFERENCED}${T} { f: Int @field_references(references_name: "c") g: Int @field_references(references_name: "c") }`,
      "shop.graphql:2:82: relation 'a.c' is already declared at shop.graphql:2:35",
    ],
    [
      "an invalid relation name",
      `${REFERENCED}${T} { f: Int @field_references(references_name: "c", query: "my-c") }`,
      "relation 'a.my-c': 'my-c' is not a valid name",
    ],
  ])("refuses %s", (_, text, message) => {
    expect(() => sdl(text)).toThrow(CatalogError);
    expect(() => sdl(text)).toThrow(message);
  });
});

describe("@cache", () => {
  it("on a type and on fields: ttl in seconds or as an interval, key and tags as given", () => {
    const model = sdl(`
      type orders @table(name: "orders") @cache(ttl: 300, key: "k", tags: ["sales"]) {
        id: Int! @pk
        note: String @cache(ttl: "10 minutes", tags: ["notes", "crm"])
        total: Float @cache
        status: String
      }`);
    const orders = object(model, "orders");
    expect(orders.cache).toEqual({ ttlMs: 300_000, key: "k", tags: ["sales"] });
    const field = (name: string) => orders.fields.find((f) => f.name === name);
    expect(field("note")?.cache).toEqual({ ttlMs: 600_000, tags: ["notes", "crm"] });
    expect(field("total")?.cache).toEqual({ tags: [] });
    expect(field("status")).not.toHaveProperty("cache");
    expect(field("id")).not.toHaveProperty("cache");
  });
});
