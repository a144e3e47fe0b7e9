import { CoreDbError, type CatalogSourceInput, type DataSourceInput } from "@hugr/coredb";
import type { DelegatedWrites } from "../engine/graphql/input.js";
import type { GraphQLContext } from "../graphql/context.js";

/**
 * `insert_/update_/delete_data_sources` through the request's data source writer: the core
 * database itself on a single node and in a standalone cluster, the management node (and so the
 * HugrDataSource resources) in a Kubernetes-managed one. The engine finds the rows a filter
 * matches and reads the result back.
 */
export const dataSourceWrites: DelegatedWrites = {
  async insert(data, context) {
    const inserted = await writer(context).insert(dataSourceInput(data));
    return { name: inserted.name };
  },
  async update(keys, data, context) {
    if ("name" in data) invalid("the name of a data source cannot change: delete it and insert it anew");
    await writer(context).update(names(keys), data);
  },
  async delete(keys, context) {
    await writer(context).delete(names(keys));
  },
};

function writer(context: unknown): GraphQLContext["dataSourceWriter"] {
  return (context as GraphQLContext).dataSourceWriter;
}

function names(keys: readonly Record<string, unknown>[]): string[] {
  return keys.map((key) => String(key["name"]));
}

/**
 * The writer's input from the engine's insert data, which GraphQL checked against
 * `data_sources_mut_input_data` already, except what the engine's input types leave optional.
 */
function dataSourceInput(data: Record<string, unknown>): DataSourceInput {
  for (const field of ["name", "type", "path"]) {
    if (data[field] === undefined || data[field] === null) invalid(`data.${field} is required`);
  }
  const catalogs = (data["catalogs"] ?? []) as Record<string, unknown>[];
  return { ...(data as unknown as DataSourceInput), catalogs: catalogs.map(catalogInput) };
}

function catalogInput(catalog: Record<string, unknown>, i: number): CatalogSourceInput {
  for (const field of ["name", "type", "path"]) {
    if (catalog[field] === undefined || catalog[field] === null)
      invalid(`data.catalogs[${i}].${field} is required`);
  }
  if (catalog["data_sources"] !== undefined)
    invalid(`data.catalogs[${i}].data_sources: a catalog is inserted with one data source, the one given`);
  return catalog as unknown as CatalogSourceInput;
}

function invalid(message: string): never {
  throw new CoreDbError("INVALID_INPUT", message);
}
