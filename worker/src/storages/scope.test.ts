import { describe, expect, it } from "vitest";
import { parseS3Url, parseScope, pickStorage, scopeCovers } from "./scope.js";

describe("parseS3Url", () => {
  it.each([
    ["s3://b/data/x.parquet", { bucket: "b", key: "data/x.parquet" }],
    ["s3://b/", { bucket: "b", key: "" }],
    ["s3://b", { bucket: "b", key: "" }],
    ["s3://b/data/*.parquet", { bucket: "b", key: "data/*.parquet" }],
  ])("%s", (url, location) => {
    expect(parseS3Url(url)).toEqual(location);
  });

  it.each(["s3://", "s3:///key", "https://b/key", "/local/file.parquet", "gs://b/key"])(
    "%s is not an S3 object URL",
    (url) => {
      expect(parseS3Url(url)).toBeUndefined();
    },
  );
});

describe("parseScope", () => {
  it.each([
    ["my-bucket", { bucket: "my-bucket", key: "" }],
    ["my-bucket/", { bucket: "my-bucket", key: "" }],
    ["my-bucket/data", { bucket: "my-bucket", key: "data" }],
    ["s3://my-bucket/data/", { bucket: "my-bucket", key: "data" }],
    ["my-bucket/data/2024", { bucket: "my-bucket", key: "data/2024" }],
    ["", { bucket: "", key: "" }],
    ["s3://", { bucket: "", key: "" }],
  ])("%j", (scope, parsed) => {
    expect(parseScope(scope)).toEqual(parsed);
  });
});

describe("scopeCovers", () => {
  const covers = (scope: string, bucket: string, key: string): boolean =>
    scopeCovers(parseScope(scope), { bucket, key });

  it("respects path boundaries", () => {
    expect(covers("my-bucket/data", "my-bucket", "data/x.parquet")).toBe(true);
    expect(covers("my-bucket/data", "my-bucket", "data")).toBe(true);
    expect(covers("my-bucket/data", "my-bucket", "database/x.parquet")).toBe(false);
    expect(covers("my-bucket/data", "my-bucket", "dat")).toBe(false);
    expect(covers("my-bucket/data", "my-bucket", "")).toBe(false);
  });

  it("matches whole bucket names", () => {
    expect(covers("my-bucket", "my-bucket", "any/key")).toBe(true);
    expect(covers("my-bucket", "my-bucket-2", "any/key")).toBe(false);
    expect(covers("my", "my-bucket", "any/key")).toBe(false);
  });

  it("covers every bucket with an empty scope", () => {
    expect(covers("", "any-bucket", "k")).toBe(true);
  });
});

describe("pickStorage", () => {
  const storages = [
    { name: "everything", scope: "" },
    { name: "bucket", scope: "b" },
    { name: "data", scope: "b/data" },
    { name: "deep", scope: "s3://b/data/2024/" },
  ];
  const pick = (bucket: string, key: string): string | undefined =>
    pickStorage(storages, { bucket, key })?.name;

  it("takes the longest covering scope", () => {
    expect(pick("b", "data/2024/x.parquet")).toBe("deep");
    expect(pick("b", "data/2023/x.parquet")).toBe("data");
    expect(pick("b", "database/x.parquet")).toBe("bucket");
    expect(pick("other", "x")).toBe("everything");
  });

  it("is undefined when nothing covers the location", () => {
    expect(pickStorage([{ name: "a", scope: "b/data" }], { bucket: "b", key: "logs/x" })).toBeUndefined();
  });

  it("breaks ties by name, whatever the registration order", () => {
    const tied = [
      { name: "zeta", scope: "b" },
      { name: "alpha", scope: "s3://b/" },
    ];
    expect(pickStorage(tied, { bucket: "b", key: "x" })?.name).toBe("alpha");
    expect(pickStorage([...tied].reverse(), { bucket: "b", key: "x" })?.name).toBe("alpha");
  });
});
