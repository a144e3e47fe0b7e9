/** An object's place: `s3://bucket/key`. */
export interface S3Location {
  bucket: string;
  key: string;
}

const S3_SCHEME = "s3://";

/** Splits `s3://bucket/key`; undefined for another scheme or a missing bucket. */
export function parseS3Url(url: string): S3Location | undefined {
  if (!url.startsWith(S3_SCHEME)) return undefined;
  const rest = url.slice(S3_SCHEME.length);
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  return bucket ? { bucket, key: slash < 0 ? "" : rest.slice(slash + 1) } : undefined;
}

export function s3Url(location: S3Location): string {
  return `${S3_SCHEME}${location.bucket}/${location.key}`;
}

/**
 * A storage's scope (`my-bucket`, `my-bucket/data`, `s3://my-bucket/data/`) as a bucket and a key
 * prefix without trailing slash. An empty scope (or `s3://`) has bucket "" and covers every bucket,
 * as a DuckDB S3 secret without a scope does.
 */
export function parseScope(scope: string): S3Location {
  const text = scope
    .trim()
    .replace(/^s3:\/\//u, "")
    .replace(/\/+$/u, "");
  const slash = text.indexOf("/");
  return slash < 0 ? { bucket: text, key: "" } : { bucket: text.slice(0, slash), key: text.slice(slash + 1) };
}

/** Path boundaries count: scope `b/data` covers `b/data` and `b/data/x`, not `b/database/x`. */
export function scopeCovers(scope: S3Location, location: S3Location): boolean {
  if (scope.bucket === "") return true;
  if (scope.bucket !== location.bucket) return false;
  return scope.key === "" || location.key === scope.key || location.key.startsWith(`${scope.key}/`);
}

/**
 * The storage that serves a location: among those whose scope covers it, the one with the longest
 * (most specific) scope; equal scopes go to the first name in sort order, so the choice never
 * depends on registration order.
 */
export function pickStorage<T extends { name: string; scope: string }>(
  storages: Iterable<T>,
  location: S3Location,
): T | undefined {
  let best: { storage: T; rank: number } | undefined;
  for (const storage of storages) {
    const scope = parseScope(storage.scope);
    if (!scopeCovers(scope, location)) continue;
    const rank = scope.bucket === "" ? -1 : scope.key.length;
    const better = !best || rank > best.rank || (rank === best.rank && storage.name < best.storage.name);
    if (better) best = { storage, rank };
  }
  return best?.storage;
}
