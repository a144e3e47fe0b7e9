/** Collects bind values; add() returns the placeholder ("$1", "$2", ...). */
export interface SqlParams {
  readonly values: unknown[];
  add(value: unknown): string;
}

/** A fresh, empty parameter list whose placeholders start at $1. */
export function createParams(): SqlParams {
  const values: unknown[] = [];
  return {
    values,
    add(value: unknown): string {
      values.push(value);
      return `$${values.length}`;
    },
  };
}
