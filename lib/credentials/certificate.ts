/**
 * The public facts of an X.509 certificate (the `tls.crt` of a `kubernetes.io/tls` Secret). Only the public
 * certificate is ever parsed; `tls.key` and every other value of the Secret are never read or kept.
 */
export interface CertificateFacts {
  /** Subject distinguished name, e.g. `CN=checkout.shop.svc`. */
  subject: string;
  issuer: string;
  /** Subject alternative names as `DNS:…`, `IP Address:…`, `URI:…` entries. */
  sans: string[];
  /** ISO 8601 UTC. */
  notBefore: string;
  notAfter: string;
  /** SHA-256 of the DER encoding, upper-case hex pairs joined by ':' (as openssl prints it). */
  fingerprintSha256: string;
  serialNumber: string;
  selfSigned: boolean;
  isCA: boolean;
  /** Certificates in the PEM bundle (leaf first); the facts are the leaf's. */
  chainLength: number;
}
