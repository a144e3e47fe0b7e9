import { generateKeyPairSync, type KeyObject } from "node:crypto";

/** Public keys for the auth tests, generated once per run, in every form an auth file may hold them. */

function spki(key: KeyObject): string {
  return key.export({ type: "spki", format: "pem" }).toString();
}

export const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
export const ec256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
export const ec384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
export const ed25519 = generateKeyPairSync("ed25519");

export const RSA_PEM = spki(rsa.publicKey);
export const RSA_PKCS1_PEM = rsa.publicKey.export({ type: "pkcs1", format: "pem" }).toString();
export const EC_PEM = spki(ec256.publicKey);
export const EC384_PEM = spki(ec384.publicKey);
export const ED25519_PEM = spki(ed25519.publicKey);
/** Keys JWT signatures do not use. */
export const SECP256K1_PEM = spki(generateKeyPairSync("ec", { namedCurve: "secp256k1" }).publicKey);
export const X25519_PEM = spki(generateKeyPairSync("x25519").publicKey);
export const RSA_PRIVATE_PEM = rsa.privateKey.export({ type: "pkcs8", format: "pem" }).toString();

const sshString = (bytes: Buffer): Buffer => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};
const fromJwk = (value: string | undefined): Buffer => Buffer.from(value ?? "", "base64url");
/** An SSH mpint: a leading zero byte when the high bit is set. */
const mpint = (bytes: Buffer): Buffer =>
  (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;

/** `key` as an OpenSSH authorized_keys line, built from its JWK. */
export function sshPublicKey(key: KeyObject): string {
  const jwk = key.export({ format: "jwk" });
  let type: string;
  let parts: Buffer[];
  if (jwk.kty === "RSA") {
    type = "ssh-rsa";
    parts = [mpint(fromJwk(jwk.e)), mpint(fromJwk(jwk.n))];
  } else if (jwk.kty === "OKP") {
    type = "ssh-ed25519";
    parts = [fromJwk(jwk.x)];
  } else {
    const curve = `nistp${jwk.crv?.slice(2) ?? ""}`;
    type = `ecdsa-sha2-${curve}`;
    parts = [Buffer.from(curve), Buffer.concat([Buffer.from([4]), fromJwk(jwk.x), fromJwk(jwk.y)])];
  }
  const blob = Buffer.concat([Buffer.from(type), ...parts].map(sshString));
  return `${type} ${blob.toString("base64")} me@example`;
}

/** The same key as a PKIX PEM, for comparing what the policy keeps. */
export const pemOf = spki;
