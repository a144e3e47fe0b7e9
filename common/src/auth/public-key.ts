import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";

/**
 * A JWT provider's `public-key`, in every form hugr reads: a PEM block (PKIX "PUBLIC KEY" or PKCS#1
 * "RSA PUBLIC KEY"), an SSH public key (`ssh-ed25519 AAAA... comment`), or base64 of either (JSON
 * decodes hugr's []byte field from base64). Checked with node:crypto and returned as a PKIX PEM, the
 * one form the verifier then reads. Only keys JWT signatures use: RSA, EC on P-256/P-384/P-521, Ed25519.
 */
export type PublicKeyCheck = { ok: true; pem: string } | { ok: false; problem: string };

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/gu;
const SSH_KEY = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+)\s+[A-Za-z0-9+/=]+/u;
const BASE64 = /^[A-Za-z0-9+/=\s]+$/u;
const PUBLIC_LABELS: ReadonlySet<string> = new Set(["PUBLIC KEY", "RSA PUBLIC KEY"]);
const JWT_CURVES: ReadonlyMap<string, string> = new Map([
  ["prime256v1", "P-256"],
  ["secp384r1", "P-384"],
  ["secp521r1", "P-521"],
]);
const NOT_A_KEY =
  'not a PEM public key: give a "-----BEGIN PUBLIC KEY-----" block (PKIX, or PKCS#1 "RSA PUBLIC KEY"), ' +
  "base64 of one, or an SSH public key";

export function checkPublicKey(value: string): PublicKeyCheck {
  const text = value.trim();
  if (text.includes("-----BEGIN")) return fromPem(text);
  if (SSH_KEY.test(text)) return fromSsh(text);
  if (BASE64.test(text)) {
    const decoded = Buffer.from(text.replace(/\s+/gu, ""), "base64").toString("utf8").trim();
    if (decoded.includes("-----BEGIN")) return fromPem(decoded);
    if (SSH_KEY.test(decoded)) return fromSsh(decoded);
  }
  return { ok: false, problem: NOT_A_KEY };
}

function fromPem(text: string): PublicKeyCheck {
  const blocks = [...text.matchAll(PEM_BLOCK)];
  const [block] = blocks;
  if (block === undefined) return { ok: false, problem: `${NOT_A_KEY} (no complete BEGIN/END block)` };
  if (blocks.length > 1)
    return { ok: false, problem: `holds ${blocks.length} PEM blocks: give one public key` };
  const label = block[1] ?? "";
  if (label.includes("PRIVATE KEY")) {
    return { ok: false, problem: "is a private key: give its public key only (openssl pkey -pubout)" };
  }
  if (label === "CERTIFICATE") {
    return { ok: false, problem: "is a certificate: give its public key (openssl x509 -pubkey -noout)" };
  }
  if (!PUBLIC_LABELS.has(label)) return { ok: false, problem: `${NOT_A_KEY} (a "${label}" block)` };
  try {
    return usable(createPublicKey({ key: block[0], format: "pem" }));
  } catch {
    return { ok: false, problem: `not a valid PEM public key: its ${label} data does not parse` };
  }
}

/** Keeps the key types JWT signatures use, as a PKIX PEM. */
function usable(key: KeyObject): PublicKeyCheck {
  const type = key.asymmetricKeyType;
  if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? "";
    if (!JWT_CURVES.has(curve)) {
      return { ok: false, problem: `an EC key on curve ${curve}: JWT signatures use P-256, P-384 or P-521` };
    }
  } else if (type !== "rsa" && type !== "ed25519") {
    return { ok: false, problem: `a ${type ?? "unknown"} key: JWT signatures use RSA, EC or Ed25519 keys` };
  }
  return { ok: true, pem: key.export({ type: "spki", format: "pem" }).toString() };
}

// ---- SSH public keys (RFC 4253 section 6.6, RFC 5656, RFC 8709), as hugr reads them ------------------

const SSH_CURVES: ReadonlyMap<string, string> = new Map([
  ["nistp256", "P-256"],
  ["nistp384", "P-384"],
  ["nistp521", "P-521"],
]);

function fromSsh(text: string): PublicKeyCheck {
  const [type = "", data = ""] = text.split(/\s+/u);
  try {
    const fields = sshStrings(Buffer.from(data, "base64"));
    if (fields[0]?.toString("latin1") !== type) throw new Error("the key's type and its data disagree");
    return usable(createPublicKey({ key: sshJwk(type, fields.slice(1)), format: "jwk" }));
  } catch (error) {
    return {
      ok: false,
      problem: `not a usable SSH public key (${(error as Error).message}): convert it to PEM (ssh-keygen -e -m PKCS8 -f key.pub)`,
    };
  }
}

function sshJwk(type: string, [a, b]: Buffer[]): JsonWebKey {
  if (type === "ssh-rsa" && a && b)
    return { kty: "RSA", e: base64url(unsigned(a)), n: base64url(unsigned(b)) };
  if (type === "ssh-ed25519" && a) return { kty: "OKP", crv: "Ed25519", x: base64url(a) };
  const crv = SSH_CURVES.get(a?.toString("latin1") ?? "");
  if (type.startsWith("ecdsa-sha2-") && crv && b && b[0] === 4) {
    const size = (b.length - 1) / 2;
    return { kty: "EC", crv, x: base64url(b.subarray(1, 1 + size)), y: base64url(b.subarray(1 + size)) };
  }
  throw new Error(`type ${type} is not supported`);
}

/** The length-prefixed strings of an SSH key blob. */
function sshStrings(blob: Buffer): Buffer[] {
  const strings: Buffer[] = [];
  let offset = 0;
  while (offset < blob.length) {
    if (offset + 4 > blob.length) throw new Error("truncated data");
    const length = blob.readUInt32BE(offset);
    if (offset + 4 + length > blob.length) throw new Error("truncated data");
    strings.push(blob.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return strings;
}

/** An SSH mpint without its sign byte. */
function unsigned(mpint: Buffer): Buffer {
  let start = 0;
  while (start < mpint.length - 1 && mpint[start] === 0) start++;
  return mpint.subarray(start);
}

const base64url = (bytes: Buffer): string => bytes.toString("base64url");
