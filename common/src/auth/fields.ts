import { ConfigError } from "../env/errors.js";

/**
 * Typed reading of the auth file's parsed tree, each value by its path (`jwt.corp.public-key`), so
 * that every error names the key as the file spells it. Errors are ConfigErrors of AUTH_CONFIG_FILE
 * and never show a value: the file holds keys and passwords.
 */

export type FileFormat = "yaml" | "json";

const VARIABLE = "AUTH_CONFIG_FILE";

/** A ConfigError of AUTH_CONFIG_FILE about the value at `path` ("" for the whole file). */
export function fileError(path: string, problem: string): ConfigError {
  return new ConfigError(VARIABLE, path === "" ? problem : `${path}: ${problem}`);
}

export function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

const kebab = (key: string): string => key.replaceAll("_", "-");
const snake = (key: string): string => key.replaceAll("-", "_");

/** One key of a mapping, found under either accepted spelling. */
export interface Field {
  value: unknown;
  path: string;
}

/**
 * The fields of a mapping, by the canonical (kebab-case) names of `allowed`, which lists the keys as
 * hugr's YAML spells them. JSON accepts snake_case only, as hugr reads it; YAML accepts both
 * spellings (hugr reads kebab-case, mostly, while its docs show snake_case, which hugr silently
 * ignores). An unknown key, or a key given in both spellings, is an error naming it; a null value
 * counts as absent, as hugr's zero values do.
 */
export function fields(
  value: unknown,
  path: string,
  allowed: readonly string[],
  format: FileFormat,
): Map<string, Field> {
  const object = mapping(value, path, format);
  const known = new Set(allowed.map(kebab));
  const found = new Map<string, Field & { key: string }>();
  for (const [key, item] of Object.entries(object)) {
    const name = kebab(key);
    if (!known.has(name) || (format === "json" && key.includes("-"))) {
      throw fileError(join(path, key), unknownKey(key, allowed, format));
    }
    const other = found.get(name);
    if (other) throw fileError(path, `'${other.key}' and '${key}' are the same key: give it once`);
    found.set(name, { key, value: item, path: join(path, key) });
  }
  const result = new Map<string, Field>();
  for (const [name, field] of found) {
    if (field.value !== null && field.value !== undefined) result.set(name, field);
  }
  return result;
}

function unknownKey(key: string, allowed: readonly string[], format: FileFormat): string {
  if (format === "json" && allowed.some((name) => kebab(name) === kebab(key))) {
    return `unknown key: JSON auth files spell it ${snake(key)}`;
  }
  const spelled = format === "json" ? allowed.map(snake) : allowed;
  return `unknown key; allowed here: ${spelled.join(", ")}`;
}

/** A mapping (YAML) or object (JSON); arrays and scalars are refused. */
export function mapping(value: unknown, path: string, format: FileFormat): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw fileError(path, `must be ${format === "json" ? "an object" : "a mapping"} (got ${kind(value)})`);
  }
  return value as Record<string, unknown>;
}

/** What a value is, for messages (never the value itself). */
function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}

/**
 * A string, trimmed; undefined when empty (hugr's zero value: the default applies). Numbers and
 * booleans are refused rather than converted: YAML would have turned `0123` or `1e3` into another
 * text.
 */
export function text(field: Field | undefined): string | undefined {
  if (field === undefined) return undefined;
  if (typeof field.value !== "string") {
    throw fileError(field.path, `must be a string (got ${kind(field.value)}; quote it)`);
  }
  const value = field.value.trim();
  return value === "" ? undefined : value;
}

/**
 * A credential (an API key, the secret key), verbatim: compared byte for byte with what clients
 * send, so surrounding whitespace (a YAML block scalar's newline) is refused. Never shown.
 */
export function secret(field: Field | undefined): string | undefined {
  if (field === undefined) return undefined;
  if (typeof field.value !== "string") {
    throw fileError(field.path, `must be a string (got ${kind(field.value)}; quote it)`);
  }
  if (field.value === "") return undefined;
  if (field.value !== field.value.trim()) {
    throw fileError(field.path, "has leading or trailing whitespace (a newline of a block scalar?)");
  }
  return field.value;
}

export function flag(field: Field | undefined): boolean | undefined {
  if (field === undefined) return undefined;
  if (typeof field.value !== "boolean") {
    throw fileError(field.path, `must be true or false (got ${kind(field.value)})`);
  }
  return field.value;
}

/** A list of non-empty strings. */
export function textList(field: Field | undefined): string[] {
  if (field === undefined) return [];
  if (!Array.isArray(field.value))
    throw fileError(field.path, `must be a list of strings (got ${kind(field.value)})`);
  return field.value.map((item: unknown, index) => {
    const value = text({ value: item, path: `${field.path}[${index}]` });
    if (value === undefined) throw fileError(`${field.path}[${index}]`, "must not be empty");
    return value;
  });
}

/** The entries of a named map (`api-keys`, `jwt`): each name with its mapping. */
export function entries(field: Field | undefined, format: FileFormat): Field[] {
  if (field === undefined) return [];
  return Object.entries(mapping(field.value, field.path, format)).map(([name, value]) => {
    if (name.trim() === "") throw fileError(field.path, "an entry has an empty name");
    return { value, path: join(field.path, name) };
  });
}

/** RFC 9110 field names: a token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/u;

/** An HTTP header name, lower-cased (header names are case-insensitive). */
export function header(field: Field | undefined): string | undefined {
  const value = text(field);
  if (value === undefined || field === undefined) return undefined;
  if (!TOKEN.test(value)) throw fileError(field.path, `"${value}" is not an HTTP header name`);
  return value.toLowerCase();
}

/** An absolute http(s) URL with a host. */
export function httpUrl(field: Field | undefined): string | undefined {
  const value = text(field);
  if (value === undefined || field === undefined) return undefined;
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw fileError(field.path, "must be an http:// or https:// URL");
  }
  return value;
}
