import type {
  DataSourceDefinition,
  HeartbeatRequest,
  RegisterNodeRequest,
  StorageSpec,
} from "@hugr/protocol";

/**
 * Checks of request bodies on the management API. Hand-written: three small shapes, and the
 * messages name the field a node got wrong.
 */
export class BadRequest extends Error {}

type Json = Record<string, unknown>;

function object(body: unknown): Json {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new BadRequest("body must be a JSON object");
  return body as Json;
}

function text(body: Json, field: string, options: { allowEmpty?: boolean } = {}): string {
  const value = body[field];
  if (typeof value !== "string" || (!options.allowEmpty && value.trim() === "")) {
    throw new BadRequest(`${field} must be a ${options.allowEmpty ? "" : "non-empty "}string`);
  }
  return value;
}

function flag(body: Json, field: string): boolean {
  const value = body[field];
  if (typeof value !== "boolean") throw new BadRequest(`${field} must be a boolean`);
  return value;
}

function httpUrl(body: Json, field: string): string {
  const value = text(body, field);
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:"))
    throw new BadRequest(`${field} must be an http(s) URL`);
  return value;
}

export function registerRequest(body: unknown): RegisterNodeRequest {
  const json = object(body);
  return { name: text(json, "name"), url: httpUrl(json, "url"), version: text(json, "version") };
}

export function heartbeatRequest(body: unknown): HeartbeatRequest {
  const json = object(body);
  return {
    url: httpUrl(json, "url"),
    version: text(json, "version"),
    ready: flag(json, "ready"),
    error: text(json, "error", { allowEmpty: true }),
    configVersion: text(json, "configVersion", { allowEmpty: true }),
  };
}

export function storageSpec(body: unknown, name: string): StorageSpec {
  const json = object(body);
  const spec: StorageSpec = {
    type: text(json, "type"),
    name: text(json, "name"),
    scope: text(json, "scope"),
    key: text(json, "key"),
    secret: text(json, "secret"),
    region: text(json, "region", { allowEmpty: true }),
    endpoint: text(json, "endpoint"),
    useSsl: flag(json, "useSsl"),
    urlStyle: text(json, "urlStyle"),
    urlCompatibility: flag(json, "urlCompatibility"),
    kmsKeyId: text(json, "kmsKeyId", { allowEmpty: true }),
    accountId: text(json, "accountId", { allowEmpty: true }),
  };
  if (spec.name !== name) throw new BadRequest(`name '${spec.name}' does not match the path's '${name}'`);
  if (spec.urlStyle !== "path" && spec.urlStyle !== "vhost")
    throw new BadRequest(`urlStyle must be "path" or "vhost"`);
  return spec;
}

function catalog(value: unknown, index: number): DataSourceDefinition["catalogs"][number] {
  const json = object(value);
  const field = (name: string): string => {
    try {
      return text(json, name, { allowEmpty: name === "description" });
    } catch (error) {
      throw new BadRequest(`catalogs[${index}].${(error as Error).message}`);
    }
  };
  return { name: field("name"), type: field("type"), description: field("description"), path: field("path") };
}

/** A data source definition (PUT /v1/data-sources/:name); its name must be the path's. */
export function dataSourceDefinition(body: unknown, name: string): DataSourceDefinition {
  const json = object(body);
  const catalogs = json["catalogs"];
  if (!Array.isArray(catalogs)) throw new BadRequest("catalogs must be an array");
  const definition: DataSourceDefinition = {
    name: text(json, "name"),
    type: text(json, "type"),
    prefix: text(json, "prefix", { allowEmpty: true }),
    description: text(json, "description", { allowEmpty: true }),
    path: text(json, "path"),
    as_module: flag(json, "as_module"),
    self_defined: flag(json, "self_defined"),
    read_only: flag(json, "read_only"),
    disabled: flag(json, "disabled"),
    catalogs: catalogs.map(catalog),
  };
  if (definition.name !== name) {
    throw new BadRequest(`name '${definition.name}' does not match the path's '${name}'`);
  }
  return definition;
}
