import { GraphQLError } from "graphql";
import type { Logger } from "@hugr/common";
import { CoreDbError } from "@hugr/coredb";
import { ProtocolError } from "@hugr/protocol";
import { DataSourceError } from "../data-sources/index.js";
import {
  AccessDeniedError,
  DataInputError,
  FilterError,
  SourceConnectionError,
  SourceQueryError,
} from "../engine/index.js";

/**
 * The one place where failures become client-visible GraphQL errors. Expected failures keep their
 * message and get `extensions.code`; anything else is logged with its cause and masked, because
 * driver errors can carry connection strings and internals.
 */
export function createErrorMasker(logger: Logger): (error: unknown, message: string) => Error {
  return function maskError(error, message) {
    const original = rootCause(error);
    if (original instanceof GraphQLError) return error as Error;
    const location = error instanceof GraphQLError ? { nodes: error.nodes, path: error.path } : {};
    const extensions = expectedExtensions(original);
    if (extensions !== undefined) {
      return new GraphQLError((original as Error).message, { ...location, extensions });
    }
    logger.error({ err: original }, "unexpected error while executing GraphQL");
    return new GraphQLError(message, { ...location, extensions: { code: "INTERNAL_SERVER_ERROR" } });
  };
}

/** The error a resolver threw; graphql-js and yoga may each wrap it in a GraphQLError. */
function rootCause(error: unknown): unknown {
  let current = error;
  while (current instanceof GraphQLError && current.originalError !== undefined)
    current = current.originalError;
  return current;
}

function expectedExtensions(error: unknown): Record<string, string> | undefined {
  if (
    error instanceof CoreDbError ||
    error instanceof DataSourceError ||
    error instanceof DataInputError ||
    error instanceof AccessDeniedError
  ) {
    return { code: error.code };
  }
  if (error instanceof FilterError) return { code: "INVALID_FILTER" };
  // The management node's answer or its absence; messages name the host, never the secret.
  if (error instanceof ProtocolError) return { code: `MANAGEMENT_${error.code}` };
  // A data source's database refused the statement; the engines build these messages without DSNs.
  if (error instanceof SourceQueryError || error instanceof SourceConnectionError) {
    return { code: "DATA_SOURCE_QUERY_FAILED", ...(error.code ? { sqlstate: error.code } : {}) };
  }
  return undefined;
}
