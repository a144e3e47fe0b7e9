import { GraphQLError, type ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { RequestTransactions, SourceRequestContext } from "../../engine/index.js";

/**
 * Ends the request's data source transactions when execution is done: commit when no field failed,
 * roll back otherwise. A failed commit turns the whole result into that error (nothing was written).
 */
export function useSourceTransactions(): Plugin<SourceRequestContext> {
  return {
    onExecute({ args }) {
      const transactions = args.contextValue.sourceTransactions;
      return {
        onExecuteDone({ result, setResult }) {
          // Most requests write nothing: they end here, without a promise.
          if (!transactions.begun()) return undefined;
          const failed = "errors" in result && (result as ExecutionResult).errors !== undefined;
          return finish(transactions, !failed, setResult);
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
