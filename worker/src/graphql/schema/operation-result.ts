import { builder } from "../builder.js";

/** hugr's result of a function-style mutation. */
export interface OperationResult {
  success: boolean;
  affected_rows?: number;
  last_id?: number;
  message: string;
}

export const OperationResultRef = builder.objectRef<OperationResult>("OperationResult").implement({
  description: "The outcome of an operation: success, counts and a human-readable message",
  fields: (t) => ({
    success: t.exposeBoolean("success"),
    affected_rows: t.field({ type: "BigInt", resolve: (r) => r.affected_rows ?? 0 }),
    last_id: t.field({ type: "BigInt", resolve: (r) => r.last_id ?? 0 }),
    message: t.exposeString("message"),
  }),
});
