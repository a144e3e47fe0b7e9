import { describe, expect, it } from "vitest";
import { rewriteObjectUrls } from "./object-urls.js";

/** Resolves s3://bucket/key to /cache/bucket/key and records every call. */
function localResolver(): { resolve: (url: string) => Promise<string>; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    resolve: async (url) => {
      calls.push(url);
      return `/cache/${url.slice("s3://".length)}`;
    },
  };
}

describe("rewriteObjectUrls", () => {
  it("replaces an s3:// literal by the quoted local path", async () => {
    const { resolve } = localResolver();
    const sql = "select * from read_parquet('s3://data/orders.parquet') as o where o.id = $1";
    expect(await rewriteObjectUrls(sql, resolve)).toBe(
      "select * from read_parquet('/cache/data/orders.parquet') as o where o.id = $1",
    );
  });

  it("returns statements without object URLs unchanged and resolves nothing", async () => {
    const { resolve, calls } = localResolver();
    const sql = "select 'http://x/y.csv', 'not s3://a' from read_csv_auto('/local/file.csv')";
    expect(await rewriteObjectUrls(sql, resolve)).toBe(sql);
    expect(calls).toEqual([]);
  });

  it("rewrites every URL of a list literal", async () => {
    const { resolve } = localResolver();
    const sql = "select * from read_parquet(['s3://b/a.parquet', 's3://b/c.parquet' ,'s3://b/d.parquet'])";
    expect(await rewriteObjectUrls(sql, resolve)).toBe(
      "select * from read_parquet(['/cache/b/a.parquet', '/cache/b/c.parquet' ,'/cache/b/d.parquet'])",
    );
  });

  it("resolves each distinct URL once, in parallel", async () => {
    const started: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const resolve = async (url: string): Promise<string> => {
      started.push(url);
      await gate;
      return "/p";
    };
    const sql =
      "select * from read_csv('s3://b/x.csv') union all select * from read_csv('s3://b/y.csv') " +
      "union all select * from read_csv('s3://b/x.csv')";
    const pending = rewriteObjectUrls(sql, resolve);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(["s3://b/x.csv", "s3://b/y.csv"]); // both started before either finished
    release();
    expect(await pending).toBe(
      "select * from read_csv('/p') union all select * from read_csv('/p') union all select * from read_csv('/p')",
    );
  });

  it("reads doubled quotes inside a literal as one quote, both in the URL and around it", async () => {
    const { resolve, calls } = localResolver();
    const sql = "select 'it''s', * from read_csv('s3://b/o''brien.csv') where name = 'a''s3://'";
    expect(await rewriteObjectUrls(sql, resolve)).toBe(
      "select 'it''s', * from read_csv('/cache/b/o''brien.csv') where name = 'a''s3://'",
    );
    expect(calls).toEqual(["s3://b/o'brien.csv"]);
  });

  it("escapes a quote in the local path", async () => {
    const sql = "select * from read_json('s3://b/k.json')";
    expect(await rewriteObjectUrls(sql, async () => "/tmp/it's/k.json")).toBe(
      "select * from read_json('/tmp/it''s/k.json')",
    );
  });

  it("leaves an s3:// literal that is only a prefix of a longer literal", async () => {
    const { resolve } = localResolver();
    // The literal is "x s3://a": it does not start with s3://.
    expect(await rewriteObjectUrls("select 'x s3://a'", resolve)).toBe("select 'x s3://a'");
  });

  it.each([
    ["a line comment", "-- don't read 's3://b/no.csv'\nselect 's3://b/yes.csv'"],
    ["a block comment", "/* it's 's3://b/no.csv' */ select 's3://b/yes.csv'"],
    ["a nested block comment", "/* a /* it's */ 's3://b/no.csv' */ select 's3://b/yes.csv'"],
    ["a quoted identifier", `select 's3://b/yes.csv' as "it's 's3://b/no.csv'"`],
    ["a dollar-quoted string", "select $$it's 's3://b/no.csv'$$, 's3://b/yes.csv'"],
    ["a tagged dollar-quoted string", "select $q$ 's3://b/no.csv' $q$, 's3://b/yes.csv'"],
    ["an E string with an escaped quote", "select E'it\\'s ''s3://b/no.csv', 's3://b/yes.csv'"],
  ])("skips %s", async (_name, sql) => {
    const { resolve, calls } = localResolver();
    const rewritten = await rewriteObjectUrls(sql, resolve);
    expect(calls).toEqual(["s3://b/yes.csv"]);
    expect(rewritten).toBe(sql.replace("'s3://b/yes.csv'", "'/cache/b/yes.csv'"));
  });

  it("tells a $1 parameter from a dollar quote", async () => {
    const { resolve } = localResolver();
    const sql = "select * from read_csv('s3://b/a.csv') where x = $1 and y = $2";
    expect(await rewriteObjectUrls(sql, resolve)).toBe(
      "select * from read_csv('/cache/b/a.csv') where x = $1 and y = $2",
    );
  });

  it("treats a literal right after an identifier ending in e as a standard literal", async () => {
    const { resolve } = localResolver();
    // `type 's3://…'`-like spellings: only a lone E or e before the quote makes an escape string.
    expect(await rewriteObjectUrls("select * from parquet_scan ('s3://b/a'), somee's3://b/c'", resolve)).toBe(
      "select * from parquet_scan ('/cache/b/a'), somee'/cache/b/c'",
    );
  });

  it("leaves an unterminated literal alone", async () => {
    const { resolve, calls } = localResolver();
    expect(await rewriteObjectUrls("select 's3://b/a.csv", resolve)).toBe("select 's3://b/a.csv");
    expect(calls).toEqual([]);
  });

  it("propagates a resolve failure", async () => {
    const failing = async (): Promise<string> => {
      throw new Error("no such object");
    };
    await expect(rewriteObjectUrls("select 's3://b/a'", failing)).rejects.toThrow("no such object");
  });
});
