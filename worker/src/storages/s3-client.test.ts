import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StorageSpec } from "@hugr/protocol";
import { s3Spec } from "../../test/harness/s3-spec.js";
import { StorageError } from "./errors.js";
import {
  createS3Client,
  endpointUrl,
  listUrl,
  objectUrl,
  parseListObjects,
  parseS3Error,
} from "./s3-client.js";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const KEY = "AKIAIOSFODNN7EXAMPLE";

function spec(overrides: Partial<StorageSpec> = {}): StorageSpec {
  return s3Spec({
    name: "minio",
    scope: "b",
    key: KEY,
    secret: SECRET,
    endpoint: "minio:9000",
    ...overrides,
  });
}

describe("endpointUrl", () => {
  it.each<[Partial<StorageSpec>, string]>([
    [{ endpoint: "minio:9000", useSsl: false }, "http://minio:9000/"],
    [{ endpoint: "minio:9000", useSsl: true }, "https://minio:9000/"],
    [{ endpoint: "http://minio:9000", useSsl: true }, "http://minio:9000/"],
    [{ endpoint: "https://s3.amazonaws.com", useSsl: false }, "https://s3.amazonaws.com/"],
    [{ endpoint: "", region: "eu-west-1", useSsl: true }, "https://s3.eu-west-1.amazonaws.com/"],
    [{ endpoint: "", region: "", useSsl: true }, "https://s3.us-east-1.amazonaws.com/"],
  ])("%j", (overrides, url) => {
    expect(endpointUrl(spec(overrides)).href).toBe(url);
  });
});

describe("objectUrl", () => {
  const location = { bucket: "my-bucket", key: "data/x.parquet" };

  it("puts the bucket in the path for url_style path", () => {
    expect(objectUrl(spec(), location).href).toBe("http://minio:9000/my-bucket/data/x.parquet");
    expect(objectUrl(spec({ urlStyle: "" }), location).href).toBe(
      "http://minio:9000/my-bucket/data/x.parquet",
    );
  });

  it("puts the bucket in the host name for url_style vhost", () => {
    expect(objectUrl(spec({ urlStyle: "vhost", endpoint: "https://s3.amazonaws.com" }), location).href).toBe(
      "https://my-bucket.s3.amazonaws.com/data/x.parquet",
    );
    expect(objectUrl(spec({ urlStyle: "vhost", endpoint: "minio:9000", useSsl: true }), location).href).toBe(
      "https://my-bucket.minio:9000/data/x.parquet",
    );
  });

  it("encodes each key segment as SigV4 does", () => {
    const url = objectUrl(spec(), { bucket: "b", key: "dir with space/a+b(1)*'!.csv" });
    expect(url.pathname).toBe("/b/dir%20with%20space/a%2Bb%281%29%2A%27%21.csv");
  });
});

describe("listUrl", () => {
  it("lists at the bucket with an RFC 3986 encoded query", () => {
    const url = listUrl(spec(), "b", { prefix: "data dir/", token: "a+b/c=", maxKeys: 2 });
    expect(url.href).toBe(
      "http://minio:9000/b?list-type=2&continuation-token=a%2Bb%2Fc%3D&max-keys=2&prefix=data%20dir%2F",
    );
  });

  it("lists at the root of the bucket's host for url_style vhost", () => {
    expect(listUrl(spec({ urlStyle: "vhost" }), "b", { prefix: "" }).href).toBe(
      "http://b.minio:9000/?list-type=2&prefix=",
    );
  });
});

describe("S3 XML answers", () => {
  it("reads a ListObjectsV2 page with escaped keys", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult><Name>b</Name><IsTruncated>true</IsTruncated><NextContinuationToken>tok&amp;en</NextContinuationToken>
<Contents><Key>a&amp;b &lt;1&gt;.csv</Key><ETag>&quot;e1&quot;</ETag><Size>12</Size></Contents>
<Contents><Key>it&#x27;s &#233;t&#xE9;.csv</Key><Size>0</Size></Contents></ListBucketResult>`;
    expect(parseListObjects(xml)).toEqual({
      objects: [
        { key: "a&b <1>.csv", size: 12 },
        { key: "it's été.csv", size: 0 },
      ],
      nextToken: "tok&en",
    });
  });

  it("keeps keys as sent: spaces, leading zeros, characters XML writes as references", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name>
  <IsTruncated>false</IsTruncated>
  <Contents>
    <Key> 007 </Key>
    <Size>5</Size>
  </Contents>
  <Contents><Key>line&#x0D;break.csv</Key><Size>1</Size></Contents>
  <Contents><Key>&lt;![CDATA[x]]&gt;</Key><Size>2</Size></Contents>
</ListBucketResult>`;
    expect(parseListObjects(xml)).toEqual({
      objects: [
        { key: " 007 ", size: 5 },
        { key: "line\rbreak.csv", size: 1 },
        { key: "<![CDATA[x]]>", size: 2 },
      ],
      nextToken: undefined,
    });
  });

  it("refuses an answer that is not a listing (a proxy's page)", () => {
    expect(() => parseListObjects("<html><body>Bad gateway</body></html>")).toThrow(
      "the listing is not a ListBucketResult document",
    );
    expect(() => parseListObjects("")).toThrow(/not a ListBucketResult/);
  });

  it("has no next token on the last page", () => {
    expect(parseListObjects("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>")).toEqual(
      {
        objects: [],
        nextToken: undefined,
      },
    );
  });

  it("reads an error's code and message", () => {
    const xml = "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>";
    expect(parseS3Error(xml)).toEqual({ code: "NoSuchKey", message: "The specified key does not exist." });
    expect(parseS3Error("<html>bad gateway</html>")).toEqual({ code: "", message: "" });
    expect(parseS3Error("not xml <<<")).toEqual({ code: "", message: "" });
    expect(parseS3Error("")).toEqual({ code: "", message: "" });
  });
});

/** A loopback port nothing listens on (bound, read, closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A fetch double serving fixed answers, recording the requests. */
function fakeFetch(answer: (request: Request) => Response | Promise<Response>): {
  fetch: typeof fetch;
  requests: Request[];
} {
  const requests: Request[] = [];
  const fetchDouble = (async (input: Request, init?: RequestInit) => {
    const request = new Request(input, init);
    requests.push(request);
    return answer(request);
  }) as typeof fetch;
  return { fetch: fetchDouble, requests };
}

describe("createS3Client", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hugr-s3-client-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("follows continuation tokens until the last page", async () => {
    const keys = ["data/1", "data/2", "data/3", "data/4", "data/5"];
    const double = fakeFetch((request) => {
      const url = new URL(request.url);
      const start = Number(url.searchParams.get("continuation-token") ?? 0);
      const size = Number(url.searchParams.get("max-keys"));
      const page = keys.slice(start, start + size);
      const more = start + size < keys.length;
      const contents = page.map((key) => `<Contents><Key>${key}</Key><Size>1</Size></Contents>`).join("");
      const next = more ? `<NextContinuationToken>${start + size}</NextContinuationToken>` : "";
      return new Response(
        `<ListBucketResult><IsTruncated>${more}</IsTruncated>${next}${contents}</ListBucketResult>`,
      );
    });
    const client = createS3Client(spec(), { fetch: double.fetch });
    const objects = await client.listObjects("b", "data/", { maxKeys: 2 });
    expect(objects.map((object) => object.key)).toEqual(keys);
    expect(double.requests).toHaveLength(3);
    expect(
      double.requests.map((request) => new URL(request.url).searchParams.get("continuation-token")),
    ).toEqual([null, "2", "4"]);
  });

  it("signs with SigV4 for service s3 in the storage's region (us-east-1 when empty)", async () => {
    const double = fakeFetch(() => new Response("x"));
    await createS3Client(spec(), { fetch: double.fetch }).download(
      { bucket: "b", key: "k" },
      join(dir, "signed"),
    );
    await createS3Client(spec({ region: "eu-central-1" }), { fetch: double.fetch }).download(
      { bucket: "b", key: "k" },
      join(dir, "signed"),
    );
    const [first, second] = double.requests.map((request) => request.headers.get("authorization") ?? "");
    expect(first).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=${KEY}/\\d{8}/us-east-1/s3/aws4_request`, "u"),
    );
    expect(second).toContain("/eu-central-1/s3/aws4_request");
    expect(await readFile(join(dir, "signed"), "utf8")).toBe("x");
  });

  it("sends anonymous requests when the storage has no credentials", async () => {
    const double = fakeFetch(() => new Response("public"));
    const client = createS3Client(spec({ key: "", secret: "" }), { fetch: double.fetch });
    await client.download({ bucket: "b", key: "k" }, join(dir, "public"));
    expect(double.requests[0]?.headers.has("authorization")).toBe(false);
  });

  it("names storage, URL, status and S3 code in errors, never the credentials", async () => {
    // A storage that echoes the credentials back must not get them into the message.
    const body = `<Error><Code>AccessDenied</Code><Message>key ${KEY} with ${SECRET} denied</Message></Error>`;
    const double = fakeFetch(() => new Response(body, { status: 403 }));
    const client = createS3Client(spec(), { fetch: double.fetch });
    const error = await client
      .download({ bucket: "b", key: "data/x.csv" }, join(dir, "denied"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({
      storage: "minio",
      url: "s3://b/data/x.csv",
      status: 403,
      code: "AccessDenied",
    });
    const { message } = error as StorageError;
    expect(message).toBe(
      "storage 'minio': cannot read s3://b/data/x.csv: HTTP 403 AccessDenied: key *** with *** denied",
    );
  });

  it("gives up when the storage sends nothing for the idle timeout", async () => {
    const hang = ((_input: Request, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason as Error));
      })) as typeof fetch;
    const client = createS3Client(spec(), { fetch: hang, idleTimeoutMs: 50 });
    await expect(client.listObjects("b", "data/")).rejects.toThrow(
      "storage 'minio': cannot list s3://b/data/: no answer for 0.05 s",
    );
  });

  it("says why a connection failed", async () => {
    const client = createS3Client(spec({ endpoint: `127.0.0.1:${await closedPort()}` }));
    await expect(client.download({ bucket: "b", key: "k" }, join(dir, "refused"))).rejects.toThrow(
      /^storage 'minio': cannot read s3:\/\/b\/k: fetch failed \(.*ECONNREFUSED.*\)$/u,
    );
  });
});
