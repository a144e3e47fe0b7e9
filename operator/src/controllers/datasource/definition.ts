import { carriesSecret } from "@hugr/common";
import type { DataSourceInput } from "@hugr/coredb";
import type { DataSourceDefinition } from "@hugr/protocol";
import type { HugrDataSource, HugrDataSourceSpec } from "../../api/v1alpha1/index.js";
import { hugrNameOf } from "./names.js";

/** Key of the connection string in the Secret the operator creates for a GraphQL-made data source. */
export const DSN_SECRET_KEY = "url";

/** The Secret holding a mirrored data source's connection string: `<name>-dsn`. */
export const dsnSecretName = (name: string): string => `${name}-dsn`;

/**
 * The core-database row a HugrDataSource stands for, under its hugr name (spec.name, else the
 * resource's name); `path` is the connection string, read from its Secret when the spec references one.
 */
export function toDataSourceInput(source: HugrDataSource, path: string): DataSourceInput {
  const { spec } = source;
  return {
    name: hugrNameOf(source),
    type: spec.type,
    prefix: spec.prefix ?? "",
    description: spec.description ?? "",
    path,
    as_module: spec.asModule ?? false,
    self_defined: spec.selfDefined ?? false,
    read_only: spec.readOnly ?? false,
    disabled: spec.disabled ?? false,
    catalogs: (spec.catalogs ?? []).map((c) => ({
      name: c.name,
      type: c.type,
      description: c.description ?? "",
      path: c.path,
    })),
  };
}

/**
 * The spec of the HugrDataSource `resource.name` that a GraphQL insert or update asks for. Its
 * spec.name is the hugr name when that is not the resource's name. A path with a secret goes to the
 * Secret `dsnSecretName(resource.name)` (the caller writes it) and the spec references it.
 */
export function specFromDefinition(
  definition: DataSourceDefinition,
  resource: { cluster: string; name: string },
): HugrDataSourceSpec {
  const secret = carriesSecret(definition.path);
  return {
    clusterRef: { name: resource.cluster },
    ...(definition.name === resource.name ? {} : { name: definition.name }),
    type: definition.type as HugrDataSourceSpec["type"],
    ...(definition.prefix ? { prefix: definition.prefix } : {}),
    ...(definition.description ? { description: definition.description } : {}),
    ...(secret
      ? { pathSecretRef: { name: dsnSecretName(resource.name), key: DSN_SECRET_KEY } }
      : { path: definition.path }),
    readOnly: definition.read_only,
    asModule: definition.as_module,
    selfDefined: definition.self_defined,
    disabled: definition.disabled,
    catalogs: definition.catalogs.map((c) => ({
      name: c.name,
      type: c.type as NonNullable<HugrDataSourceSpec["catalogs"]>[number]["type"],
      ...(c.description ? { description: c.description } : {}),
      path: c.path,
    })),
  };
}
