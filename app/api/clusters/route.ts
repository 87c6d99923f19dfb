import { NextResponse } from 'next/server';
import { listClusters } from '@/lib/data/list-clusters';

export const dynamic = 'force-dynamic';

/** Every cluster's inventory size and sync status; the overview polls it to stay current. */
export async function GET() {
  return NextResponse.json(await listClusters(), { headers: { 'cache-control': 'no-store' } });
}
