// Table specs shared by the filter tests (the core module's tables plus a numeric/timestamp table).
import type { TableSpec } from "./table.js";

/** The core module's own specs: the tests compile filters exactly as the repository does. */
export {
  CATALOG_SOURCES_TABLE as catalogSources,
  DATA_SOURCES_TABLE as dataSources,
} from "../data-sources.js";

/** One-to-many (roles.permissions) and a table with int / float / timestamp / json columns. */
export const roles: TableSpec = {
  table: "roles",
  columns: { name: "string", disabled: "boolean" },
  relations: {
    permissions: { target: () => permissions, sourceKey: "name", targetKey: "role" },
  },
};

export const permissions: TableSpec = {
  table: "permissions",
  columns: { role: "string", type_name: "string", hidden: "boolean", filter: "json" },
  relations: {
    role_info: { target: () => roles, sourceKey: "role", targetKey: "name" },
  },
};

export const metrics: TableSpec = {
  table: "metrics",
  columns: { id: "int", score: "float", at: "timestamp", meta: "json" },
};

/** DDL of the fixture tables for PGlite. */
export const FIXTURE_DDL = `
CREATE TABLE catalog_sources (name text PRIMARY KEY, type text NOT NULL, description text, path text NOT NULL);
CREATE TABLE data_sources (
  name text PRIMARY KEY, type text NOT NULL, prefix text NOT NULL, description text, path text NOT NULL,
  as_module boolean NOT NULL, disabled boolean, self_defined boolean, read_only boolean);
CREATE TABLE data_source_catalogs (
  data_source_name text NOT NULL REFERENCES data_sources(name),
  catalog_name text NOT NULL REFERENCES catalog_sources(name),
  PRIMARY KEY (data_source_name, catalog_name));
CREATE TABLE roles (name text PRIMARY KEY, disabled boolean);
CREATE TABLE permissions (role text NOT NULL REFERENCES roles(name), type_name text NOT NULL, hidden boolean, filter jsonb);
CREATE TABLE metrics (id integer PRIMARY KEY, score double precision, at timestamptz, meta jsonb);
`;
