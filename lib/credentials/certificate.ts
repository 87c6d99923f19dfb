import { X509Certificate } from 'node:crypto';
import { invalidInput } from '@/lib/errors';

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

/** Largest `tls.crt` read (a chain of a few certificates is a few KB; anything far larger is not a certificate). */
const MAX_PEM_CHARS = 1024 * 1024;

/** PEM blocks: label, base64 body (RFC 7468). Blocks of any other label (keys above all) are never decoded. */
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * OpenSSL's time text as Node's X509Certificate gives it (`Mar  1 12:00:00 2025 GMT`) → ISO 8601 UTC.
 * (`validFromDate`/`validToDate` exist only from Node 22.10; Node 20.19 is supported.)
 */
function isoFromOpenSslTime(text: string, date: Date | undefined): string {
  if (date instanceof Date && !Number.isNaN(date.getTime())) return date.toISOString();
  const m = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)? (\d{4,}) GMT$/.exec(text.trim());
  const month = m ? MONTHS.indexOf(m[1]!) : -1;
  if (!m || month < 0) throw invalidInput('the certificate has a validity time that cannot be read');
  const d = new Date(Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])));
  return d.toISOString();
}

/** `DNS:a, DNS:b, IP Address:10.0.0.1` → entries; Node quotes an entry that itself holds `, ` (`DNS:"a, b"`). */
function splitSubjectAltName(text: string | undefined): string[] {
  if (!text) return [];
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' && text[i - 1] !== '\\') quoted = !quoted;
    if (!quoted && c === ',' && text[i + 1] === ' ') {
      out.push(current);
      current = '';
      i++;
      continue;
    }
    current += c;
  }
  if (current) out.push(current);
  return out;
}

/** Node prints a distinguished name one attribute per line, most significant first: `O=Shop\nCN=x` → `O=Shop, CN=x`. */
const distinguishedName = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(', ');

/**
 * The public facts of a PEM certificate (or bundle: the leaf first, as `tls.crt` holds it). Only
 * `CERTIFICATE` blocks are decoded; any other block (a private key pasted into the same file) is skipped
 * without being decoded. Throws an `invalid_input` AppError when there is no certificate or it cannot be
 * parsed; the message never quotes the input.
 */
export function parseCertificate(pem: string): CertificateFacts {
  if (typeof pem !== 'string') throw invalidInput('the certificate is not text');
  if (pem.length > MAX_PEM_CHARS) throw invalidInput(`the certificate is larger than ${MAX_PEM_CHARS / 1024} KB`);
  const bodies: string[] = [];
  for (const match of pem.matchAll(PEM_BLOCK)) if (match[1] === 'CERTIFICATE') bodies.push(match[2]!);
  if (bodies.length === 0) throw invalidInput('no PEM CERTIFICATE block was found');
  const body = bodies[0]!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw invalidInput('the first PEM CERTIFICATE block is not base64');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(body, 'base64'));
  } catch {
    // No cause kept: the parser's error is about the input, and the input is not ours to repeat.
    throw invalidInput('the first PEM CERTIFICATE block is not a valid X.509 certificate');
  }
  const dates = cert as X509Certificate & { validFromDate?: Date; validToDate?: Date };
  const subject = distinguishedName(cert.subject);
  const issuer = distinguishedName(cert.issuer);
  let selfSigned = false;
  if (cert.subject === cert.issuer) {
    try {
      selfSigned = cert.verify(cert.publicKey);
    } catch {
      selfSigned = false; // a key type this OpenSSL cannot verify with
    }
  }
  return {
    subject,
    issuer,
    sans: splitSubjectAltName(cert.subjectAltName),
    notBefore: isoFromOpenSslTime(cert.validFrom, dates.validFromDate),
    notAfter: isoFromOpenSslTime(cert.validTo, dates.validToDate),
    fingerprintSha256: cert.fingerprint256,
    serialNumber: cert.serialNumber,
    selfSigned,
    isCA: cert.ca,
    chainLength: bodies.length,
  };
}
