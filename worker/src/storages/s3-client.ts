import { createWriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { AwsClient } from "aws4fetch";
import type { XMLParser } from "fast-xml-parser";
import type { StorageSpec } from "@hugr/protocol";
import { StorageError } from "./errors.js";
import { s3Url, type S3Location } from "./scope.js";

/** One object of a listing. */
export interface S3Object {
  key: string;
  size: number;
}

export interface S3Client {
  /** Streams the object into `file` (created or replaced). */
  download(location: S3Location, file: string): Promise<void>;
  /** Every object whose key starts with `prefix`, in the storage's order, following continuation tokens. */
  listObjects(bucket: string, prefix: string, options?: { maxKeys?: number }): Promise<S3Object[]>;
}

export interface S3ClientOptions {
  /** Default global fetch. Tests pass one that reaches hosts the machine cannot resolve (vhost style). */
  fetch?: typeof fetch;
  /** A request fails when the storage sends nothing for this long (headers or body); default 30 s. */
  idleTimeoutMs?: number;
}

const DEFAULT_REGION = "us-east-1";
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/**
 * An S3 client for one registered storage, signing with SigV4 (aws4fetch) when it has credentials
 * and sending anonymous requests (public buckets) when key and secret are both empty.
 */
export function createS3Client(spec: StorageSpec, options: S3ClientOptions = {}): S3Client {
  const fetchImpl = options.fetch ?? fetch;
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const signer =
    spec.key || spec.secret
      ? new AwsClient({
          accessKeyId: spec.key,
          secretAccessKey: spec.secret,
          service: "s3",
          region: spec.region || DEFAULT_REGION,
        })
      : undefined;

  const fail = (action: string, url: string, error: unknown): StorageError => {
    if (error instanceof StorageError) return error;
    const reason = redact(describe(error), spec);
    return new StorageError(
      `storage '${spec.name}': cannot ${action} ${url}: ${reason}`,
      { storage: spec.name, url },
      { cause: error },
    );
  };

  /** Sends a signed GET and returns the successful response; an error answer is a StorageError. */
  const get = async (target: URL, action: string, url: string, signal: AbortSignal): Promise<Response> => {
    const request = signer
      ? await signer.sign(target.href, { method: "GET" })
      : new Request(target, { method: "GET" });
    const response = await fetchImpl(request, { signal });
    if (response.ok) return response;
    const { code, message } = parseS3Error(await response.text());
    const detail = redact([code, message].filter(Boolean).join(": "), spec);
    throw new StorageError(
      `storage '${spec.name}': cannot ${action} ${url}: HTTP ${response.status}${detail ? ` ${detail}` : ""}`,
      { storage: spec.name, url, status: response.status, ...(code ? { code } : {}) },
    );
  };

  return {
    async download(location, file) {
      const url = s3Url(location);
      const timer = idleTimer(idleMs);
      try {
        const response = await get(objectUrl(spec, location), "read", url, timer.signal);
        if (!response.body) return await writeFile(file, "");
        const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
        await pipeline(body, touchEach(timer), createWriteStream(file), { signal: timer.signal });
      } catch (error) {
        throw fail("read", url, timer.signal.reason ?? error);
      } finally {
        timer.clear();
      }
    },

    async listObjects(bucket, prefix, { maxKeys } = {}) {
      const url = s3Url({ bucket, key: prefix });
      const objects: S3Object[] = [];
      let token: string | undefined;
      do {
        const target = listUrl(spec, bucket, { prefix, token, maxKeys });
        const timer = idleTimer(idleMs);
        try {
          const page = parseListObjects(await (await get(target, "list", url, timer.signal)).text());
          objects.push(...page.objects);
          token = page.nextToken;
        } catch (error) {
          throw fail("list", url, timer.signal.reason ?? error);
        } finally {
          timer.clear();
        }
      } while (token);
      return objects;
    },
  };
}

// --- URLs ----------------------------------------------------------------------------------------

/**
 * Where the storage's S3 API lives. `endpoint` may carry a scheme (`http://minio:9000`, kept) or not
 * (`minio:9000`: `use_ssl` picks https or http); empty means AWS in the storage's region.
 */
export function endpointUrl(spec: StorageSpec): URL {
  const region = spec.region || DEFAULT_REGION;
  const endpoint = spec.endpoint.trim() || `s3.${region}.amazonaws.com`;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//iu.test(endpoint)
    ? endpoint
    : `${spec.useSsl ? "https" : "http"}://${endpoint}`;
  return new URL(withScheme);
}

/** `url_style` "vhost": `<scheme>://<bucket>.<host>/<key>`; anything else: `<endpoint>/<bucket>/<key>`. */
export function objectUrl(spec: StorageSpec, location: S3Location): URL {
  const base = endpointUrl(spec);
  const basePath = base.pathname.replace(/\/+$/u, "");
  const key = location.key.split("/").map(encodeRfc3986).join("/");
  if (spec.urlStyle === "vhost")
    return new URL(`${base.protocol}//${location.bucket}.${base.host}${basePath}/${key}`);
  return new URL(`${base.origin}${basePath}/${encodeRfc3986(location.bucket)}/${key}`);
}

/** A ListObjectsV2 request; the query is encoded as SigV4 canonicalises it, so what is sent is what is signed. */
export function listUrl(
  spec: StorageSpec,
  bucket: string,
  page: { prefix: string; token?: string | undefined; maxKeys?: number | undefined },
): URL {
  const params: [string, string][] = [["list-type", "2"]];
  if (page.token) params.push(["continuation-token", page.token]);
  if (page.maxKeys) params.push(["max-keys", String(page.maxKeys)]);
  params.push(["prefix", page.prefix]);
  const url = objectUrl(spec, { bucket, key: "" });
  // Path style lists at `/<bucket>`, not `/<bucket>/` (an empty key), as the SDKs do.
  if (spec.urlStyle !== "vhost") url.pathname = url.pathname.replace(/\/$/u, "");
  url.search = params.map(([name, value]) => `${name}=${encodeRfc3986(value)}`).join("&");
  return url;
}

function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/gu,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

// --- XML answers ---------------------------------------------------------------------------------

/**
 * Keys and tokens are kept as sent: not trimmed, not turned into numbers ("007.csv" stays a string).
 * htmlEntities is what turns on numeric character references, with which S3 writes characters XML
 * cannot hold (`&#x0D;`); the HTML entity names it also accepts never occur in S3's XML.
 */
let xml: XMLParser | undefined;
/** The parser, made on the first answer: a node without object storage need not carry it. */
function xmlParser(): XMLParser {
  if (xml) return xml;
  const { XMLParser } = createRequire(import.meta.url)("fast-xml-parser") as typeof import("fast-xml-parser");
  xml = new XMLParser({
    parseTagValue: false,
    trimValues: false,
    htmlEntities: true,
    isArray: (tag) => tag === "Contents",
  });
  return xml;
}

/** The document's root element, by name, or undefined when the body is not that (a proxy's HTML page). */
function rootOf(body: string, name: string): Record<string, unknown> | undefined {
  let document: unknown;
  try {
    document = xmlParser().parse(body);
  } catch {
    return undefined;
  }
  const root = isRecord(document) ? document[name] : undefined;
  return isRecord(root) ? root : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An element's text: "" for an empty or absent one. */
function textOf(element: Record<string, unknown> | undefined, name: string): string {
  const value = element?.[name];
  return typeof value === "string" ? value : "";
}

/** A ListObjectsV2 page: the keys and sizes of its objects, and the token for the next page. */
export function parseListObjects(body: string): { objects: S3Object[]; nextToken: string | undefined } {
  const page = rootOf(body, "ListBucketResult");
  if (!page) throw new Error("the listing is not a ListBucketResult document");
  const contents = Array.isArray(page["Contents"]) ? (page["Contents"] as unknown[]) : [];
  const objects = contents.filter(isRecord).map((object) => ({
    key: textOf(object, "Key"),
    size: Number(textOf(object, "Size") || 0),
  }));
  const truncated = textOf(page, "IsTruncated") === "true";
  return { objects, nextToken: truncated ? textOf(page, "NextContinuationToken") || undefined : undefined };
}

/** S3's `<Error><Code>…</Code><Message>…</Message></Error>`; both empty for another body. */
export function parseS3Error(body: string): { code: string; message: string } {
  const error = rootOf(body, "Error");
  return { code: textOf(error, "Code"), message: textOf(error, "Message") };
}

// --- failures ------------------------------------------------------------------------------------

interface IdleTimer {
  signal: AbortSignal;
  /** Restarts the countdown: data arrived. */
  touch(): void;
  clear(): void;
}

/** Aborts when nothing arrives for `ms`: a whole-request timeout would cut off large downloads. */
function idleTimer(ms: number): IdleTimer {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer for ${ms / 1000} s`)), ms);
  return { signal: controller.signal, touch: () => void timer.refresh(), clear: () => clearTimeout(timer) };
}

function touchEach(timer: IdleTimer): (chunks: AsyncIterable<Uint8Array>) => AsyncGenerator<Uint8Array> {
  return async function* (chunks) {
    for await (const chunk of chunks) {
      timer.touch();
      yield chunk;
    }
  };
}

/** fetch's "fetch failed" hides the reason (ECONNREFUSED, ENOTFOUND) in its cause. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}

/** Credentials never reach a message, even if a storage echoes them back. */
function redact(text: string, spec: StorageSpec): string {
  let result = text;
  for (const credential of [spec.secret, spec.key])
    if (credential) result = result.split(credential).join("***");
  return result;
}
