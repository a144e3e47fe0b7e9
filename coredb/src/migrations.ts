import type { CoreDb, SqlExecutor } from "./types.js";

/** One versioned schema change. Versions are applied in order, each exactly once. */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

/**
 * The core database schema, in hugr's table names. Append new migrations; never edit an applied one.
 * `data_sources.path` may hold a DSN with a password: it is masked wherever it leaves the node.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "core tables",
    statements: [
      `CREATE TABLE data_sources (
        name text PRIMARY KEY,
        type text NOT NULL,
        prefix text NOT NULL DEFAULT '',
        description text NOT NULL DEFAULT '',
        path text NOT NULL,
        as_module boolean NOT NULL DEFAULT false,
        self_defined boolean NOT NULL DEFAULT false,
        read_only boolean NOT NULL DEFAULT false,
        disabled boolean NOT NULL DEFAULT false
      )`,
      `CREATE TABLE catalog_sources (
        name text PRIMARY KEY,
        type text NOT NULL,
        description text NOT NULL DEFAULT '',
        path text NOT NULL
      )`,
      `CREATE TABLE data_source_catalogs (
        data_source_name text NOT NULL REFERENCES data_sources(name) ON DELETE CASCADE ON UPDATE CASCADE,
        catalog_name text NOT NULL REFERENCES catalog_sources(name) ON DELETE CASCADE ON UPDATE CASCADE,
        PRIMARY KEY (data_source_name, catalog_name)
      )`,
      `CREATE INDEX data_source_catalogs_catalog_idx ON data_source_catalogs (catalog_name)`,
      `CREATE TABLE roles (
        name text PRIMARY KEY,
        description text NOT NULL DEFAULT '',
        disabled boolean NOT NULL DEFAULT false,
        can_impersonate boolean NOT NULL DEFAULT false
      )`,
      `CREATE TABLE permissions (
        role text NOT NULL REFERENCES roles(name) ON DELETE CASCADE ON UPDATE CASCADE,
        type_name text NOT NULL,
        field_name text NOT NULL,
        hidden boolean NOT NULL DEFAULT false,
        disabled boolean NOT NULL DEFAULT false,
        filter jsonb,
        data jsonb,
        PRIMARY KEY (role, type_name, field_name)
      )`,
      `CREATE TABLE api_keys (
        name text PRIMARY KEY,
        key text NOT NULL UNIQUE,
        description text NOT NULL DEFAULT '',
        default_role text REFERENCES roles(name) ON UPDATE CASCADE,
        disabled boolean NOT NULL DEFAULT false,
        is_temporal boolean NOT NULL DEFAULT false,
        expires_at timestamptz,
        headers jsonb,
        claims jsonb
      )`,
      `CREATE TABLE object_storages (
        name text PRIMARY KEY,
        type text NOT NULL,
        scope text NOT NULL,
        endpoint text NOT NULL,
        region text NOT NULL DEFAULT '',
        use_ssl boolean NOT NULL DEFAULT true,
        url_style text NOT NULL DEFAULT 'path',
        url_compatibility boolean NOT NULL DEFAULT false,
        kms_key_id text NOT NULL DEFAULT '',
        account_id text NOT NULL DEFAULT ''
      )`,
      `CREATE TABLE cluster_nodes (
        name text PRIMARY KEY,
        url text NOT NULL,
        version text NOT NULL,
        ready boolean NOT NULL DEFAULT false,
        error text NOT NULL DEFAULT '',
        registered_at timestamptz NOT NULL DEFAULT now(),
        last_seen timestamptz NOT NULL DEFAULT now()
      )`,
      `INSERT INTO roles (name, description) VALUES
        ('admin', 'Full access'),
        ('public', 'Default role of authenticated users'),
        ('readonly', 'Read-only access')
       ON CONFLICT (name) DO NOTHING`,
    ],
  },
  {
    version: 2,
    name: "cluster state",
    statements: [
      // One management node can coordinate several clusters (one per HugrCluster in Kubernetes):
      // every row of cluster state belongs to one; standalone uses the cluster "".
      `ALTER TABLE cluster_nodes ADD COLUMN cluster text NOT NULL DEFAULT ''`,
      `ALTER TABLE cluster_nodes DROP CONSTRAINT cluster_nodes_pkey`,
      `ALTER TABLE cluster_nodes ADD PRIMARY KEY (cluster, name)`,
      // Data sources the cluster loaded or unloaded explicitly (load_data_source / unload_data_source).
      `CREATE TABLE cluster_data_sources (
        cluster text NOT NULL DEFAULT '',
        name text NOT NULL,
        loaded boolean NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (cluster, name)
      )`,
      // Object storages registered cluster-wide; credentials sealed with a key derived from the
      // cluster secret (AES-256-GCM), never stored in clear.
      `ALTER TABLE object_storages ADD COLUMN cluster text NOT NULL DEFAULT ''`,
      `ALTER TABLE object_storages ADD COLUMN sealed_credentials text NOT NULL DEFAULT ''`,
      `ALTER TABLE object_storages DROP CONSTRAINT object_storages_pkey`,
      `ALTER TABLE object_storages ADD PRIMARY KEY (cluster, name)`,
    ],
  },
  {
    version: 3,
    name: "hugr's authorization tables",
    statements: [
      // hugr records when a managed API key was created. Its default_role and expires_at are NOT
      // NULL (a key that never expires carries a creation time there); ours accept NULL, which
      // takes every row of hugr's table and says "no expiry" plainly.
      `ALTER TABLE api_keys ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()`,
      // hugr's seeded rule: the readonly role may run no mutation.
      `INSERT INTO permissions (role, type_name, field_name, hidden, disabled)
       VALUES ('readonly', 'Mutation', '*', false, true)
       ON CONFLICT DO NOTHING`,
      // hugr seeds admin as a role that may impersonate others.
      `UPDATE roles SET can_impersonate = true WHERE name = 'admin'`,
    ],
  },
  {
    version: 4,
    name: "core module for granted roles only",
    statements: [
      // Ours, not hugr's: a fresh node is safe for roles other than admin. The core module (data
      // sources, roles, permissions, API keys, the cluster's nodes, storages and statuses) and the
      // node's operations are for roles granted them; public and readonly may still ask who they
      // are and what they may do (function { core { auth } }).
      `INSERT INTO permissions (role, type_name, field_name, hidden, disabled) VALUES
        ('public', '_module_core_query', '*', false, true),
        ('public', '_module_core_mutation', '*', false, true),
        ('public', '_module_core_function', '*', false, true),
        ('public', '_module_core_function', 'auth', false, false),
        ('public', '_module_core_function_mutation', '*', false, true),
        ('readonly', '_module_core_query', '*', false, true),
        ('readonly', '_module_core_mutation', '*', false, true),
        ('readonly', '_module_core_function', '*', false, true),
        ('readonly', '_module_core_function', 'auth', false, false),
        ('readonly', '_module_core_function_mutation', '*', false, true)
       ON CONFLICT DO NOTHING`,
    ],
  },
];

/**
 * The same schema on DuckDB: same tables, columns (in the same order), types, primary keys and
 * seeded rows, in DuckDB SQL. A DuckDB file is created whole at version 3, the PostgreSQL versions
 * 1 to 3 folded into one step; a PostgreSQL migration appended above needs its DuckDB form appended
 * here with the same version (duckdb-schema.test.ts compares the two schemas and fails until then).
 *
 * Unlike PostgreSQL, no foreign keys: DuckDB's cannot CASCADE, and they refuse to delete or update a
 * referenced key at all, so deleting a data source or renaming a role would fail. Without them,
 * code that deletes on DuckDB must delete the link rows (data_source_catalogs, permissions) itself.
 * No secondary index either: the core tables are small enough to scan.
 */
export const DUCKDB_MIGRATIONS: readonly Migration[] = [
  {
    version: 3,
    name: "core tables (DuckDB)",
    statements: [
      `CREATE TABLE data_sources (
        name VARCHAR PRIMARY KEY,
        type VARCHAR NOT NULL,
        prefix VARCHAR NOT NULL DEFAULT '',
        description VARCHAR NOT NULL DEFAULT '',
        path VARCHAR NOT NULL,
        as_module BOOLEAN NOT NULL DEFAULT false,
        self_defined BOOLEAN NOT NULL DEFAULT false,
        read_only BOOLEAN NOT NULL DEFAULT false,
        disabled BOOLEAN NOT NULL DEFAULT false
      )`,
      `CREATE TABLE catalog_sources (
        name VARCHAR PRIMARY KEY,
        type VARCHAR NOT NULL,
        description VARCHAR NOT NULL DEFAULT '',
        path VARCHAR NOT NULL
      )`,
      `CREATE TABLE data_source_catalogs (
        data_source_name VARCHAR NOT NULL,
        catalog_name VARCHAR NOT NULL,
        PRIMARY KEY (data_source_name, catalog_name)
      )`,
      `CREATE TABLE roles (
        name VARCHAR PRIMARY KEY,
        description VARCHAR NOT NULL DEFAULT '',
        disabled BOOLEAN NOT NULL DEFAULT false,
        can_impersonate BOOLEAN NOT NULL DEFAULT false
      )`,
      `CREATE TABLE permissions (
        role VARCHAR NOT NULL,
        type_name VARCHAR NOT NULL,
        field_name VARCHAR NOT NULL,
        hidden BOOLEAN NOT NULL DEFAULT false,
        disabled BOOLEAN NOT NULL DEFAULT false,
        filter JSON,
        data JSON,
        PRIMARY KEY (role, type_name, field_name)
      )`,
      `CREATE TABLE api_keys (
        name VARCHAR PRIMARY KEY,
        key VARCHAR NOT NULL UNIQUE,
        description VARCHAR NOT NULL DEFAULT '',
        default_role VARCHAR,
        disabled BOOLEAN NOT NULL DEFAULT false,
        is_temporal BOOLEAN NOT NULL DEFAULT false,
        expires_at TIMESTAMPTZ,
        headers JSON,
        claims JSON,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE object_storages (
        name VARCHAR NOT NULL,
        type VARCHAR NOT NULL,
        scope VARCHAR NOT NULL,
        endpoint VARCHAR NOT NULL,
        region VARCHAR NOT NULL DEFAULT '',
        use_ssl BOOLEAN NOT NULL DEFAULT true,
        url_style VARCHAR NOT NULL DEFAULT 'path',
        url_compatibility BOOLEAN NOT NULL DEFAULT false,
        kms_key_id VARCHAR NOT NULL DEFAULT '',
        account_id VARCHAR NOT NULL DEFAULT '',
        cluster VARCHAR NOT NULL DEFAULT '',
        sealed_credentials VARCHAR NOT NULL DEFAULT '',
        PRIMARY KEY (cluster, name)
      )`,
      `CREATE TABLE cluster_nodes (
        name VARCHAR NOT NULL,
        url VARCHAR NOT NULL,
        version VARCHAR NOT NULL,
        ready BOOLEAN NOT NULL DEFAULT false,
        error VARCHAR NOT NULL DEFAULT '',
        registered_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        last_seen TIMESTAMPTZ NOT NULL DEFAULT now(),
        cluster VARCHAR NOT NULL DEFAULT '',
        PRIMARY KEY (cluster, name)
      )`,
      `CREATE TABLE cluster_data_sources (
        cluster VARCHAR NOT NULL DEFAULT '',
        name VARCHAR NOT NULL,
        loaded BOOLEAN NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (cluster, name)
      )`,
      `INSERT INTO roles (name, description, can_impersonate) VALUES
        ('admin', 'Full access', true),
        ('public', 'Default role of authenticated users', false),
        ('readonly', 'Read-only access', false)`,
      `INSERT INTO permissions (role, type_name, field_name, hidden, disabled)
       VALUES ('readonly', 'Mutation', '*', false, true)`,
    ],
  },
  {
    version: 4,
    name: "core module for granted roles only",
    statements: [
      // Ours, not hugr's: a fresh node is safe for roles other than admin. The core module (data
      // sources, roles, permissions, API keys, the cluster's nodes, storages and statuses) and the
      // node's operations are for roles granted them; public and readonly may still ask who they
      // are and what they may do (function { core { auth } }).
      `INSERT INTO permissions (role, type_name, field_name, hidden, disabled) VALUES
        ('public', '_module_core_query', '*', false, true),
        ('public', '_module_core_mutation', '*', false, true),
        ('public', '_module_core_function', '*', false, true),
        ('public', '_module_core_function', 'auth', false, false),
        ('public', '_module_core_function_mutation', '*', false, true),
        ('readonly', '_module_core_query', '*', false, true),
        ('readonly', '_module_core_mutation', '*', false, true),
        ('readonly', '_module_core_function', '*', false, true),
        ('readonly', '_module_core_function', 'auth', false, false),
        ('readonly', '_module_core_function_mutation', '*', false, true)
       ON CONFLICT DO NOTHING`,
    ],
  },
];

/** Key of the advisory lock that serialises migrations across nodes starting at once. */
const MIGRATION_LOCK_KEY = 4_841_520_001;

export interface MigrationReport {
  from: number;
  to: number;
  applied: readonly string[];
}

/**
 * Brings the schema to the newest version in one transaction under a transaction-scoped advisory
 * lock: when several nodes start together, one migrates and the others wait, then find nothing
 * left to do. A failure rolls everything back, so a half-applied version never exists. DuckDB
 * takes no lock: a process that can write a DuckDB file is the only one that has it open.
 */
export async function migrate(
  db: CoreDb,
  migrations: readonly Migration[] = db.kind === "duckdb" ? DUCKDB_MIGRATIONS : MIGRATIONS,
): Promise<MigrationReport> {
  return db.transaction(async (tx) => {
    if (db.kind !== "duckdb") await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_version (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const from = await currentVersion(tx);
    const pending = migrations.filter((m) => m.version > from).sort((a, b) => a.version - b.version);
    for (const migration of pending) {
      for (const statement of migration.statements) await tx.query(statement);
      await tx.query("INSERT INTO schema_version (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
    }
    return { from, to: pending.at(-1)?.version ?? from, applied: pending.map((m) => m.name) };
  });
}

/** The applied schema version, 0 for an empty database. */
export async function currentVersion(db: SqlExecutor): Promise<number> {
  const [row] = await db.query<{ version: number | null }>(
    "SELECT max(version) AS version FROM schema_version",
  );
  return row?.version ?? 0;
}

/** The newest version this build knows. */
export const LATEST_VERSION: number = Math.max(...MIGRATIONS.map((m) => m.version));
