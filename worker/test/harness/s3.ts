/**
 * Test harness: an in-process S3 server (s3rver) on a free loopback port with its files in a temp
 * directory, for the object storage tests.
 *
 * s3rver checks that the access key exists (InvalidAccessKeyId) but not SigV4 signatures, so the
 * harness checks them in front of it: it signs the request again with the server's secret
 * (aws4fetch's signer) and answers 403 SignatureDoesNotMatch as S3 does when the signatures differ.
 *
 * Virtual-host requests go to `<bucket>.s3.localhost:<port>`, names this machine does not resolve:
 * `vhostFetch` sends them to 127.0.0.1 with the original host in X-Forwarded-Host, which the server
 * trusts (for routing and for the signature check).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AwsClient, AwsV4Signer } from "aws4fetch";
import S3rver from "s3rver";
import type { StorageSpec } from "@hugr/protocol";
import { s3Spec } from "./s3-spec.js";

export interface S3Server {
  /** Path-style endpoint, `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** Endpoint for url_style "vhost", `s3.localhost:<port>` (no scheme); reach it with `vhostFetch`. */
  vhostEndpoint: string;
  port: number;
  accessKey: string;
  secretKey: string;
  /** A fetch that reaches `*.localhost` hosts on 127.0.0.1. */
  vhostFetch: typeof fetch;
  putObject(bucket: string, key: string, body: Buffer | string): Promise<void>;
  deleteObject(bucket: string, key: string): Promise<void>;
  createBucket(name: string): Promise<void>;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

/** s3rver's built-in account. */
const ACCESS_KEY = "S3RVER";
const SECRET_KEY = "S3RVER";
const HOST = "127.0.0.1";

export async function startS3Server(): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), "hugr-s3-"));
  const server = new S3rver({
    address: HOST,
    port: 0,
    directory,
    silent: true,
    serviceEndpoint: "localhost",
  });
  server.proxy = true;
  server.middleware.unshift(verifySignature);
  const { port } = await server.run();
  const endpoint = `http://${HOST}:${port}`;
  const admin = new AwsClient({
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
    service: "s3",
    retries: 0,
  });
  const send = async (method: string, path: string, body?: Buffer | string): Promise<void> => {
    const content = typeof body === "string" ? body : body && new Uint8Array(body);
    const response = await admin.fetch(`${endpoint}/${path}`, {
      method,
      ...(content ? { body: content } : {}),
    });
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  };
  const objectPath = (bucket: string, key: string): string =>
    `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
  return {
    endpoint,
    vhostEndpoint: `s3.localhost:${port}`,
    port,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    vhostFetch: localhostFetch,
    putObject: (bucket, key, body) => send("PUT", objectPath(bucket, key), body),
    deleteObject: (bucket, key) => send("DELETE", objectPath(bucket, key)),
    createBucket: (name) => send("PUT", name),
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** A storage spec reaching `s3` with its account, path-style; `fields` name and scope it. */
export function s3ServerSpec(
  s3: Pick<S3Server, "endpoint" | "accessKey" | "secretKey">,
  fields: Pick<StorageSpec, "name" | "scope"> & Partial<StorageSpec>,
): StorageSpec {
  return s3Spec({ key: s3.accessKey, secret: s3.secretKey, endpoint: s3.endpoint, ...fields });
}

const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/u;

/** Recomputes a SigV4 signature by the server's own account; other requests are left to s3rver. */
const verifySignature: S3rver.Middleware = async (ctx, next) => {
  const match = SIGV4.exec(ctx.get("authorization"));
  if (!match || match[1] !== ACCESS_KEY) return next();
  const [, accessKeyId, region, service, signedHeaders = "", signature] = match;
  const headers = new Headers();
  for (const name of signedHeaders.split(";")) if (name !== "host") headers.set(name, ctx.get(name));
  const expected = await new AwsV4Signer({
    method: ctx.method,
    url: `http://${ctx.host}${ctx.url}`,
    headers,
    accessKeyId,
    secretAccessKey: SECRET_KEY,
    service,
    region,
    datetime: ctx.get("x-amz-date"),
    allHeaders: true,
  }).signature();
  if (expected === signature) return next();
  ctx.status = 403;
  ctx.type = "application/xml";
  ctx.body =
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request ' +
    "signature we calculated does not match the signature you provided. Check your key and signing " +
    "method.</Message></Error>";
};

const localhostFetch: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  const url = new URL(request.url);
  if (!url.hostname.endsWith(".localhost")) return fetch(request);
  const headers = new Headers(request.headers);
  headers.set("x-forwarded-host", url.host);
  url.hostname = HOST;
  return fetch(new Request(url, { method: request.method, headers, signal: request.signal }));
};
