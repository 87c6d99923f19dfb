/**
 * The ingestion endpoints' work (app/api/ingest/*): authenticate the cluster by its ingest token, read a
 * bounded body, parse every item, store the valid ones, and say what was rejected and why. Rejected items
 * do not fail the request (the sender would resend the whole batch forever); a busy store answers 503 with
 * Retry-After, which the API server's webhook and falcosidekick retry.
 */
import type pg from 'pg';
import { invalidInput } from '@/lib/errors';
import { detectAnomalies, subjectRangesOf } from '@/lib/behaviour/engine';
import { afterDetection } from '@/lib/findings/runtime';
import { applyCredentialEvidence } from './credential-use';
import { IngestLimiter } from './limiter';
import { parseRuntimeText } from './parse';
import { describeEvents, recordIngestBatch } from './status';
import { storeEvents } from './store';
import { authenticateIngest } from './tokens';
import type { RejectedItem } from './types';

export const MAX_BODY_BYTES = 32 * 1024 * 1024;
const limiter = new IngestLimiter(Number(process.env.NHI_INGEST_MAX_IN_FLIGHT ?? 4));

export interface IngestResponse {
  accepted: number;
  stored: number;
  duplicates: number;
  rejected: RejectedItem[];
}

async function readBody(request: Request): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES)
    throw invalidInput(`the body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MB; send smaller batches`);
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES)
    throw invalidInput(`the body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MB; send smaller batches`);
  return text;
}

export async function ingestRequest(
  pool: pg.Pool,
  request: Request,
  hint: 'audit' | 'falco',
  now: Date = new Date(),
): Promise<IngestResponse> {
  const { clusterId } = await authenticateIngest(pool, request.headers.get('authorization'), now);
  const text = await readBody(request);
  return limiter.run(async () => {
    const { events, rejected } = parseRuntimeText(text, { hint });
    const stored = await storeEvents(pool, clusterId, events);
    // Legacy-token uses move their Secret's last use; a failure fails the POST, whose retry redoes it (idempotent).
    await applyCredentialEvidence(pool, clusterId, events);
    // The behaviour detectors over the batch's identities: a failure is logged, never a reason to refuse
    // events already stored (`nhi anomalies detect` runs them again).
    // The runtime findings and the risk scores of the ServiceAccounts with new anomalies follow.
    if (stored.inserted)
      await detectAnomalies(pool, clusterId, subjectRangesOf(events))
        .then((found) => afterDetection(pool, clusterId, found.changed, now))
        .catch((e: unknown) =>
          console.error(`ingest: behaviour detection failed for cluster ${clusterId}: ${e instanceof Error ? e.message : e}`),
        );
    // The batch, for the cluster's ingestion status: stored events are never refused for its sake.
    await recordIngestBatch(pool, clusterId, {
      channel: 'webhook',
      ...describeEvents(events, hint),
      events: events.length,
      inserted: stored.inserted,
      duplicates: stored.duplicates,
      rejected: rejected.length,
      rejectedSample: rejected,
      receivedAt: now,
    }).catch((e: unknown) =>
      console.error(
        `ingest: the batch of cluster ${clusterId} was stored but not recorded: ${e instanceof Error ? e.message : e}`,
      ),
    );
    return { accepted: events.length, stored: stored.inserted, duplicates: stored.duplicates, rejected: rejected.slice(0, 100) };
  });
}
