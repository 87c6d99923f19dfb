import { ledgerFilterSchema, tokenLedger } from '@/lib/data/ledger';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

const querySchema = ledgerFilterSchema.pick({ cluster: true, identity: true, limit: true });

/** The per-token ledger (`{ total, items }`, newest activity first): credential ids and facts, never a token. */
export const GET = route({ access: 'cluster.read', query: querySchema }, async ({ query }) => tokenLedger(prisma(), query));
