import { type DataSource } from "@hugr/coredb";
import { quoteIdent } from "../engine/sql/sql-text.js";
import type { Logger } from "@hugr/common";
import type { GraphQLSchema } from "graphql";
import {
  introspectCatalog,
  parseCatalog,
  printCatalog,
  readCatalogDocuments,
  type CatalogModel,
} from "../engine/catalogs/index.js";
import type { DataSourceLoader } from "./index.js";
import type { ObjectStore } from "../storages/index.js";
import { rewriteObjectUrls } from "../engine/duckdb/object-urls.js";
import type { SourceEngine } from "../engine/engine.js";
import { openPostgresEngine } from "../engine/postgres/index.js";
import type { ServedSchema } from "../served-schema/index.js";
import { buildSourceSchema } from "../engine/graphql/build.js";
import { sharedTypes } from "../engine/graphql/shared.js";
import { fieldRef, indexCatalog, type Catalog } from "../engine/sql/catalog.js";

/** Limits of each data source's connection pool (DATA_SOURCE_* variables). */
export interface SourceSettings {
  maxConnections: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
}

export interface SourceLoaderOptions {
  registry: ServedSchema;
  core: GraphQLSchema;
  objectStore: ObjectStore;
  settings: SourceSettings;
  logger: Logger;
}

/** The data source types this node can load. */
const LOADABLE_TYPES = ["postgres", "duckdb"] as const;

/**
 * Loads a data source for real: opens its database, reads and parses its catalogs (or introspects
 * the database for a self-defined source), checks that every object exists, builds its GraphQL and
 * swaps it into the node's schema. Any failure closes what was opened and leaves the node serving
 * what it served before; the runtime reports the reason as the source's `error` status.
 */
export function createSourceLoader(options: SourceLoaderOptions): DataSourceLoader {
  const { registry, objectStore, settings, logger } = options;
  return {
    async load(source) {
      const engine = await openEngine(source, settings);
      try {
        const model = await catalogModel(source, engine, objectStore, logger);
        const catalog = indexCatalog(model);
        await checkObjects(engine, catalog);
        const schema = buildSourceSchema({
          name: source.name,
          prefix: source.prefix,
          asModule: source.as_module,
          readOnly: source.read_only || !engine.writable,
          catalog,
          engine: () => engine,
          mutationResults: "operation_result",
          transactionPerRequest: true,
          shared: sharedTypes(options.core),
        });
        registry.put({ name: source.name, schema, engine });
        logger.info(
          { dataSource: source.name, objects: catalog.objects.length },
          "data source schema served",
        );
      } catch (error) {
        await engine.close().catch(() => undefined);
        throw error;
      }
    },
    unload(name) {
      registry.remove(name);
      return Promise.resolve();
    },
  };
}

async function openEngine(source: DataSource, settings: SourceSettings): Promise<SourceEngine> {
  switch (source.type) {
    case "postgres":
      return openPostgresEngine(source.path, { ...settings, applicationName: `hugr:${source.name}` });
    case "duckdb": {
      // DuckDB's engine is a native library of some 30 MB: a node that serves no DuckDB source never loads it.
      const { openDuckDbEngine } = await import("../engine/duckdb/engine.js");
      return openDuckDbEngine(source.path, { readOnly: true });
    }
    default:
      throw new Error(
        `type '${source.type}' cannot be loaded by this node (supported: ${LOADABLE_TYPES.join(", ")})`,
      );
  }
}

/**
 * The source's objects: its catalogs, plus (self_defined) what introspection finds that the catalogs
 * do not define. DuckDB views that read `s3://` files read the local copies the object store fetches.
 */
async function catalogModel(
  source: DataSource,
  engine: SourceEngine,
  objectStore: ObjectStore,
  logger: Logger,
): Promise<CatalogModel> {
  const catalogs = source.catalogs ?? [];
  const defined =
    catalogs.length > 0
      ? parseCatalog(await readCatalogDocuments(catalogs, { objectStore }))
      : { objects: [] };
  if (!source.self_defined && catalogs.length === 0) {
    throw new Error("it has no catalogs and is not self_defined: nothing to serve");
  }
  let model = defined;
  if (source.self_defined) {
    const found = await introspectCatalog(engine, engine.dialect.name);
    // What introspection found, as the SDL a catalog would say it in: the place to start when a
    // self-defined source serves something unexpected (LOG_LEVEL=debug).
    if (logger.isLevelEnabled("debug")) {
      logger.debug({ dataSource: source.name, sdl: printCatalog(found) }, "introspected catalog");
    }
    const names = new Set(defined.objects.map((o) => o.name));
    model = { objects: [...defined.objects, ...found.objects.filter((o) => !names.has(o.name))] };
  }
  if (engine.dialect.name !== "duckdb") return model;
  const objects = await Promise.all(
    model.objects.map(async (object) =>
      object.sql === undefined
        ? object
        : { ...object, sql: await rewriteObjectUrls(object.sql, (url) => objectStore.localPath(url)) },
    ),
  );
  return { objects };
}

/** Reads no rows from every object, so a missing table or column is a load error, not a query error. */
async function checkObjects(engine: SourceEngine, catalog: Catalog): Promise<void> {
  for (const object of catalog.objects) {
    // Aliased by the object's name, so "column orders.colour does not exist" reads as the catalog does.
    const alias = object.model.name;
    const columns = object.model.fields.map((f) => fieldRef(alias, f)).join(", ") || "1";
    try {
      await engine.query(`SELECT ${columns} FROM ${object.from} AS ${quoteIdent(alias)} LIMIT 0`, []);
    } catch (error) {
      throw new Error(
        `${object.model.kind} ${object.model.name} (${object.model.sqlName}): ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
}
