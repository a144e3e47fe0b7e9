import { builder } from "../builder.js";

/** hugr's operator objects for filters: `{ name: { eq: "x" } }`. */
export const StringFilter = builder.inputType("StringFilter", {
  description: "Conditions on a String field; several are combined with AND",
  fields: (t) => ({
    eq: t.string(),
    in: t.stringList({ description: "Equal to one of the values" }),
    like: t.string({ description: "SQL LIKE pattern (% and _ wildcards)" }),
    ilike: t.string({ description: "Case-insensitive LIKE" }),
    regex: t.string({ description: "POSIX regular expression" }),
    is_null: t.boolean(),
  }),
});

export const BooleanFilter = builder.inputType("BooleanFilter", {
  description: "Conditions on a Boolean field",
  fields: (t) => ({
    eq: t.boolean(),
    is_null: t.boolean(),
  }),
});

export const OrderDirection = builder.enumType("OrderDirection", {
  values: { ASC: { value: "ASC" }, DESC: { value: "DESC" } } as const,
});

export const OrderNulls = builder.enumType("OrderNulls", {
  description: "Where NULLs sort",
  values: { FIRST: { value: "FIRST" }, LAST: { value: "LAST" } } as const,
});

export const OrderByField = builder.inputType("OrderByField", {
  description:
    "One sort key: a field name (a dotted path through relations where supported), a direction (ASC by default) " +
    "and where NULLs go (the database default when omitted: last for ASC, first for DESC)",
  fields: (t) => ({
    field: t.string({ required: true }),
    direction: t.field({ type: OrderDirection, defaultValue: "ASC" }),
    nulls: t.field({ type: OrderNulls }),
  }),
});
