/**
 * The emulator's TLS certificate. The Azure SDKs refuse bearer tokens over plain HTTP and the Graph
 * client only attaches its token to https URLs, so the emulator must speak HTTPS; a certificate made
 * fresh for each start keeps no key material on disk and is trusted only by clients given `caPem`.
 */
import { generate } from "selfsigned";

export interface TlsMaterial {
  /** PEM private key of the server certificate. */
  key: string;
  /** PEM certificate; self-signed, so it is also what clients must trust. */
  cert: string;
}

export async function generateCertificate(): Promise<TlsMaterial> {
  const notBeforeDate = new Date(Date.now() - 60_000); // tolerate small clock skew
  const notAfterDate = new Date(notBeforeDate.getTime() + 7 * 24 * 3600_000);
  const pems = await generate([{ name: "commonName", value: "trustscope-emulator" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
    extensions: [
      // A self-signed certificate used as its own trust anchor: marking it a CA keeps OpenSSL
      // (Node's NODE_EXTRA_CA_CERTS and `ca` options) content when it sits in the trust store.
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
