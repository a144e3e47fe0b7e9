import { GraphQLError, type ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { RequestTransactions, SourceRequestContext } from "../../engine/index.js";

/**
 * Ends the request's data source transactions when execution is done: commit when no field failed,
 * roll back otherwise. A failed commit turns the whole result into that error (nothing was written).
 * Then the cached results of what the request wrote are dropped, on every node: after the commit, so
 * no request can cache the old rows again in between.
 */
export function useSourceTransactions(): Plugin<SourceRequestContext> {
  return {
    onExecute({ args }) {
      const { sourceTransactions: transactions, cache } = args.contextValue;
      return {
        onExecuteDone({ result, setResult }) {
          const failed = "errors" in result && (result as ExecutionResult).errors !== undefined;
          // An answer with errors is not one a client should keep: no Cache-Control max-age.
          if (failed && cache) cache.servedFromCache = undefined;
          // Most requests write nothing: they end here, without a promise.
          const written = cache?.written.size ?? 0;
          if (!transactions.begun() && written === 0) return undefined;
          return (async () => {
            if (transactions.begun()) await finish(transactions, !failed, setResult);
            // Writes of the core module commit field by field: drop what was written, failed or not.
            if (cache && written > 0) await cache.cache.invalidateTags([...cache.written]);
          })();
        },
      };
    },
  };
}

async function finish(
  transactions: RequestTransactions,
  commit: boolean,
  setResult: (result: ExecutionResult) => void,
): Promise<void> {
  try {
    await transactions.finish(commit);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    setResult({
      data: null,
      errors: [
        new GraphQLError(`the request's changes were rolled back: ${message}`, {
          extensions: { code: "DATA_SOURCE_QUERY_FAILED" },
        }),
      ],
    });
  }
}
