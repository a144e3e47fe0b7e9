import type {
  CacheInvalidation,
  DataSourceDefinition,
  HeartbeatRequest,
  RegisterNodeRequest,
  StorageSpec,
} from "./contract.js";

/**
 * The contract's checks of every request, run once at the edge of both APIs (the management node's
 * and each work node's), so nothing malformed reaches the registry or a node: bodies, and the names
 * in paths. Hand-written: a few small shapes, and the messages name the field a caller got wrong.
 */
export class BadRequest extends Error {}

/** Kubernetes' rule for a pod name (DNS-1123 subdomain), which a work node's name follows. */
const NODE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/u;
/** The longest name of any kind: a DNS-1123 subdomain's limit. */
const NAME_MAX = 253;
/** A data source name, as the core database accepts it. */
const DATA_SOURCE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/u;
/** Storage names: printable, no path separators or control characters. */
const STORAGE_NAME = /^[^\s/\\\p{Cc}]{1,253}$/u;

/** A work node's name (CLUSTER_NODE_NAME, a path parameter): as Kubernetes names its pods. */
export function nodeName(value: string, field = "name"): string {
  if (value.length > NAME_MAX || !NODE_NAME.test(value)) {
    throw new BadRequest(
      `${field} must be a DNS-1123 name of at most ${NAME_MAX} characters (lower-case letters, digits, "-" and "."), as a pod's`,
    );
  }
  return value;
}

/** A data source name in a path: letters, digits and "_", not starting with a digit. */
export function dataSourceName(value: string): string {
  if (value.length > NAME_MAX || !DATA_SOURCE_NAME.test(value)) {
    throw new BadRequest(
      "the data source name must start with a letter or _ and hold only letters, digits and _",
    );
  }
  return value;
}

/** A storage name in a path or a body. */
export function storageName(value: string, field = "the storage name"): string {
  if (!STORAGE_NAME.test(value)) {
    throw new BadRequest(`${field} must be 1 to 253 printable characters without spaces or slashes`);
  }
  return value;
}

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
  return { name: nodeName(text(json, "name")), url: httpUrl(json, "url"), version: text(json, "version") };
}

/** At most this many tags in one invalidation, each at most NAME_MAX characters. */
const INVALIDATION_TAGS_MAX = 10_000;

export function cacheInvalidation(body: unknown): CacheInvalidation {
  const json = object(body);
  const origin = text(json, "origin");
  if (origin.length > NAME_MAX) throw new BadRequest(`origin must be at most ${NAME_MAX} characters`);
  if (json["scope"] === "all") return { origin, scope: "all" };
  if (json["scope"] !== "tags") throw new BadRequest('scope must be "tags" or "all"');
  const tags = json["tags"];
  if (!Array.isArray(tags) || tags.length === 0 || tags.length > INVALIDATION_TAGS_MAX)
    throw new BadRequest(`tags must be a list of 1 to ${INVALIDATION_TAGS_MAX} strings`);
  for (const tag of tags) {
    if (typeof tag !== "string" || tag === "" || tag.length > NAME_MAX)
      throw new BadRequest(`tags must hold non-empty strings of at most ${NAME_MAX} characters`);
  }
  return { origin, scope: "tags", tags: tags as string[] };
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
  storageName(spec.name, "name");
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
