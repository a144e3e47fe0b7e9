import { describe, expect, it } from "vitest";
import { CatalogError } from "./errors.js";
import type { CatalogModel, FieldModel, RelationModel } from "./model.js";
import { parseCatalog } from "./parse.js";
import { printCatalog } from "./print.js";

const reparse = (model: CatalogModel): CatalogModel =>
  parseCatalog([{ origin: "printed.graphql", text: printCatalog(model) }]);

const field = (name: string, extra: Partial<FieldModel> = {}): FieldModel => ({
  name,
  column: name,
  type: "Int",
  list: false,
  nonNull: false,
  pk: false,
  ...extra,
});

describe("printCatalog", () => {
  it("prints hugr SDL: relations on the referencing side, single-field ones on their field", () => {
    const model = parseCatalog([
      {
        origin: "shop.graphql",
        text: `
          type customers @table(name: "customers") @unique(fields: ["email"]) { id: Int! @pk email: String! }
          type orders @table(name: "sales.orders") {
            id: Int! @pk @default(sequence: "orders_id_seq")
            customer_id: Int @field_references(references_name: "customers", references_query: "orders")
          }`,
      },
    ]);
    expect(printCatalog(model)).toBe(
      [
        'type customers @table(name: "customers") @unique(fields: ["email"]) {',
        "  id: Int! @pk",
        "  email: String!",
        "}",
        "",
        'type orders @table(name: "sales.orders") {',
        '  id: Int! @pk @default(sequence: "orders_id_seq")',
        '  customer_id: Int @field_references(references_name: "customers", field: "id", query: "customers", references_query: "orders")',
        "}",
        "",
      ].join("\n"),
    );
  });

  it("gives back the parsed model for every construct", () => {
    const model = parseCatalog([
      {
        origin: "all.graphql",
        text: `
          """
          Customers,
            "indented" and quoted: \\"""
          """
          type customers @table(name: "customers")
            @unique(fields: ["tax_id", "country"], query_suffix: "by_tax") @unique(fields: ["tax_id"], query_suffix: "tid") {
            id: Int! @pk
            "one line \\"quoted\\""
            tax_id: String @field_source(field: "Tax ID")
            country: String @default(value: "NO")
            tags: [String]!
            profile: JSON @default(value: { a: [1, 2.5, true, null, "x"], b: { c: -3 } })
          }
          type orders @table(name: "orders") {
            id: BigInt! @pk
            customer_id: Int! @field_references(references_name: "customers", query: "customer", description: "who", references_query: "orders", references_description: "what")
            parent_id: BigInt @field_references(references_name: "orders", field: "id", query: "parent", references_query: "children")
            placed: Timestamp
          }
          type lines @view(name: "lines", sql: "select 1")
            @references(references_name: "orders", source_fields: ["order_id"], references_fields: ["id"])
            @references(references_name: "lines", source_fields: ["order_id", "n"], references_fields: ["order_id", "n"], query: "same", references_query: "same_back") {
            order_id: BigInt!
            n: Int
            day: Date
            at: Time
            ok: Boolean
            amount: Float
          }`,
      },
    ]);
    expect(reparse(model)).toEqual(model);
  });

  it("prints a multi-field relation whose field is not on the object as @references", () => {
    const model: CatalogModel = {
      objects: [
        {
          name: "a",
          kind: "table",
          sqlName: "a",
          fields: [field("x", { pk: true }), field("y", { pk: true })],
          relations: [
            { name: "bs", target: "b", kind: "many", sourceFields: ["x", "y"], targetFields: ["ax", "ay"] },
          ],
          uniques: [],
        },
        {
          name: "b",
          kind: "table",
          sqlName: "b",
          fields: [field("ax"), field("ay")],
          relations: [
            { name: "a", target: "a", kind: "one", sourceFields: ["ax", "ay"], targetFields: ["x", "y"] },
          ],
          uniques: [],
        },
      ],
    };
    expect(printCatalog(model)).toContain(
      '@references(references_name: "a", source_fields: ["ax", "ay"], references_fields: ["x", "y"], query: "a", references_query: "bs")',
    );
    expect(reparse(model)).toEqual(model);
  });

  it("prints an is_m2m link table as hugr writes it, its references naming the many-to-many relations", () => {
    const model = parseCatalog([
      {
        origin: "links.graphql",
        text: `
          type data_sources @table(name: "data_sources") { name: String! @pk }
          type catalog_sources @table(name: "catalog_sources") { name: String! @pk }
          type data_source_catalogs @table(name: "data_source_catalogs", is_m2m: true) {
            data_source_name: String! @pk @field_references(references_name: "data_sources", field: "name", query: "data_source", references_query: "catalogs")
            catalog_name: String! @pk @field_references(references_name: "catalog_sources", field: "name", query: "catalog", references_query: "data_sources", references_description: "Where it is used")
          }`,
      },
    ]);
    expect(printCatalog(model)).toContain(
      [
        'type data_source_catalogs @table(name: "data_source_catalogs", is_m2m: true) {',
        '  data_source_name: String! @pk @field_references(references_name: "data_sources", field: "name", query: "data_source", references_query: "catalogs")',
        '  catalog_name: String! @pk @field_references(references_name: "catalog_sources", field: "name", query: "catalog", references_query: "data_sources", references_description: "Where it is used")',
        "}",
      ].join("\n"),
    );
    expect(reparse(model)).toEqual(model);
  });

  it("gives back link tables with object-level references, one unnamed side, and a self-link", () => {
    const model = parseCatalog([
      {
        origin: "links.graphql",
        text: `
          type shelves @table(name: "shelves") { room: Int! @pk n: Int! @pk }
          type books @table(name: "books") { isbn: String! @pk }
          type shelf_books @table(name: "shelf_books", is_m2m: true)
            @references(references_name: "shelves", source_fields: ["shelf_room", "shelf_n"], references_fields: ["room", "n"], query: "shelf", references_query: "books")
            @references(references_name: "books", source_fields: ["book"], references_fields: ["isbn"]) {
            shelf_room: Int! @pk
            shelf_n: Int! @pk
            book: String! @pk
          }
          type people @table(name: "people") { id: Int! @pk }
          type friendships @table(name: "friendships", is_m2m: true) {
            person_id: Int! @field_references(references_name: "people", query: "person", references_query: "friends")
            friend_id: Int! @field_references(references_name: "people", query: "friend", references_query: "friend_of")
          }`,
      },
    ]);
    expect(printCatalog(model)).toContain(
      'type shelf_books @table(name: "shelf_books", is_m2m: true) @references(',
    );
    expect(reparse(model)).toEqual(model);
  });

  it("refuses a many-to-many relation its link table does not declare, and a link table without two references", () => {
    const linked = (relations: RelationModel[]): CatalogModel => ({
      objects: [
        {
          name: "a",
          kind: "table",
          sqlName: "a",
          fields: [field("id", { pk: true })],
          relations: [
            {
              name: "others",
              target: "a",
              kind: "many",
              sourceFields: ["id"],
              targetFields: ["id"],
              through: { object: "l", sourceFields: ["x"], targetFields: ["y"] },
            },
          ],
          uniques: [],
        },
        {
          name: "l",
          kind: "table",
          sqlName: "l",
          m2m: true,
          fields: [field("x"), field("y")],
          relations,
          uniques: [],
        },
      ],
    });
    const one = (name: string, source: string): RelationModel => ({
      name,
      target: "a",
      kind: "one",
      sourceFields: [source],
      targetFields: ["id"],
    });
    expect(() => printCatalog(linked([one("ax", "x"), one("ay", "x")]))).toThrow(
      new CatalogError(
        "relation 'a.others' has no matching relation on its link table 'l'; SDL declares a relation on the referencing side",
      ),
    );
    expect(reparse(linked([one("ax", "x"), one("ay", "y")]))).toEqual(
      linked([one("ax", "x"), one("ay", "y")]),
    );
    expect(() => printCatalog(linked([one("ax", "x")]))).toThrow(
      new CatalogError(
        "link table 'l' has 1 many-to-one relation(s); SDL declares a link table with exactly two references",
      ),
    );
  });

  it("refuses a many-relation without its referencing side, and a default with no literal form", () => {
    const lone: CatalogModel = {
      objects: [
        {
          name: "a",
          kind: "table",
          sqlName: "a",
          fields: [field("x")],
          relations: [{ name: "bs", target: "a", kind: "many", sourceFields: ["x"], targetFields: ["x"] }],
          uniques: [],
        },
      ],
    };
    expect(() => printCatalog(lone)).toThrow(
      new CatalogError(
        "relation 'a.bs' has no matching relation on 'a'; SDL declares a relation on the referencing side",
      ),
    );
    const odd: CatalogModel = {
      objects: [
        {
          name: "a",
          kind: "table",
          sqlName: "a",
          fields: [field("x", { default: { value: { "not-a-name": 1 } } })],
          relations: [],
          uniques: [],
        },
      ],
    };
    expect(() => printCatalog(odd)).toThrow(
      "the default of field 'x' ({\"not-a-name\":1}) has no GraphQL literal form",
    );
  });
});
