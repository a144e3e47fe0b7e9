/**
 * Reads the SDL documents of a data source's catalogs, in hugr's catalog types: `localFS` and `uri`
 * (a folder of `.graphql` files, subfolders included), `uriFile` (one file) and `text` (the SDL inline
 * in `path`). Paths are local paths, `file://` URLs or `s3://` URLs served by the registered object storages.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CatalogSource } from "@hugr/coredb";
import type { ObjectStore } from "../../storages/object-store.js";
import { CatalogError } from "./errors.js";

/** One SDL document and where it came from: a file path, an `s3://` URL or `text:<catalog name>`. */
export interface CatalogDocument {
  origin: string;
  text: string;
}

export interface ReadCatalogOptions {
  /** Serves `s3://` paths; without it, such a catalog is an error. */
  objectStore?: ObjectStore;
}

const SDL_EXTENSION = ".graphql";

/** A catalog path resolved to where its content lives. */
type Location = { kind: "s3"; url: string } | { kind: "file"; path: string };

/**
 * The documents of `catalogs`, in catalog order and, within a folder, sorted by path, so that the
 * same catalogs always give the same documents (and the same error, if two declare the same object).
 */
export async function readCatalogDocuments(
  catalogs: readonly CatalogSource[],
  options: ReadCatalogOptions = {},
): Promise<CatalogDocument[]> {
  const documents: CatalogDocument[] = [];
  for (const catalog of catalogs) documents.push(...(await readCatalog(catalog, options.objectStore)));
  return documents;
}

async function readCatalog(
  catalog: CatalogSource,
  store: ObjectStore | undefined,
): Promise<CatalogDocument[]> {
  switch (catalog.type) {
    case "text":
      return [{ origin: `text:${catalog.name}`, text: catalog.path }];
    case "localFS":
    case "uri":
      return readFolder(catalog, locate(catalog), store);
    case "uriFile":
      return [await readOne(catalog, locate(catalog), store)];
    default:
      throw new CatalogError(
        `catalog '${catalog.name}' has unknown type '${catalog.type}'; use localFS or uri (a folder of ` +
          `${SDL_EXTENSION} files), uriFile (one file) or text (the SDL itself in path)`,
      );
  }
}

function locate(catalog: CatalogSource): Location {
  const path = catalog.path.trim();
  if (path === "") throw new CatalogError(`catalog '${catalog.name}' (${catalog.type}) has an empty path`);
  if (path.startsWith("s3://")) return { kind: "s3", url: path };
  if (path.startsWith("file://")) {
    try {
      return { kind: "file", path: fileURLToPath(path) };
    } catch (error) {
      throw new CatalogError(`catalog '${catalog.name}': ${path} is not a valid file URL`, { cause: error });
    }
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(path)?.[1];
  if (scheme !== undefined) {
    throw new CatalogError(
      `catalog '${catalog.name}': ${scheme}:// paths are not supported; use a local path, a file:// URL or an s3:// URL`,
    );
  }
  return { kind: "file", path };
}

async function readFolder(
  catalog: CatalogSource,
  location: Location,
  store: ObjectStore | undefined,
): Promise<CatalogDocument[]> {
  const files =
    location.kind === "s3"
      ? await listS3(catalog, location.url, store)
      : await listLocal(catalog, location.path);
  const documents: CatalogDocument[] = [];
  for (const file of files) documents.push(await readOne(catalog, file, store));
  return documents;
}

/** Every `.graphql` file below `root`, subfolders included, sorted by path. */
async function listLocal(catalog: CatalogSource, root: string): Promise<Location[]> {
  let entries: string[];
  try {
    entries = await readdir(root, { recursive: true });
  } catch (error) {
    throw fileError(catalog, root, error);
  }
  const paths = entries.filter((entry) => entry.endsWith(SDL_EXTENSION)).map((entry) => join(root, entry));
  if (paths.length === 0) {
    throw new CatalogError(`catalog '${catalog.name}': folder ${root} has no ${SDL_EXTENSION} files`);
  }
  return paths.sort().map((path) => ({ kind: "file", path }));
}

/** Every `.graphql` object under the URL taken as a folder (S3 keys are flat, so this includes "subfolders"). */
async function listS3(
  catalog: CatalogSource,
  url: string,
  store: ObjectStore | undefined,
): Promise<Location[]> {
  const prefix = url.endsWith("/") ? url : `${url}/`;
  let urls: string[];
  try {
    urls = await coveringStore(catalog, prefix, store).list(prefix);
  } catch (error) {
    throw s3Error(catalog, prefix, error);
  }
  const files = urls.filter((object) => object.endsWith(SDL_EXTENSION));
  if (files.length === 0) {
    throw new CatalogError(`catalog '${catalog.name}': no ${SDL_EXTENSION} files under ${prefix}`);
  }
  return files.map((object) => ({ kind: "s3", url: object }));
}

async function readOne(
  catalog: CatalogSource,
  location: Location,
  store: ObjectStore | undefined,
): Promise<CatalogDocument> {
  if (location.kind === "s3") {
    try {
      return {
        origin: location.url,
        text: await coveringStore(catalog, location.url, store).readText(location.url),
      };
    } catch (error) {
      throw s3Error(catalog, location.url, error);
    }
  }
  try {
    return { origin: location.path, text: await readFile(location.path, "utf8") };
  } catch (error) {
    throw fileError(catalog, location.path, error);
  }
}

function coveringStore(catalog: CatalogSource, url: string, store: ObjectStore | undefined): ObjectStore {
  if (store?.covers(url)) return store;
  throw new CatalogError(
    `catalog '${catalog.name}': no registered object storage covers ${url}; register one with register_object_storage`,
  );
}

function s3Error(catalog: CatalogSource, url: string, error: unknown): CatalogError {
  if (error instanceof CatalogError) return error;
  return new CatalogError(`catalog '${catalog.name}': cannot read ${url}: ${messageOf(error)}`, {
    cause: error,
  });
}

/** The file system's refusal in words that say what to fix, for the common codes. */
function fileError(catalog: CatalogSource, path: string, error: unknown): CatalogError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const prefix = `catalog '${catalog.name}' (${catalog.type})`;
  switch (code) {
    case "ENOENT":
      return new CatalogError(`${prefix}: ${path} does not exist`, { cause: error });
    case "ENOTDIR":
      return new CatalogError(`${prefix}: ${path} is not a folder; for a single file use type uriFile`, {
        cause: error,
      });
    case "EISDIR":
      return new CatalogError(`${prefix}: ${path} is a folder; for a folder use type localFS or uri`, {
        cause: error,
      });
    case "EACCES":
      return new CatalogError(`${prefix}: permission denied reading ${path}`, { cause: error });
    default:
      return new CatalogError(`${prefix}: cannot read ${path}: ${messageOf(error)}`, { cause: error });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
