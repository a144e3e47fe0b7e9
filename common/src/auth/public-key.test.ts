import { describe, expect, it } from "vitest";
import { checkPublicKey } from "./public-key.js";
import {
  EC384_PEM,
  EC_PEM,
  ec256,
  ED25519_PEM,
  ed25519,
  RSA_PEM,
  RSA_PKCS1_PEM,
  RSA_PRIVATE_PEM,
  rsa,
  SECP256K1_PEM,
  sshPublicKey,
  X25519_PEM,
} from "./test-fixtures.js";

const base64 = (text: string): string => Buffer.from(text).toString("base64");

describe("checkPublicKey", () => {
  it.each([
    ["an RSA PKIX PEM", RSA_PEM, RSA_PEM],
    ["an RSA PKCS#1 PEM", RSA_PKCS1_PEM, RSA_PEM],
    ["an EC P-256 PEM", EC_PEM, EC_PEM],
    ["an EC P-384 PEM", EC384_PEM, EC384_PEM],
    ["an Ed25519 PEM", ED25519_PEM, ED25519_PEM],
    ["a PEM with surrounding blanks", `\n  ${RSA_PEM}\n\n`, RSA_PEM],
    ["base64 of a PEM", base64(RSA_PEM), RSA_PEM],
    ["base64 of a PEM, wrapped", base64(EC_PEM).replace(/(.{60})/gu, "$1\n"), EC_PEM],
    ["an ssh-ed25519 key", sshPublicKey(ed25519.publicKey), ED25519_PEM],
    ["an ssh-rsa key", sshPublicKey(rsa.publicKey), RSA_PEM],
    ["an ecdsa-sha2-nistp256 key", sshPublicKey(ec256.publicKey), EC_PEM],
    ["base64 of an SSH key", base64(sshPublicKey(ed25519.publicKey)), ED25519_PEM],
  ])("accepts %s, as a PKIX PEM", (_case, value, pem) => {
    expect(checkPublicKey(value)).toEqual({ ok: true, pem });
  });

  it.each([
    ["text", "not a key", "not a PEM public key"],
    ["a broken PEM", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "does not parse"],
    ["a PEM without its end", RSA_PEM.split("-----END")[0] ?? "", "no complete BEGIN/END block"],
    ["two PEM blocks", `${RSA_PEM}${EC_PEM}`, "holds 2 PEM blocks"],
    ["a private key", RSA_PRIVATE_PEM, "is a private key"],
    ["a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "is a certificate"],
    ["an EC key on secp256k1", SECP256K1_PEM, "P-256, P-384 or P-521"],
    ["an X25519 key", X25519_PEM, "a x25519 key"],
    ["an ssh-dss key", "ssh-dss AAAAB3NzaC1kc3MAAAA= me", "convert it to PEM"],
    ["a truncated SSH key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== me", "convert it to PEM"],
  ])("refuses %s", (_case, value, fragment) => {
    const result = checkPublicKey(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toContain(fragment);
  });

  it("never shows a private key it refuses", () => {
    const result = checkPublicKey(RSA_PRIVATE_PEM);
    const body = RSA_PRIVATE_PEM.split("\n")[1] ?? "";
    expect(JSON.stringify(result)).not.toContain(body);
  });
});
