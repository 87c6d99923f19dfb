/**
 * Test helpers (not a test file): real certificates made with the `openssl` command in a temporary
 * folder, and what `openssl x509` itself says about them, so the parser is checked against OpenSSL.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCertificate {
  certPem: string;
  keyPem: string;
  /** As `openssl x509 -noout -fingerprint -sha256` prints it (upper-case hex pairs joined by ':'). */
  fingerprintSha256: string;
  /** `-enddate` / `-startdate` as ISO 8601 UTC. */
  notAfter: string;
  notBefore: string;
  /** `-serial` (upper-case hex). */
  serialNumber: string;
  /** `-subject` / `-issuer` with OpenSSL's `O = x, CN = y` spacing folded to `O=x, CN=y`. */
  subject: string;
  issuer: string;
}

function openssl(args: string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** What openssl says about the certificate in `file`. */
export function opensslFacts(file: string, cwd: string): Omit<TestCertificate, 'certPem' | 'keyPem'> {
  const out = openssl(
    ['x509', '-in', file, '-noout', '-fingerprint', '-sha256', '-startdate', '-enddate', '-serial', '-subject', '-issuer'],
    cwd,
  );
  const field = (name: string) => {
    const line = out.split('\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}=`));
    if (!line) throw new Error(`openssl printed no ${name}`);
    return line.slice(line.indexOf('=') + 1).trim();
  };
  const iso = (text: string) => new Date(text.replace(/ +/g, ' ')).toISOString();
  const dn = (text: string) => text.replace(/ = /g, '=');
  return {
    fingerprintSha256: field('sha256 Fingerprint'),
    notBefore: iso(field('notBefore')),
    notAfter: iso(field('notAfter')),
    serialNumber: field('serial'),
    subject: dn(field('subject')),
    issuer: dn(field('issuer')),
  };
}

/**
 * A self-signed certificate (P-256 key) for `subject` (openssl `-subj` form) with the given SANs, valid
 * for `days`. With `issuer`, the certificate is signed by that CA instead (a leaf, not self-signed).
 */
export function makeCertificate(opts: {
  subject: string;
  sans?: string[];
  days?: number;
  ca?: boolean;
  issuer?: TestCertificate;
}): TestCertificate {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-test-cert-'));
  try {
    const ext = [
      ...(opts.sans?.length ? ['-addext', `subjectAltName=${opts.sans.join(',')}`] : []),
      '-addext',
      opts.ca ? 'basicConstraints=critical,CA:TRUE' : 'basicConstraints=critical,CA:FALSE',
    ];
    const days = String(opts.days ?? 30);
    const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tls.key'];
    if (!opts.issuer) {
      openssl(['req', '-x509', ...key, '-out', 'tls.crt', '-days', days, '-subj', opts.subject, ...ext], dir);
    } else {
      writeFileSync(path.join(dir, 'ca.crt'), opts.issuer.certPem);
      writeFileSync(path.join(dir, 'ca.key'), opts.issuer.keyPem, { mode: 0o600 });
      openssl(['req', '-new', ...key, '-out', 'tls.csr', '-subj', opts.subject, ...ext], dir);
      openssl(
        [
          'x509',
          '-req',
          '-in',
          'tls.csr',
          '-CA',
          'ca.crt',
          '-CAkey',
          'ca.key',
          '-CAcreateserial',
          '-copy_extensions',
          'copy',
          '-days',
          days,
          '-out',
          'tls.crt',
        ],
        dir,
      );
    }
    return {
      certPem: readFileSync(path.join(dir, 'tls.crt'), 'utf8'),
      keyPem: readFileSync(path.join(dir, 'tls.key'), 'utf8'),
      ...opensslFacts('tls.crt', dir),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
