/**
 * How a role's permissions (engine/access.ts) reach the statements a source's fields compile: row
 * filters on reads, guards and forced data on writes, refused input keys. Names are the served ones:
 * an object's type name is prefixed with its source's prefix.
 */
import type { GraphQLResolveInfo } from "graphql";
import type { AccessRules } from "../access.js";
import type { CatalogObject } from "../sql/catalog.js";
import type { RowAccess } from "../sql/context.js";
import { AccessDeniedError } from "../sql/errors.js";
import { isPlainObject } from "../sql/sql-text.js";
import type { SourceRequestContext } from "../transactions.js";
import type { SourceSchemaInput } from "./input.js";

/** The GraphQL type name of an object: its name, prefixed with the source's prefix. */
export function objectTypeName(input: Pick<SourceSchemaInput, "prefix">, object: CatalogObject): string {
  return input.prefix ? `${input.prefix}_${object.model.name}` : object.model.name;
}

export function accessOf(context: unknown): AccessRules | undefined {
  return (context as SourceRequestContext | undefined)?.access;
}

/**
 * Reads of a statement compiled for the field `root` resolves: the table-level query filter of every
 * object read, and the field-level filter of the field it is read through (the root field, a relation).
 */
export function rowAccess(input: SourceSchemaInput, rules: AccessRules, root: GraphQLResolveInfo): RowAccess {
  return {
    readFilters(object, via) {
      const filters: Record<string, unknown>[] = [];
      const table = rules.objectFilter(objectTypeName(input, object), "query");
      if (table) filters.push(table);
      if (via) {
        const field =
          via === "root"
            ? rules.fieldFilter(root.parentType.name, root.fieldName)
            : rules.fieldFilter(objectTypeName(input, via.parent), via.field);
        if (field) filters.push(field);
      }
      return filters;
    },
  };
}

/** A table written by a request: its source, the object, and the rules of the request's role. */
export interface WriteTarget {
  input: SourceSchemaInput;
  object: CatalogObject;
  rules: AccessRules | undefined;
}

/** Which rows an update or delete may change: the mutation field's filter and the table's (hugr: op's own, else query). */
export function writeGuards(
  { input, object, rules }: WriteTarget,
  op: "update" | "delete",
  info: GraphQLResolveInfo,
): Record<string, unknown>[] {
  if (!rules) return [];
  refuseDisabled({ input, object, rules }, op);
  return [
    rules.objectFilter(objectTypeName(input, object), op),
    rules.fieldFilter(info.parentType.name, info.fieldName),
  ].filter((f): f is Record<string, unknown> => f !== undefined);
}

/**
 * Update data as the role may give it: every key allowed on `<type>_mut_data`, and the values its
 * rules force written over the client's (the table's, then the mutation field's).
 */
export function restrictUpdateData(target: WriteTarget, data: unknown, info: GraphQLResolveInfo): unknown {
  const { input, object, rules } = target;
  if (!rules || !isPlainObject(data)) return data;
  const typeName = objectTypeName(input, object);
  refuseKeys(rules, `${typeName}_mut_data`, data, "data");
  return {
    ...data,
    ...rules.objectData(typeName, "update"),
    ...rules.fieldData(info.parentType.name, info.fieldName),
  };
}

/**
 * Insert data as the role may give it, nested rows included: each level's keys allowed on its
 * `<type>_mut_input_data`, and each inserted object's forced values (table-level; the top row also
 * the mutation field's) written over the client's.
 */
export function restrictInsertData(target: WriteTarget, data: unknown, info: GraphQLResolveInfo): unknown {
  const { rules } = target;
  if (!rules) return data;
  const restricted = restrictInsertRow({ ...target, rules }, data, "data");
  if (!isPlainObject(restricted)) return restricted;
  return { ...restricted, ...rules.fieldData(info.parentType.name, info.fieldName) };
}

type RuledTarget = WriteTarget & { rules: AccessRules };

function restrictInsertRow(target: RuledTarget, data: unknown, path: string): unknown {
  const { input, object, rules } = target;
  if (!isPlainObject(data)) return data;
  refuseDisabled(target, "insert");
  const typeName = objectTypeName(input, object);
  refuseKeys(rules, `${typeName}_mut_input_data`, data, path);
  const row: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    const relation = object.relation(key);
    if (!relation || value === null || value === undefined) {
      row[key] = value;
      continue;
    }
    const related = { ...target, object: input.catalog.object(relation.target) };
    row[key] = Array.isArray(value)
      ? value.map((item, i) => restrictInsertRow(related, item, `${path}.${key}[${i}]`))
      : restrictInsertRow(related, value, `${path}.${key}`);
  }
  return { ...row, ...rules.objectData(typeName, "insert") };
}

function refuseKeys(
  rules: AccessRules,
  inputType: string,
  data: Record<string, unknown>,
  path: string,
): void {
  for (const key of Object.keys(data)) {
    if (!rules.fieldEnabled(inputType, key)) throw new AccessDeniedError(`${path}.${key}: forbidden`);
  }
}

function refuseDisabled({ input, object, rules }: RuledTarget, op: "insert" | "update" | "delete"): void {
  const typeName = objectTypeName(input, object);
  if (rules.objectDisabled(typeName, op)) throw new AccessDeniedError(`${op} on ${typeName}: forbidden`);
}
