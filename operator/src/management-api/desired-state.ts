import { createHash } from "node:crypto";
import type { CoreDb } from "@hugr/coredb";
import type { AuthSettings, NodeClusterConfig, StorageSpec } from "@hugr/protocol";
import type { Logger } from "@hugr/common";
import type { Sealer } from "./sealing.js";

/**
 * What every node of the cluster must serve, persisted in the core database: the data sources the
 * cluster loaded or unloaded explicitly, and the registered object storages. Nodes receive it at
 * registration, and again with a heartbeat answer whenever its version changed.
 */
export interface DesiredState {
  /** Reads the persisted state; call once at start. */
  load(): Promise<void>;
  /** The configuration to send to nodes, with its content version. */
  config(): NodeClusterConfig;
  setDataSource(name: string, loaded: boolean): Promise<void>;
  putStorage(spec: StorageSpec): Promise<void>;
  /** False when no storage has that name. */
  removeStorage(name: string): Promise<boolean>;
  /** Replaces the authentication settings (a HugrCluster's spec.auth changed). */
  setAuth(auth: AuthSettings): void;
}

export interface DesiredStateOptions {
  db: CoreDb;
  cluster: string;
  auth: AuthSettings;
  managed?: "kubernetes";
  sealer: Sealer;
  logger: Logger;
}

interface StorageRow {
  name: string;
  type: string;
  scope: string;
  endpoint: string;
  region: string;
  use_ssl: boolean;
  url_style: string;
  url_compatibility: boolean;
  kms_key_id: string;
  account_id: string;
  sealed_credentials: string;
}

export function createDesiredState(options: DesiredStateOptions): DesiredState {
  const { db, cluster, sealer, logger } = options;
  let auth = options.auth;
  const dataSources = new Map<string, boolean>();
  const storages = new Map<string, StorageSpec>();
  let cached: NodeClusterConfig | undefined;

  const changed = (): void => {
    cached = undefined;
  };

  async function loadStorages(): Promise<void> {
    const rows = await db.query<StorageRow>(
      `SELECT name, type, scope, endpoint, region, use_ssl, url_style, url_compatibility, kms_key_id, account_id,
              sealed_credentials FROM object_storages WHERE cluster = $1`,
      [cluster],
    );
    for (const row of rows) {
      try {
        storages.set(row.name, fromRow(row, sealer));
      } catch (error) {
        // Sealed under another cluster secret: the storage must be registered again.
        logger.error(
          { storage: row.name, err: (error as Error).message },
          "cannot open storage credentials; skipping it",
        );
      }
    }
  }

  return {
    async load() {
      const rows = await db.query<{ name: string; loaded: boolean }>(
        "SELECT name, loaded FROM cluster_data_sources WHERE cluster = $1",
        [cluster],
      );
      dataSources.clear();
      storages.clear();
      for (const row of rows) dataSources.set(row.name, row.loaded);
      await loadStorages();
      changed();
    },
    config() {
      cached ??= buildConfig(auth, dataSources, storages, options.managed);
      return cached;
    },
    async setDataSource(name, loaded) {
      await db.query(
        `INSERT INTO cluster_data_sources (cluster, name, loaded) VALUES ($1, $2, $3)
         ON CONFLICT (cluster, name) DO UPDATE SET loaded = EXCLUDED.loaded, updated_at = now()`,
        [cluster, name, loaded],
      );
      dataSources.set(name, loaded);
      changed();
    },
    async putStorage(spec) {
      await db.query(
        `INSERT INTO object_storages (cluster, name, type, scope, endpoint, region, use_ssl, url_style,
           url_compatibility, kms_key_id, account_id, sealed_credentials)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (cluster, name) DO UPDATE SET type = EXCLUDED.type, scope = EXCLUDED.scope,
           endpoint = EXCLUDED.endpoint, region = EXCLUDED.region, use_ssl = EXCLUDED.use_ssl,
           url_style = EXCLUDED.url_style, url_compatibility = EXCLUDED.url_compatibility,
           kms_key_id = EXCLUDED.kms_key_id, account_id = EXCLUDED.account_id,
           sealed_credentials = EXCLUDED.sealed_credentials`,
        [
          cluster,
          spec.name,
          spec.type,
          spec.scope,
          spec.endpoint,
          spec.region,
          spec.useSsl,
          spec.urlStyle,
          spec.urlCompatibility,
          spec.kmsKeyId,
          spec.accountId,
          sealer.seal(JSON.stringify({ key: spec.key, secret: spec.secret })),
        ],
      );
      storages.set(spec.name, spec);
      changed();
    },
    setAuth(next) {
      auth = next;
      changed();
    },
    async removeStorage(name) {
      const rows = await db.query(
        "DELETE FROM object_storages WHERE cluster = $1 AND name = $2 RETURNING name",
        [cluster, name],
      );
      storages.delete(name);
      changed();
      return rows.length > 0;
    },
  };
}

function buildConfig(
  auth: AuthSettings,
  dataSources: ReadonlyMap<string, boolean>,
  storages: ReadonlyMap<string, StorageSpec>,
  managed: "kubernetes" | undefined,
): NodeClusterConfig {
  const names = [...dataSources.keys()].sort();
  const content = {
    auth,
    dataSources: {
      loaded: names.filter((n) => dataSources.get(n) === true),
      unloaded: names.filter((n) => dataSources.get(n) === false),
    },
    storages: [...storages.values()].sort((a, b) => a.name.localeCompare(b.name)),
    ...(managed ? { managed } : {}),
  };
  const version = createHash("sha256").update(JSON.stringify(content)).digest("hex").slice(0, 16);
  return { version, ...content };
}

function fromRow(row: StorageRow, sealer: Sealer): StorageSpec {
  const credentials = JSON.parse(sealer.open(row.sealed_credentials)) as { key: string; secret: string };
  return {
    type: row.type,
    name: row.name,
    scope: row.scope,
    key: credentials.key,
    secret: credentials.secret,
    region: row.region,
    endpoint: row.endpoint,
    useSsl: row.use_ssl,
    urlStyle: row.url_style,
    urlCompatibility: row.url_compatibility,
    kmsKeyId: row.kms_key_id,
    accountId: row.account_id,
  };
}
