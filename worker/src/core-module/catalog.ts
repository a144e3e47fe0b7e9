import { parseCatalog } from "../engine/catalogs/index.js";
import { indexCatalog, type Catalog } from "../engine/sql/catalog.js";

/**
 * The core database's tables, described in hugr's catalog SDL as any data source's are, so that the
 * core module is served by the same query engine: the same filters, ordering, aggregations,
 * relations and `_by_pk` queries. Table and column names are hugr's (coredb/src/migrations.ts);
 * GraphQL names are hugr's too (`role_permissions` reads the table `permissions`).
 */
const CORE_CATALOG_SDL = /* GraphQL */ `
  """
  A data source registered in the core database
  """
  type data_sources @table(name: "data_sources") {
    name: String! @pk
    """
    postgres, duckdb, mysql, mssql, http or extension
    """
    type: String!
    """
    Prepended to the names of the source's types (and of its root fields unless as_module)
    """
    prefix: String! @default(value: "")
    description: String @default(value: "")
    """
    Connection string or file path; a password in it is shown as ***
    """
    path: String!
    """
    The source's fields sit under a module field named after it
    """
    as_module: Boolean! @default(value: false)
    disabled: Boolean @default(value: false)
    """
    Tables the catalogs do not define are found by introspection
    """
    self_defined: Boolean @default(value: false)
    read_only: Boolean @default(value: false)
  }

  """
  A catalog: where a data source's schema definition (SDL) comes from
  """
  type catalog_sources @table(name: "catalog_sources") {
    name: String! @pk
    """
    localFS, uri, uriFile or text
    """
    type: String!
    description: String @default(value: "")
    """
    A folder, URI or file of .graphql files, or the SDL itself (text); a password in it is shown as ***
    """
    path: String!
  }

  """
  Which catalogs each data source uses
  """
  type data_source_catalogs @table(name: "data_source_catalogs", is_m2m: true) {
    data_source_name: String!
      @pk
      @field_references(
        references_name: "data_sources"
        field: "name"
        query: "data_source"
        references_query: "catalogs"
      )
    catalog_name: String!
      @pk
      @field_references(
        references_name: "catalog_sources"
        field: "name"
        query: "catalog"
        references_query: "data_sources"
      )
  }

  """
  A role: what a request may do is decided by its role's permissions
  """
  type roles @table(name: "roles") {
    name: String! @pk
    description: String! @default(value: "")
    """
    A disabled role is refused (403)
    """
    disabled: Boolean! @default(value: false)
    """
    Requests of this role may act as another role (x-hugr-impersonated-role)
    """
    can_impersonate: Boolean! @default(value: false)
  }

  """
  A permission of a role on a field of a type; the most specific row for (type, field) decides
  """
  type role_permissions @table(name: "permissions") {
    role: String!
      @pk
      @field_references(
        references_name: "roles"
        field: "name"
        query: "role_info"
        references_query: "permissions"
      )
    """
    The parent type, or * for every type
    """
    type_name: String! @pk
    """
    The field, or * for every field
    """
    field_name: String! @pk
    """
    Left out of introspection, still queryable
    """
    hidden: Boolean! @default(value: false)
    """
    Refused
    """
    disabled: Boolean! @default(value: false)
    """
    A row filter on every read, update and delete of the object
    """
    filter: JSON
    """
    Values forced on insert and update
    """
    data: JSON
  }

  """
  A managed API key (header x-hugr-api-key)
  """
  type api_keys @table(name: "api_keys") {
    name: String! @pk
    """
    The key; never shown (***)
    """
    key: String!
    description: String! @default(value: "")
    default_role: String
      @field_references(
        references_name: "roles"
        field: "name"
        query: "role_info"
        references_query: "api_keys"
      )
    disabled: Boolean! @default(value: false)
    """
    Expires at expires_at
    """
    is_temporal: Boolean! @default(value: false)
    expires_at: Timestamp
    """
    Headers whose values become the identity (user id, user name, role)
    """
    headers: JSON
    """
    Claims of the identity, usable in permission placeholders
    """
    claims: JSON
    created_at: Timestamp
  }
`;

let catalog: Catalog | undefined;

/** The parsed core catalog (parsed once: it is the same for every node). */
export function coreCatalog(): Catalog {
  catalog ??= indexCatalog(parseCatalog([{ origin: "core catalog", text: CORE_CATALOG_SDL }]));
  return catalog;
}
