import { FilterError } from "./errors.js";
import type { FieldModel, ScalarName } from "../catalogs/index.js";
import type { Compilation } from "./context.js";

/**
 * Binds an input value for a field, after checking it has the field's type (the path names the input
 * in the error). The dialect types the placeholder where its engine needs that.
 */
export function bindValue(c: Compilation, field: FieldModel, value: unknown, path: string): string {
  checkValue(field, value, path);
  if (field.type === "JSON" && !field.list) return c.dialect.jsonParam((v) => c.params.add(v), value);
  return c.dialect.typedParam(c.params.add(value), field.type, field.list);
}

/** Rejects operands of the wrong type with the input path, before they reach the database. */
function checkValue(field: FieldModel, value: unknown, path: string): void {
  if (field.list) {
    if (!Array.isArray(value)) throw new FilterError(`${path}: expected a list of ${field.type} values`);
    // Arrays may hold NULL elements (`[1, null, 3]`), as SQL arrays can.
    value.forEach((item, i) => item === null || checkScalar(field.type, item, `${path}[${i}]`));
    return;
  }
  checkScalar(field.type, value, path);
}

function checkScalar(type: ScalarName, value: unknown, path: string): void {
  if (value === null) throw new FilterError(`${path}: null is not a valid value here`);
  if (!SCALAR_CHECKS[type](value)) throw new FilterError(`${path}: expected a ${type} value`);
}

const isString = (v: unknown) => typeof v === "string";
const SCALAR_CHECKS: Readonly<Record<ScalarName, (value: unknown) => boolean>> = {
  String: isString,
  Int: (v) => typeof v === "number" && Number.isInteger(v),
  BigInt: (v) => typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v)) || isString(v),
  Float: (v) => typeof v === "number" && Number.isFinite(v),
  Boolean: (v) => typeof v === "boolean",
  Date: isString,
  Time: isString,
  Timestamp: isString,
  JSON: () => true,
};
