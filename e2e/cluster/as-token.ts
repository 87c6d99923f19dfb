import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import type { TestCluster } from './harness';

/** An answer of the API server: its status and the JSON body when there is one (a watch or text is null). */
export interface Answer {
  status: number;
  json: Record<string, unknown> | null;
}

/**
 * A client of the test cluster's API server that calls with a bearer token (a real ServiceAccount token) and
 * a user agent of its choosing, as a workload would, over TLS checked against the cluster's CA. Every body is
 * read to the end.
 */
export function tokenClient(cluster: TestCluster) {
  const dispatcher = new Agent({ connect: { ca: readFileSync(cluster.caFile, 'utf8') } });
  return {
    async call(
      token: string,
      userAgent: string,
      method: string,
      uri: string,
      body?: unknown,
      contentType = 'application/json',
    ): Promise<Answer> {
      const res = await request(`${cluster.server}${uri}`, {
        method: method as 'GET',
        dispatcher,
        headers: {
          authorization: `Bearer ${token}`,
          'user-agent': userAgent,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': contentType }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.body.text();
      try {
        return { status: res.statusCode, json: JSON.parse(text) as Record<string, unknown> };
      } catch {
        // a watch stream (several JSON lines), /metrics text or an empty body
        return { status: res.statusCode, json: null };
      }
    },
    close: () => dispatcher.close(),
  };
}
