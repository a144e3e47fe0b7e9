import { GraphQLError } from "graphql";
import type { ClusterOperationResult, ManagementClient, NodeInfo, StorageInfo } from "@hugr/protocol";
import { builder } from "../builder.js";
import type { GraphQLContext } from "../context.js";
import { selectRows } from "../rows.js";
import { BooleanFilter, OrderByField, StringFilter } from "./filters.js";
import { CoreFunctions, CoreMutationFunctions, CoreQuery } from "./modules.js";
import { OperationResultRef, type OperationResult } from "./operation-result.js";

/**
 * The core.cluster module, present in cluster mode only (schema/index.ts prunes it otherwise).
 * Every field asks the management node, which answers from its registry or fans out to every node.
 */
type Module = Record<string, never>;
const MODULE: Module = {};

builder.scalarType("Timestamp", {
  description: "An instant, as an RFC 3339 string",
  serialize: (value) => new Date(value as string).toISOString(),
  parseValue: (value) => {
    const date = new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError("Timestamp must be an RFC 3339 date-time");
    return date.toISOString();
  },
});

const ClusterNode = builder.objectRef<NodeInfo>("cluster_nodes").implement({
  description: "A registered work node",
  fields: (t) => ({
    name: t.exposeString("name", { nullable: false }),
    version: t.exposeString("version", { nullable: false }),
    url: t.exposeString("url", { nullable: false }),
    ready: t.exposeBoolean("ready", { nullable: false }),
    last_seen: t.field({ type: "Timestamp", nullable: false, resolve: (n) => n.lastSeen }),
    error: t.exposeString("error", { nullable: false }),
  }),
});

type StorageRow = StorageInfo & { node: string };

const RegisteredStorage = builder.objectRef<StorageRow>("registered_storages").implement({
  description: "An object storage registered on a node; credentials are masked",
  fields: (t) => ({
    node: t.exposeString("node", { nullable: false }),
    name: t.exposeString("name", { nullable: false }),
    type: t.exposeString("type", { nullable: false }),
    scope: t.stringList({ resolve: (s) => s.scope }),
    Parameters: t.string({ resolve: (s) => s.parameters }),
  }),
});

const DataSourceStatus = builder
  .objectRef<{ node: string; status: string; error: string }>("cluster_data_source_status")
  .implement({
    description: "A data source's status on one node: attached, detached or error",
    fields: (t) => ({
      node: t.exposeString("node", { nullable: false }),
      status: t.exposeString("status", { nullable: false }),
      error: t.exposeString("error", { nullable: false }),
    }),
  });

type FilterValue = Record<string, unknown>;

const ClusterNodesFilter = builder.inputRef<FilterValue>("cluster_nodes_filter").implement({
  fields: (t) => ({
    name: t.field({ type: StringFilter }),
    version: t.field({ type: StringFilter }),
    url: t.field({ type: StringFilter }),
    ready: t.field({ type: BooleanFilter }),
    error: t.field({ type: StringFilter }),
    _and: t.field({ type: [ClusterNodesFilter] }),
    _or: t.field({ type: [ClusterNodesFilter] }),
    _not: t.field({ type: [ClusterNodesFilter] }),
  }),
});

const RegisteredStoragesFilter = builder.inputRef<FilterValue>("registered_storages_filter").implement({
  fields: (t) => ({
    node: t.field({ type: StringFilter }),
    name: t.field({ type: StringFilter }),
    type: t.field({ type: StringFilter }),
    _and: t.field({ type: [RegisteredStoragesFilter] }),
    _or: t.field({ type: [RegisteredStoragesFilter] }),
    _not: t.field({ type: [RegisteredStoragesFilter] }),
  }),
});

const ClusterQuery = builder.objectRef<Module>("_module_core_cluster_query").implement({
  description: "Cluster views: registered nodes and object storages",
  fields: (t) => ({
    cluster_nodes: t.field({
      type: [ClusterNode],
      args: {
        filter: t.arg({ type: ClusterNodesFilter }),
        order_by: t.arg({ type: [OrderByField] }),
        limit: t.arg.int(),
        offset: t.arg.int(),
      },
      resolve: async (_root, args, ctx) => selectRows(await listNodes(ctx), args),
    }),
    registered_storages: t.field({
      type: [RegisteredStorage],
      args: {
        filter: t.arg({ type: RegisteredStoragesFilter }),
        order_by: t.arg({ type: [OrderByField] }),
        limit: t.arg.int(),
        offset: t.arg.int(),
      },
      resolve: async (_root, args, ctx) => selectRows(await listStorages(ctx), args),
    }),
  }),
});

const ClusterFunctions = builder.objectRef<Module>("_module_core_cluster_function").implement({
  description: "Cluster functions",
  fields: (t) => ({
    nodes: t.field({ type: [ClusterNode], resolve: (_root, _args, ctx) => listNodes(ctx) }),
    storages: t.field({ type: [RegisteredStorage], resolve: (_root, _args, ctx) => listStorages(ctx) }),
    data_source_status: t.field({
      type: [DataSourceStatus],
      description: "The data source's status on every registered node",
      args: { name: t.arg.string({ required: true }) },
      resolve: async (_root, args, ctx) => (await management(ctx).dataSourceStatus(args.name)).nodes,
    }),
  }),
});

const ClusterMutations = builder.objectRef<Module>("_module_core_cluster_function_mutation").implement({
  description: "Cluster operations: run on every ready node, with per-node results",
  fields: (t) => ({
    load_data_source: t.field({
      type: OperationResultRef,
      description: "Loads or reloads a data source catalog on every node",
      args: { name: t.arg.string({ required: true }) },
      resolve: async (_root, args, ctx) => toOperationResult(await management(ctx).loadDataSource(args.name)),
    }),
    unload_data_source: t.field({
      type: OperationResultRef,
      description: "Unloads a data source catalog from every node; its configuration stays",
      args: { name: t.arg.string({ required: true }) },
      resolve: async (_root, args, ctx) =>
        toOperationResult(await management(ctx).unloadDataSource(args.name)),
    }),
    register_object_storage: t.field({
      type: OperationResultRef,
      description: "Registers an S3-compatible object storage on every node",
      args: {
        type: t.arg.string({ required: true }),
        name: t.arg.string({ required: true }),
        scope: t.arg.string({ required: true, description: "Bucket name or bucket sub-path" }),
        key: t.arg.string({ required: true, description: "Access key ID" }),
        secret: t.arg.string({ required: true, description: "Secret access key" }),
        region: t.arg.string({ defaultValue: "" }),
        endpoint: t.arg.string({ required: true }),
        use_ssl: t.arg.boolean({ required: true, defaultValue: true }),
        url_style: t.arg.string({ required: true, description: '"path" or "vhost"' }),
        url_compatibility: t.arg.boolean({ defaultValue: false }),
        kms_key_id: t.arg.string({ defaultValue: "" }),
        account_id: t.arg.string({ defaultValue: "", description: "Cloudflare R2 account ID" }),
      },
      resolve: async (_root, args, ctx) => {
        if (args.url_style !== "path" && args.url_style !== "vhost") {
          throw new GraphQLError(`url_style must be "path" or "vhost"`, {
            extensions: { code: "INVALID_INPUT" },
          });
        }
        const result = await management(ctx).registerStorage({
          type: args.type,
          name: args.name,
          scope: args.scope,
          key: args.key,
          secret: args.secret,
          region: args.region ?? "",
          endpoint: args.endpoint,
          useSsl: args.use_ssl,
          urlStyle: args.url_style,
          urlCompatibility: args.url_compatibility ?? false,
          kmsKeyId: args.kms_key_id ?? "",
          accountId: args.account_id ?? "",
        });
        return toOperationResult(result);
      },
    }),
    unregister_object_storage: t.field({
      type: OperationResultRef,
      description: "Removes an object storage from every node",
      args: { name: t.arg.string({ required: true }) },
      resolve: async (_root, args, ctx) =>
        toOperationResult(await management(ctx).unregisterStorage(args.name)),
    }),
  }),
});

builder.objectFields(CoreQuery, (t) => ({ cluster: t.field({ type: ClusterQuery, resolve: () => MODULE }) }));
builder.objectFields(CoreFunctions, (t) => ({
  cluster: t.field({ type: ClusterFunctions, resolve: () => MODULE }),
}));
builder.objectFields(CoreMutationFunctions, (t) => ({
  cluster: t.field({ type: ClusterMutations, resolve: () => MODULE }),
}));

function management(ctx: GraphQLContext): ManagementClient {
  if (!ctx.management)
    throw new GraphQLError("this node is not in cluster mode", { extensions: { code: "NOT_IN_CLUSTER" } });
  return ctx.management;
}

async function listNodes(ctx: GraphQLContext): Promise<NodeInfo[]> {
  return (await management(ctx).nodes()).nodes;
}

async function listStorages(ctx: GraphQLContext): Promise<StorageRow[]> {
  return (await management(ctx).storages()).storages;
}

function toOperationResult(result: ClusterOperationResult): OperationResult {
  const succeeded = result.nodes.filter((n) => n.success).length;
  return { success: result.success, affected_rows: succeeded, message: result.message };
}
