import type { Logger } from "@hugr/common";
import type { CoreDb } from "@hugr/coredb";
import { getDataSource, listEnabledDataSources, type DataSource } from "@hugr/coredb";
import { DataSourceError } from "./errors.js";

/** What `data_source_status` reports for one node. */
export type DataSourceStatus = "attached" | "detached" | "error";

/**
 * Turns a data source into something a node serves (loader.ts: its pool, catalogs and
 * GraphQL), and takes it away again.
 */
export interface DataSourceLoader {
  load(source: DataSource): Promise<void>;
  unload(name: string): Promise<void>;
}

export interface DataSourceRuntime {
  /** attached / detached / error for a data source that exists; throws DATA_SOURCE_NOT_FOUND. */
  status(name: string): Promise<DataSourceStatus>;
  /** The last load error of a source in state "error", otherwise "". */
  lastError(name: string): string;
  /** Loads (or reloads) a source from the core database. Idempotent. */
  load(name: string): Promise<void>;
  /** Unloads a source; unloading a detached source succeeds. Idempotent. */
  unload(name: string): Promise<void>;
  /** Drops the state of a source whose row is gone (after delete_data_sources). */
  forget(name: string): Promise<void>;
  /**
   * At start: loads every source that is not disabled, as hugr does, except those named in
   * `except` (unloaded cluster-wide); failures are kept as "error" and logged.
   */
  loadAllEnabled(options?: { except?: readonly string[] }): Promise<void>;
  /** Loads the named sources that are not attached yet; failures are kept as "error" and logged. */
  ensureAttached(names: readonly string[]): Promise<void>;
  /** Unloads the named sources that are attached. */
  ensureDetached(names: readonly string[]): Promise<void>;
  /** Names of the attached sources. */
  attached(): string[];
}

interface Entry {
  status: Exclude<DataSourceStatus, "detached">;
  error: string;
}

export interface DataSourceRuntimeOptions {
  db: CoreDb;
  logger: Logger;
  loader: DataSourceLoader;
}

/**
 * The node's record of which data sources it serves. Operations run one at a time, so a load and
 * an unload of the same source can never interleave.
 */
export function createDataSourceRuntime(options: DataSourceRuntimeOptions): DataSourceRuntime {
  const { db, logger } = options;
  const { loader } = options;
  const entries = new Map<string, Entry>();
  let queue: Promise<unknown> = Promise.resolve();
  const serialize = <T>(op: () => Promise<T>): Promise<T> => {
    const next = queue.then(op, op);
    queue = next.catch(() => undefined);
    return next;
  };

  async function loadSource(source: DataSource): Promise<void> {
    try {
      await loader.load(source);
      entries.set(source.name, { status: "attached", error: "" });
      logger.info({ dataSource: source.name, type: source.type }, "data source attached");
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      entries.set(source.name, { status: "error", error: reason });
      throw new DataSourceError(
        "DATA_SOURCE_LOAD_FAILED",
        `data source '${source.name}' failed to load: ${reason}`,
        {
          cause: error,
        },
      );
    }
  }

  async function loadLogged(source: DataSource): Promise<void> {
    await loadSource(source).catch((error: unknown) =>
      logger.warn({ dataSource: source.name, err: (error as Error).message }, "data source failed to load"),
    );
  }

  async function existing(name: string): Promise<DataSource> {
    const source = await getDataSource(db, name);
    if (!source) throw new DataSourceError("DATA_SOURCE_NOT_FOUND", `data source '${name}' not found`);
    return source;
  }

  async function unloadSource(name: string): Promise<void> {
    if (!entries.has(name)) return;
    await loader.unload(name);
    entries.delete(name);
    logger.info({ dataSource: name }, "data source detached");
  }

  return {
    async status(name) {
      await existing(name);
      return entries.get(name)?.status ?? "detached";
    },
    lastError: (name) => entries.get(name)?.error ?? "",
    load: (name) =>
      serialize(async () => {
        const source = await existing(name);
        if (source.disabled) {
          throw new DataSourceError(
            "DATA_SOURCE_DISABLED",
            `data source '${name}' is disabled: enable it before loading`,
          );
        }
        await loadSource(source);
      }),
    unload: (name) =>
      serialize(async () => {
        // A source deleted from the core database can still be attached here: unload it anyway.
        if (!entries.has(name)) await existing(name);
        await unloadSource(name);
      }),
    forget: (name) => serialize(() => unloadSource(name)),
    loadAllEnabled: (options = {}) =>
      serialize(async () => {
        const sources = await listEnabledDataSources(db);
        const except = new Set(options.except ?? []);
        for (const source of sources.filter((s) => !except.has(s.name))) await loadLogged(source);
      }),
    ensureAttached: (names) =>
      serialize(async () => {
        for (const name of names.filter((n) => entries.get(n)?.status !== "attached")) {
          const source = await getDataSource(db, name);
          if (!source) logger.warn({ dataSource: name }, "data source to load is not in the core database");
          else if (!source.disabled) await loadLogged(source);
        }
      }),
    ensureDetached: (names) =>
      serialize(async () => {
        for (const name of names) await unloadSource(name);
      }),
    attached: () => [...entries].filter(([, e]) => e.status === "attached").map(([name]) => name),
  };
}
