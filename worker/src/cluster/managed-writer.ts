import { redactSecrets, type Logger } from "@hugr/common";
import {
  assertCatalogFits,
  CoreDbError,
  dataSourceWithDefaults,
  getDataSource,
  getDataSources,
  readOnlyError,
  validateCatalog,
  validateDataSource,
  validateUpdate,
  type CoreDb,
  type DataSource,
  type DataSourceInput,
  type DataSourcePatch,
} from "@hugr/coredb";
import {
  ProtocolError,
  type ClusterOperationResult,
  type DataSourceDefinition,
  type ManagementClient,
} from "@hugr/protocol";
import type { DataSourceRuntime, DataSourceWriter } from "../data-sources/index.js";

export interface ManagedWriterOptions {
  /** Read only: the rows a change applies to, and the rows the operator wrote. */
  db: CoreDb;
  /** A deleted source is detached here at once, whether or not the operator reached this node. */
  runtime: DataSourceRuntime;
  /** The operations client: bounded by the management node's TIMEOUT plus a margin. */
  management: ManagementClient;
  logger: Logger;
}

/**
 * The writer of a node whose cluster is managed by Kubernetes: the HugrDataSource resources are the
 * source of truth, so this node never writes a data source to the core database. It checks the
 * input exactly as a direct write would (same errors), sends each complete definition to the
 * management node, which changes the resource and answers once the reconcile wrote the row, and
 * then reads the row back.
 *
 * The answers: a refusal (ProtocolError: CONFLICT, INVALID, RECONCILE_TIMEOUT, UNAVAILABLE...)
 * fails the mutation with `MANAGEMENT_<code>` (graphql/errors.ts); an accepted change whose
 * reconcile did not reach every node (`success: false`) stands, and is logged as a warning, as a
 * standalone cluster does after its own writes. Messages and logs never carry a path's password.
 */
export function createManagedWriter(options: ManagedWriterOptions): DataSourceWriter {
  const { db } = options;
  return {
    async insert(input) {
      assertWritable(db);
      validateDataSource(input);
      (input.catalogs ?? []).forEach(validateCatalog);
      await assertNew(db, input);
      const definition = dataSourceWithDefaults(input);
      const result = await change(options, {
        action: "inserting",
        definition,
        done: [],
        send: () => options.management.putDataSource(definition),
      });
      await forgetCachedReads(options);
      const stored = await getDataSource(db, input.name);
      if (!stored) throw missingRow(input.name, redactSecrets(result.message, pathsOf(definition)));
      return stored;
    },
    async update(names, patch) {
      assertWritable(db);
      validateUpdate(patch);
      const rows = await getDataSources(db, names);
      const done: string[] = [];
      for (const row of rows) {
        const definition = patched(row, patch);
        await change(options, {
          action: "updating",
          definition,
          done,
          send: () => options.management.putDataSource(definition),
        });
        done.push(row.name);
      }
      if (rows.length === 0) return [];
      await forgetCachedReads(options);
      return getDataSources(db, done);
    },
    async delete(names) {
      assertWritable(db);
      const rows = await getDataSources(db, names);
      const done: string[] = [];
      for (const row of rows) {
        await change(options, {
          action: "deleting",
          definition: dataSourceWithDefaults(row),
          done,
          send: () => options.management.deleteDataSource(row.name),
        });
        done.push(row.name);
        await options.runtime.forget(row.name);
      }
      if (rows.length > 0) await forgetCachedReads(options);
      return rows;
    },
  };
}

// ---- the call to the management node ------------------------------------------------------

interface Change {
  action: "inserting" | "updating" | "deleting";
  /** The data source as sent (or, for a delete, as it was): its paths are redacted from messages. */
  definition: DataSourceDefinition;
  /** Data sources this mutation already changed: named when a later one fails. */
  done: readonly string[];
  send(): Promise<ClusterOperationResult>;
}

/**
 * Sends one change. A refusal becomes the mutation's error, with the data source named and its
 * secrets redacted; the cause is not kept, because its message is the unredacted one.
 */
async function change(options: ManagedWriterOptions, step: Change): Promise<ClusterOperationResult> {
  const { name } = step.definition;
  let result: ClusterOperationResult;
  try {
    result = await step.send();
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    const changed = step.done.length === 0 ? "" : ` (already changed: ${step.done.join(", ")})`;
    const reason = redactSecrets(error.message, pathsOf(step.definition));
    throw new ProtocolError(error.code, `while ${step.action} data source '${name}'${changed}: ${reason}`, {
      status: error.status,
    });
  }
  if (!result.success) {
    options.logger.warn(
      { dataSource: name, message: redactSecrets(result.message, pathsOf(step.definition)) },
      "data source changed, but not on every node",
    );
  }
  return result;
}

function pathsOf(definition: DataSourceDefinition): string[] {
  return [definition.path, ...definition.catalogs.map((c) => c.path)];
}

function missingRow(name: string, message: string): ProtocolError {
  const detail = message === "" ? "" : `: ${message}`;
  return new ProtocolError(
    "INTERNAL",
    `the management node accepted data source '${name}' but it is not in the core database${detail}`,
  );
}

// ---- definitions --------------------------------------------------------------------------

/**
 * The row with the patch applied, as updateDataSources applies it: undefined keeps a field, null
 * clears prefix and description (null for any other field was refused by validatePatch).
 */
function patched(row: DataSource, patch: DataSourcePatch): DataSourceDefinition {
  return dataSourceWithDefaults({
    name: row.name,
    type: patch.type ?? row.type,
    prefix: patch.prefix === undefined ? row.prefix : patch.prefix,
    description: patch.description === undefined ? row.description : patch.description,
    path: patch.path ?? row.path,
    as_module: patch.as_module ?? row.as_module,
    self_defined: patch.self_defined ?? row.self_defined,
    read_only: patch.read_only ?? row.read_only,
    disabled: patch.disabled ?? row.disabled,
    catalogs: row.catalogs ?? [],
  });
}

// ---- checks a direct write makes inside the database, made here before anything is sent ----

function assertWritable(db: CoreDb): void {
  if (db.readOnly) throw readOnlyError();
}

/**
 * What the unique keys refuse on a direct insert, with the same errors: an existing name, and a
 * catalog that exists with another definition (one with the same definition is shared).
 */
async function assertNew(db: CoreDb, input: DataSourceInput): Promise<void> {
  if (await getDataSource(db, input.name)) {
    throw new CoreDbError("ALREADY_EXISTS", `data source '${input.name}' already exists`);
  }
  for (const catalog of input.catalogs ?? []) await assertCatalogFits(db, catalog);
}

// ---- reads (CoreDb.query is never cached: the rows the operator just wrote are seen) ----

/**
 * Drops this node's cached core reads, so the next `data_sources` query sees the operator's write:
 * an empty transaction, which on the node's cached core database invalidates the cache and tells
 * every node to do the same (NOTIFY). It writes no row. A failure only delays visibility by the
 * cache's TTL, so it is logged, not returned.
 */
async function forgetCachedReads(options: ManagedWriterOptions): Promise<void> {
  try {
    await options.db.transaction(() => Promise.resolve());
  } catch (error) {
    options.logger.warn({ err: (error as Error).message }, "could not invalidate cached core reads");
  }
}
