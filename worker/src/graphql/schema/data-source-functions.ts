import { builder } from "../builder.js";
import { CoreFunctions, CoreMutationFunctions } from "./modules.js";
import { OperationResultRef, type OperationResult } from "./operation-result.js";
import { DataSourceError } from "../../data-sources/index.js";

/** Single-node data source functions: what this node serves, and loading / unloading. */
builder.objectFields(CoreFunctions, (t) => ({
  data_source_status: t.string({
    description: "attached, detached or error (with the reason), for this node",
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const status = await ctx.dataSources.status(args.name);
      return status === "error" ? `error: ${ctx.dataSources.lastError(args.name)}` : status;
    },
  }),
}));

builder.objectFields(CoreMutationFunctions, (t) => ({
  load_data_source: t.field({
    type: OperationResultRef,
    description: "Loads or reloads a data source on this node",
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) =>
      operation(() => ctx.dataSources.load(args.name), `data source '${args.name}' loaded`),
  }),
  unload_data_source: t.field({
    type: OperationResultRef,
    description: "Unloads a data source from this node; its configuration stays",
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) =>
      operation(() => ctx.dataSources.unload(args.name), `data source '${args.name}' unloaded`),
  }),
}));

/**
 * A load failure is the operation's outcome (success: false with the reason); a request that
 * names an unknown or disabled source is bad input and becomes a GraphQL error.
 */
async function operation(run: () => Promise<void>, message: string): Promise<OperationResult> {
  try {
    await run();
    return { success: true, affected_rows: 1, message };
  } catch (error) {
    if (error instanceof DataSourceError && error.code === "DATA_SOURCE_LOAD_FAILED") {
      return { success: false, affected_rows: 0, message: error.message };
    }
    throw error;
  }
}
