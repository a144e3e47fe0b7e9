import type { CacheValue } from "./types.js";

/**
 * An L2 entry as stored: the value with what a reader on another node needs to hold it in its L1
 * (the tags, so that invalidations reach it there too) and, for Memcached, which cannot report a
 * key's remaining time nor drop keys by tag, the expiry time and the tag versions it was written at.
 */
export interface Envelope {
  value: CacheValue;
  tags: string[];
  /** Epoch milliseconds (the writer's clock); Memcached only. */
  expiresAt?: number;
  /** The versions of the entry's tags at write time, in the order of `versionKeys`; Memcached only. */
  versions?: string[];
}

/** Layout: one kind byte, the header's length (uint32 BE), the header (JSON), the value's bytes. */
const KIND_STRING = 0x01;
const KIND_BYTES = 0x02;
const PREFIX_BYTES = 5;

interface Header {
  t?: string[];
  e?: number;
  v?: string[];
}

export function encodeEnvelope(envelope: Envelope): Buffer {
  const header: Header = {};
  if (envelope.tags.length > 0) header.t = envelope.tags;
  if (envelope.expiresAt !== undefined) header.e = envelope.expiresAt;
  if (envelope.versions !== undefined) header.v = envelope.versions;
  const headerBytes = Object.keys(header).length > 0 ? Buffer.from(JSON.stringify(header)) : Buffer.alloc(0);
  const { value } = envelope;
  const prefix = Buffer.alloc(PREFIX_BYTES);
  prefix.writeUInt8(typeof value === "string" ? KIND_STRING : KIND_BYTES, 0);
  prefix.writeUInt32BE(headerBytes.byteLength, 1);
  const valueBytes = typeof value === "string" ? Buffer.from(value) : value;
  return Buffer.concat([prefix, headerBytes, valueBytes]);
}

/** The envelope in `bytes`, or undefined when they are not one (a foreign or truncated value). */
export function decodeEnvelope(bytes: Buffer): Envelope | undefined {
  if (bytes.byteLength < PREFIX_BYTES) return undefined;
  const kind = bytes.readUInt8(0);
  const headerLength = bytes.readUInt32BE(1);
  const valueStart = PREFIX_BYTES + headerLength;
  if ((kind !== KIND_STRING && kind !== KIND_BYTES) || valueStart > bytes.byteLength) return undefined;
  const header = headerLength === 0 ? {} : parseHeader(bytes.subarray(PREFIX_BYTES, valueStart));
  if (header === undefined) return undefined;
  const valueBytes = bytes.subarray(valueStart);
  const envelope: Envelope = {
    value: kind === KIND_STRING ? valueBytes.toString() : Buffer.from(valueBytes),
    tags: header.t ?? [],
  };
  if (header.e !== undefined) envelope.expiresAt = header.e;
  if (header.v !== undefined) envelope.versions = header.v;
  return envelope;
}

function parseHeader(bytes: Buffer): Header | undefined {
  try {
    const parsed: unknown = JSON.parse(bytes.toString());
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const { t, e, v } = parsed as Record<string, unknown>;
    if (t !== undefined && !isStringArray(t)) return undefined;
    if (e !== undefined && typeof e !== "number") return undefined;
    if (v !== undefined && !isStringArray(v)) return undefined;
    return { t, e, v };
  } catch {
    return undefined; // not JSON: not ours
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}
