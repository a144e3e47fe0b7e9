import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { CatalogSource } from "@hugr/coredb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObjectStore } from "../../storages/object-store.js";
import { CatalogError } from "./errors.js";
import { readCatalogDocuments } from "./read.js";

const catalog = (type: string, path: string, name = "shop"): CatalogSource => ({
  name,
  type,
  description: "",
  path,
});

/** An object store holding `objects` under the bucket it covers. */
function fakeStore(objects: Record<string, string>, covered = "s3://catalogs/"): ObjectStore {
  return {
    covers: (url) => url.startsWith(covered),
    localPath: () => Promise.reject(new Error("not used by catalogs")),
    readText: async (url) => {
      const text = objects[url];
      if (text === undefined) throw new Error(`NoSuchKey: ${url}`);
      return text;
    },
    list: async (prefix) =>
      Object.keys(objects)
        .filter((url) => url.startsWith(prefix))
        .sort(),
  };
}

describe("readCatalogDocuments", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hugr-catalogs-"));
    await mkdir(join(dir, "shop", "b", "deep"), { recursive: true });
    await mkdir(join(dir, "empty"));
    await writeFile(join(dir, "shop", "z.graphql"), "z");
    await writeFile(join(dir, "shop", "a.graphql"), "a");
    await writeFile(join(dir, "shop", "b", "deep", "c.graphql"), "c");
    await writeFile(join(dir, "shop", "README.md"), "not SDL");
    await writeFile(join(dir, "empty", "notes.txt"), "not SDL");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads a folder (localFS or uri) with its subfolders, sorted, .graphql files only", async () => {
    const expected = [
      { origin: join(dir, "shop", "a.graphql"), text: "a" },
      { origin: join(dir, "shop", "b", "deep", "c.graphql"), text: "c" },
      { origin: join(dir, "shop", "z.graphql"), text: "z" },
    ];
    expect(await readCatalogDocuments([catalog("localFS", join(dir, "shop"))])).toEqual(expected);
    expect(await readCatalogDocuments([catalog("uri", pathToFileURL(join(dir, "shop")).href)])).toEqual(
      expected,
    );
  });

  it("reads one file (uriFile) and inline text, in catalog order", async () => {
    const file = join(dir, "shop", "z.graphql");
    const documents = await readCatalogDocuments([
      catalog("uriFile", pathToFileURL(file).href),
      catalog("text", 'type t @table(name: "t") { x: Int }', "inline"),
      catalog("uriFile", file),
    ]);
    expect(documents).toEqual([
      { origin: file, text: "z" },
      { origin: "text:inline", text: 'type t @table(name: "t") { x: Int }' },
      { origin: file, text: "z" },
    ]);
  });

  it("reads s3:// folders and files through the object store", async () => {
    const store = fakeStore({
      "s3://catalogs/shop/b.graphql": "b",
      "s3://catalogs/shop/a.graphql": "a",
      "s3://catalogs/shop/sub/c.graphql": "c",
      "s3://catalogs/shop/notes.txt": "x",
      "s3://catalogs/shopping/other.graphql": "not in the folder",
    });
    expect(
      await readCatalogDocuments([catalog("uri", "s3://catalogs/shop")], { objectStore: store }),
    ).toEqual([
      { origin: "s3://catalogs/shop/a.graphql", text: "a" },
      { origin: "s3://catalogs/shop/b.graphql", text: "b" },
      { origin: "s3://catalogs/shop/sub/c.graphql", text: "c" },
    ]);
    expect(
      await readCatalogDocuments([catalog("uriFile", "s3://catalogs/shop/b.graphql")], {
        objectStore: store,
      }),
    ).toEqual([{ origin: "s3://catalogs/shop/b.graphql", text: "b" }]);
  });

  it.each([
    ["an unknown type", catalog("git", "x"), "catalog 'shop' has unknown type 'git'; use localFS or uri"],
    ["an empty path", catalog("localFS", " "), "catalog 'shop' (localFS) has an empty path"],
    [
      "an http URL",
      catalog("uri", "https://example.com/c"),
      "catalog 'shop': https:// paths are not supported",
    ],
    [
      "a missing folder",
      catalog("localFS", "/nonexistent/catalog"),
      "catalog 'shop' (localFS): /nonexistent/catalog does not exist",
    ],
    [
      "a missing file",
      catalog("uriFile", "/nonexistent/a.graphql"),
      "catalog 'shop' (uriFile): /nonexistent/a.graphql does not exist",
    ],
  ])("refuses %s", async (_, source, message) => {
    await expect(readCatalogDocuments([source])).rejects.toThrow(new CatalogError(message).message);
    await expect(readCatalogDocuments([source])).rejects.toBeInstanceOf(CatalogError);
  });

  it("refuses a folder without .graphql files, a file as a folder and a folder as a file", async () => {
    await expect(readCatalogDocuments([catalog("localFS", join(dir, "empty"))])).rejects.toThrow(
      `catalog 'shop': folder ${join(dir, "empty")} has no .graphql files`,
    );
    const file = join(dir, "shop", "a.graphql");
    await expect(readCatalogDocuments([catalog("uri", file)])).rejects.toThrow(
      `catalog 'shop' (uri): ${file} is not a folder; for a single file use type uriFile`,
    );
    await expect(readCatalogDocuments([catalog("uriFile", join(dir, "shop"))])).rejects.toThrow(
      `catalog 'shop' (uriFile): ${join(dir, "shop")} is a folder; for a folder use type localFS or uri`,
    );
  });

  it("refuses s3:// without a covering storage, empty prefixes and unreadable objects", async () => {
    const store = fakeStore({ "s3://catalogs/shop/a.graphql": "a" });
    const uncovered =
      "catalog 'shop': no registered object storage covers s3://other/shop/; register one with register_object_storage";
    await expect(
      readCatalogDocuments([catalog("uri", "s3://other/shop")], { objectStore: store }),
    ).rejects.toThrow(uncovered);
    await expect(readCatalogDocuments([catalog("uri", "s3://other/shop")])).rejects.toThrow(uncovered);
    await expect(readCatalogDocuments([catalog("uriFile", "s3://other/a.graphql")])).rejects.toThrow(
      "no registered object storage covers s3://other/a.graphql",
    );
    await expect(
      readCatalogDocuments([catalog("uri", "s3://catalogs/none/")], { objectStore: store }),
    ).rejects.toThrow("catalog 'shop': no .graphql files under s3://catalogs/none/");
    await expect(
      readCatalogDocuments([catalog("uriFile", "s3://catalogs/missing.graphql")], { objectStore: store }),
    ).rejects.toThrow(
      "catalog 'shop': cannot read s3://catalogs/missing.graphql: NoSuchKey: s3://catalogs/missing.graphql",
    );
  });
});
