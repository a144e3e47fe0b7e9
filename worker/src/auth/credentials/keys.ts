import { createPublicKey, type KeyObject } from "node:crypto";

/**
 * Every signature algorithm a token may use: asymmetric only. HMAC (HS256...) is never accepted,
 * which closes algorithm confusion (an HS256 token "signed" with the public key's bytes), and
 * `none` is not a signature at all.
 */
export const ASYMMETRIC_ALGORITHMS: readonly string[] = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];

const RSA_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
const EC_ALGORITHMS: Readonly<Record<string, string>> = {
  prime256v1: "ES256",
  secp384r1: "ES384",
  secp521r1: "ES512",
};

/** A verification key imported once, with the algorithms its type allows. */
export interface PublicKey {
  key: KeyObject;
  algorithms: readonly string[];
}

/**
 * A JWT provider's public key: the PEM the policy holds (buildAuthPolicy turns hugr's every form,
 * SSH and base64 included, into a PKIX PEM; a PKCS#1 `RSA PUBLIC KEY` block is read too). Imported
 * once as a KeyObject: jose turns it into a WebCrypto key once per algorithm and caches that, so a
 * request imports nothing. Throws on a key that is not a public key JWT signatures use.
 */
export function importPublicKey(pem: string): PublicKey {
  const key = createPublicKey({ key: pem, format: "pem" });
  if (key.type !== "public") throw new Error("not a public key");
  return { key, algorithms: algorithmsFor(key) };
}

function algorithmsFor(key: KeyObject): readonly string[] {
  switch (key.asymmetricKeyType) {
    case "rsa":
      return RSA_ALGORITHMS;
    case "rsa-pss":
      return RSA_ALGORITHMS.filter((alg) => alg.startsWith("PS"));
    case "ed25519":
      return ["EdDSA", "Ed25519"];
    case "ec": {
      const alg = EC_ALGORITHMS[key.asymmetricKeyDetails?.namedCurve ?? ""];
      if (alg) return [alg];
      throw new Error(`EC curve ${key.asymmetricKeyDetails?.namedCurve ?? "?"} is not supported for JWT`);
    }
    default:
      throw new Error(`${key.asymmetricKeyType ?? "this"} key type is not supported for JWT`);
  }
}
