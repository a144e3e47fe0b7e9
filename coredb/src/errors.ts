/**
 * Failures of the core database that users cause and must see explained. Anything else that a
 * driver throws is unexpected: it is logged and masked, because driver messages can carry DSNs.
 */
export type CoreDbErrorCode = "CORE_DB_READ_ONLY" | "ALREADY_EXISTS" | "INVALID_INPUT";

export class CoreDbError extends Error {
  readonly code: CoreDbErrorCode;

  constructor(code: CoreDbErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CoreDbError";
    this.code = code;
  }
}

/** The refusal every write gets when the core database is read-only. */
export function readOnlyError(): CoreDbError {
  return new CoreDbError(
    "CORE_DB_READ_ONLY",
    "the core database is read-only (CORE_DB_READONLY=true): changes are not allowed on this node",
  );
}

/** PostgreSQL SQLSTATE of a driver error (both postgres.js and PGlite expose `code`). */
export function sqlState(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}

export const SQLSTATE_UNIQUE_VIOLATION = "23505";
/** A `regex` filter operand PostgreSQL cannot compile. */
export const SQLSTATE_INVALID_REGULAR_EXPRESSION = "2201B";
