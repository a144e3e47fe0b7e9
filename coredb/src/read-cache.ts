import type { CoreDb, CoreDbLogger, SqlExecutor } from "./types.js";

/** Channel on which every write through a node announces that core tables changed. */
export const CORE_CHANGED_CHANNEL = "hugr_core_changed";

/**
 * Tells every node listening on `db` that core tables changed, so each drops its cached reads: at
 * once, or, run in a transaction (`through`), when it commits. For writers that change the core
 * database without a node's read cache (the operator's reconciles). A DuckDB file has one writer,
 * this process, so there is no other node to tell.
 */
export async function announceCoreChange(db: CoreDb, through: SqlExecutor = db): Promise<void> {
  if (db.kind === "duckdb") return;
  await through.query("SELECT pg_notify($1, '')", [CORE_CHANGED_CHANNEL]);
}

/** A reader that may answer from a short-lived cache. */
export interface ReadThrough {
  /** Like `query`, but a recent identical read may be answered from memory. Reads only. */
  cachedQuery: SqlExecutor["query"];
}

export interface CachedCoreDb extends CoreDb, ReadThrough {
  /** Subscribes to change notifications; until then only this node's own writes invalidate. */
  startListening(): Promise<void>;
}

export interface ReadCacheOptions {
  /** How long an answer may be reused; bounds staleness after writes made outside hugr. */
  ttlMs: number;
  /** At most this many cached answers; the oldest go first. */
  maxEntries: number;
  logger: CoreDbLogger;
}

/**
 * Caches hot reads of the core tables (the data source listing) for a short time. Every
 * transaction through a node sends NOTIFY on commit, and every node drops its cache when told, so
 * a change made through any node is visible everywhere within the notification's delivery time; the
 * TTL bounds staleness after changes made directly in SQL. Hand-written: a map with a TTL and a
 * bound, invalidated as a whole; a caching library would add nothing but configuration.
 */
export function withReadCache(db: CoreDb, options: ReadCacheOptions): CachedCoreDb {
  const entries = new Map<string, { expires: number; rows: Promise<unknown[]> }>();
  const invalidate = (): void => entries.clear();
  let unlisten: (() => Promise<void>) | undefined;

  return {
    ...db,
    async cachedQuery<T extends object>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      const key = `${text}\u0000${JSON.stringify(params)}`;
      const now = Date.now();
      const hit = entries.get(key);
      if (hit && hit.expires > now) return (await hit.rows) as T[];
      const rows = db.query<T>(text, params);
      if (entries.size >= options.maxEntries) entries.delete(entries.keys().next().value as string);
      entries.set(key, { expires: now + options.ttlMs, rows });
      // A failed read is not remembered.
      rows.catch(() => entries.delete(key));
      return rows;
    },
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const result = await db.transaction(async (tx) => {
        const value = await fn(tx);
        // Delivered to every listening node when (and only if) the transaction commits.
        await announceCoreChange(db, tx);
        return value;
      });
      invalidate();
      return result;
    },
    async startListening() {
      unlisten = await db.listen(CORE_CHANGED_CHANNEL, invalidate, () => {
        invalidate();
        options.logger.info({ channel: CORE_CHANGED_CHANNEL }, "listening for core database changes");
      });
    },
    async close() {
      await unlisten?.().catch(() => undefined);
      invalidate();
      await db.close();
    },
  };
}
