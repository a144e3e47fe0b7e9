import { listDataSources, type CatalogSource, type DataSource } from "@hugr/coredb";
import { maskDsnPassword } from "../../data-sources/index.js";
import { builder } from "../builder.js";
import { selectsField } from "../selection.js";
import { BooleanFilter, OrderByField, StringFilter } from "./filters.js";
import { CoreMutation, CoreQuery } from "./modules.js";

// ---- output types -------------------------------------------------------------------------

/**
 * Paths are shown with passwords masked. Rows served from the node's read cache are the same
 * objects request after request, so the masked form is remembered per row (and dropped with it).
 */
const masked = new WeakMap<{ path: string }, string>();
function maskedPath(row: { path: string }): string {
  let path = masked.get(row);
  if (path === undefined) {
    path = maskDsnPassword(row.path);
    masked.set(row, path);
  }
  return path;
}

const CatalogSourceRef = builder.objectRef<CatalogSource>("catalog_sources").implement({
  description: "A catalog: where a data source's schema definition (SDL) comes from",
  fields: (t) => ({
    name: t.exposeString("name", { nullable: false }),
    type: t.exposeString("type", { nullable: false, description: "localFS, uri, uriFile or text" }),
    description: t.exposeString("description"),
    path: t.string({ nullable: false, resolve: (c) => maskedPath(c) }),
  }),
});

const DataSourceRef = builder.objectRef<DataSource>("data_sources").implement({
  description: "A data source registered in the core database",
  fields: (t) => ({
    name: t.exposeString("name", { nullable: false }),
    type: t.exposeString("type", { nullable: false }),
    prefix: t.exposeString("prefix", { nullable: false }),
    description: t.exposeString("description"),
    path: t.string({
      nullable: false,
      description: "Connection string or file path; a password in it is shown as ***",
      resolve: (ds) => maskedPath(ds),
    }),
    as_module: t.exposeBoolean("as_module", { nullable: false }),
    disabled: t.exposeBoolean("disabled"),
    self_defined: t.exposeBoolean("self_defined"),
    read_only: t.exposeBoolean("read_only"),
    catalogs: t.field({ type: [CatalogSourceRef], resolve: (ds) => ds.catalogs ?? [] }),
  }),
});

// ---- filters ------------------------------------------------------------------------------

type FilterValue = Record<string, unknown>;

const CatalogSourcesFilter = builder.inputRef<FilterValue>("catalog_sources_filter").implement({
  fields: (t) => ({
    name: t.field({ type: StringFilter }),
    type: t.field({ type: StringFilter }),
    description: t.field({ type: StringFilter }),
    path: t.field({ type: StringFilter }),
    _and: t.field({ type: [CatalogSourcesFilter] }),
    _or: t.field({ type: [CatalogSourcesFilter] }),
    _not: t.field({ type: [CatalogSourcesFilter] }),
  }),
});

const CatalogSourcesListFilter = builder.inputType("catalog_sources_list_filter", {
  description: "Conditions on related catalogs: some, every or none of them match",
  fields: (t) => ({
    any_of: t.field({ type: CatalogSourcesFilter }),
    all_of: t.field({ type: CatalogSourcesFilter }),
    none_of: t.field({ type: CatalogSourcesFilter }),
  }),
});

const DataSourcesFilter = builder.inputRef<FilterValue>("data_sources_filter").implement({
  description: "Conditions on data sources; fields are combined with AND",
  fields: (t) => ({
    name: t.field({ type: StringFilter }),
    type: t.field({ type: StringFilter }),
    prefix: t.field({ type: StringFilter }),
    description: t.field({ type: StringFilter }),
    path: t.field({ type: StringFilter }),
    as_module: t.field({ type: BooleanFilter }),
    disabled: t.field({ type: BooleanFilter }),
    self_defined: t.field({ type: BooleanFilter }),
    read_only: t.field({ type: BooleanFilter }),
    catalogs: t.field({ type: CatalogSourcesListFilter }),
    _and: t.field({ type: [DataSourcesFilter] }),
    _or: t.field({ type: [DataSourcesFilter] }),
    _not: t.field({ type: [DataSourcesFilter] }),
  }),
});

// ---- inputs -------------------------------------------------------------------------------

const CatalogSourceInput = builder.inputType("catalog_sources_mut_input_data", {
  fields: (t) => ({
    name: t.string({ required: true }),
    type: t.string({ required: true, description: "localFS, uri, uriFile or text" }),
    description: t.string(),
    path: t.string({ required: true }),
  }),
});

const DataSourceInput = builder.inputType("data_sources_mut_input_data", {
  description: "A new data source, with its catalogs",
  fields: (t) => ({
    name: t.string({ required: true }),
    type: t.string({ required: true, description: "postgres, duckdb, mysql, mssql, http or extension" }),
    prefix: t.string(),
    description: t.string(),
    path: t.string({ required: true }),
    as_module: t.boolean(),
    self_defined: t.boolean(),
    read_only: t.boolean(),
    disabled: t.boolean(),
    catalogs: t.field({ type: [CatalogSourceInput] }),
  }),
});

const DataSourcePatch = builder.inputType("data_sources_mut_data", {
  description: "Fields to change; the name cannot change (delete and insert to rename)",
  fields: (t) => ({
    type: t.string(),
    prefix: t.string(),
    description: t.string(),
    path: t.string(),
    as_module: t.boolean(),
    self_defined: t.boolean(),
    read_only: t.boolean(),
    disabled: t.boolean(),
  }),
});

// ---- queries and mutations ----------------------------------------------------------------

builder.objectFields(CoreQuery, (t) => ({
  data_sources: t.field({
    type: [DataSourceRef],
    args: {
      filter: t.arg({ type: DataSourcesFilter }),
      order_by: t.arg({ type: [OrderByField] }),
      limit: t.arg.int({ description: "At most this many rows (default 2000)" }),
      offset: t.arg.int(),
    },
    resolve: (_root, args, ctx, info) =>
      listDataSources(ctx.db, {
        filter: args.filter,
        orderBy: args.order_by,
        limit: args.limit,
        offset: args.offset,
        withCatalogs: selectsField(info, "catalogs"),
      }),
  }),
  data_sources_by_pk: t.field({
    type: DataSourceRef,
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx, info) => {
      const rows = await listDataSources(ctx.db, {
        filter: { name: { eq: args.name } },
        withCatalogs: selectsField(info, "catalogs"),
      });
      return rows[0] ?? null;
    },
  }),
}));

builder.objectFields(CoreMutation, (t) => ({
  insert_data_sources: t.field({
    type: DataSourceRef,
    description: "Adds a data source and its catalogs; load it with load_data_source",
    args: { data: t.arg({ type: DataSourceInput, required: true }) },
    resolve: (_root, args, ctx) => ctx.dataSourceWriter.insert(args.data),
  }),
  update_data_sources: t.field({
    type: [DataSourceRef],
    description: "Changes the matching data sources and returns them; reload them with load_data_source",
    args: {
      filter: t.arg({ type: DataSourcesFilter, required: true }),
      data: t.arg({ type: DataSourcePatch, required: true }),
    },
    resolve: (_root, args, ctx) => ctx.dataSourceWriter.update(args.filter, args.data),
  }),
  delete_data_sources: t.field({
    type: [DataSourceRef],
    description: "Unloads and deletes the matching data sources; returns them as they were",
    args: { filter: t.arg({ type: DataSourcesFilter, required: true }) },
    resolve: (_root, args, ctx) => ctx.dataSourceWriter.delete(args.filter),
  }),
}));
