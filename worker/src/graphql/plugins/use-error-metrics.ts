import type { ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Counter } from "prom-client";

/** Counts every GraphQL error sent to a client (parse, validation and execution) by its code. */
export function useErrorMetrics(counter: Counter<"code">): Plugin {
  return {
    onResultProcess({ result }) {
      const results = (Array.isArray(result) ? result : [result]) as ExecutionResult[];
      for (const single of results) {
        for (const error of single.errors ?? []) {
          const code = error.extensions?.["code"];
          counter.inc({ code: typeof code === "string" ? code : "GRAPHQL_ERROR" });
        }
      }
    },
  };
}
