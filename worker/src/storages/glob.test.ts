import { describe, expect, it } from "vitest";
import { compileGlob, hasGlob } from "./glob.js";

describe("hasGlob", () => {
  it.each([
    ["data/*.parquet", true],
    ["data/**", true],
    ["data/file?.csv", true],
    ["data/file.csv", false],
    ["data/[x].csv", false],
  ])("%s: %s", (key, expected) => {
    expect(hasGlob(key)).toBe(expected);
  });
});

describe("compileGlob", () => {
  it.each([
    ["data/*.parquet", "data/"],
    ["data/part-*.parquet", "data/part-"],
    ["data/**/x.csv", "data/"],
    ["*.csv", ""],
    ["data/file?.csv", "data/file"],
  ])("%s lists under %j", (pattern, prefix) => {
    expect(compileGlob(pattern).prefix).toBe(prefix);
  });

  it.each<[string, string[], string[]]>([
    [
      "data/*.parquet",
      ["data/a.parquet", "data/.parquet"],
      ["data/sub/a.parquet", "data/a.parquet.bak", "data/a_parquet"],
    ],
    ["data/**", ["data/a", "data/sub/deep/a.csv"], ["database/a", "other/data/a"]],
    ["data/**/*.parquet", ["data/a.parquet", "data/x/y/a.parquet"], ["data/a.csv", "data2/a.parquet"]],
    ["data/file?.csv", ["data/file1.csv"], ["data/file10.csv", "data/file/.csv"]],
    ["data/a+b (1).csv*", ["data/a+b (1).csv", "data/a+b (1).csv.gz"], ["data/aab (1).csv"]],
  ])("%s", (pattern, matching, other) => {
    const glob = compileGlob(pattern);
    for (const key of matching) expect(glob.matches(key), key).toBe(true);
    for (const key of other) expect(glob.matches(key), key).toBe(false);
  });
});
