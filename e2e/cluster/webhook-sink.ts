import { writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { makeCertificate } from '@/lib/credentials/test-certificates';

/** An HTTPS front for an app route, which the test API server's audit webhook posts to. */
export interface WebhookSink {
  /** https://127.0.0.1:<port><route path> */
  url: string;
  /** The CA of the sink's serving certificate (the webhook configuration's certificate-authority). */
  caFile: string;
  /** Requests being answered now. */
  inFlight: () => number;
  close: () => void;
}

/**
 * Serves a route handler (`POST` of app/api/ingest/*) over HTTPS on 127.0.0.1, as a deployment serves it: the
 * API server sends its bearer token only over TLS. A test CA, written to `dir`, signs the certificate.
 */
export async function startWebhookSink(
  post: (request: Request) => Promise<Response>,
  dir: string,
  routePath = '/api/ingest/audit',
): Promise<WebhookSink> {
  const ca = makeCertificate({ subject: '/CN=nhi test webhook CA', ca: true, days: 2 });
  const serving = makeCertificate({ subject: '/CN=127.0.0.1', sans: ['IP:127.0.0.1'], days: 2, issuer: ca });
  const caFile = path.join(dir, 'webhook-ca.crt');
  writeFileSync(caFile, ca.certPem);
  let inFlight = 0;
  const server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    inFlight++;
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      post(new Request(`http://127.0.0.1${req.url}`, { method: 'POST', headers, body: Buffer.concat(chunks) }))
        .then(async (response) => {
          const text = await response.text();
          res.writeHead(response.status, Object.fromEntries(response.headers));
          res.end(text);
        })
        .catch(() => res.writeHead(500).end())
        .finally(() => inFlight--);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}${routePath}`,
    caFile,
    inFlight: () => inFlight,
    close: () => server.close(),
  };
}
