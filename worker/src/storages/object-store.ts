/**
 * Files in the registered object storages, as catalogs and DuckDB views reach them: by `s3://bucket/key`
 * URL. A URL is served by the registered storage whose scope covers it, with that storage's
 * credentials; objects are fetched once into a local disk cache.
 */
export interface ObjectStore {
  /** True when a registered storage's scope covers this `s3://` URL. */
  covers(url: string): boolean;
  /**
   * Fetches the object (or reuses the cached copy) and returns its local file path. A key with glob
   * characters (`*`, `**`, `?`) fetches every matching object and returns the local path with the same
   * glob, so a DuckDB `read_parquet('s3://b/data/*.parquet')` works on the local copy unchanged.
   */
  localPath(url: string): Promise<string>;
  /** The object's content as UTF-8 text (catalog files). */
  readText(url: string): Promise<string>;
  /** URLs of the objects whose keys start with the URL's key (`s3://bucket/folder/`), sorted. */
  list(prefixUrl: string): Promise<string[]>;
}
