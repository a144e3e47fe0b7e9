/**
 * What a role's permissions ask of the engine (hugr's semantics; the auth module implements it from
 * the `roles` and `permissions` tables). Names are GraphQL type and field names as served: the
 * object type for table-level rules, the parent type for field-level ones. Filters and data come
 * with `[$auth.*]` placeholders already replaced.
 */
export interface AccessRules {
  /**
   * Tells compiled statements apart: equal keys mean equal filters and data for every object, so a
   * statement compiled for one request may serve another with the same key.
   */
  readonly key: string;
  /** The filter of the most specific row for (parent type, field), if it has one. */
  fieldFilter(typeName: string, fieldName: string): Record<string, unknown> | undefined;
  /** The forced data of the most specific row for (parent type, field), if it has one. */
  fieldData(typeName: string, fieldName: string): Record<string, unknown> | undefined;
  /** Whether the most specific row for (type, field) allows the field (input keys included). */
  fieldEnabled(typeName: string, fieldName: string): boolean;
  /**
   * The table-level filter (`data-object:<op>`) on rows of the object type: for update and delete,
   * that operation's own filter, else the query one, as in hugr.
   */
  objectFilter(typeName: string, op: "query" | "update" | "delete"): Record<string, unknown> | undefined;
  /** Table-level forced data (`data-object:insert|update`). */
  objectData(typeName: string, op: "insert" | "update"): Record<string, unknown> | undefined;
  /** Whether the table-level row refuses the operation on the object type. */
  objectDisabled(typeName: string, op: "query" | "insert" | "update" | "delete"): boolean;
}
