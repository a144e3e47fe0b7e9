import { GraphQLError, type ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { SourceRequestContext } from "../../sources/index.js";

/**
 * Ends the request's data source transactions when execution is done: commit when no field failed,
 * roll back otherwise. A failed commit turns the whole result into that error (nothing was written).
 */
export function useSourceTransactions(): Plugin<SourceRequestContext> {
  return {
    onExecute({ args }) {
      const transactions = args.contextValue.sourceTransactions;
      return {
        async onExecuteDone({ result, setResult }) {
          const failed = "errors" in result && (result as ExecutionResult).errors !== undefined;
          try {
            await transactions.finish(!failed);
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
        },
      };
    },
  };
}
