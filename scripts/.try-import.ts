import { readDumps } from '@/lib/collect/import';
const r = await readDumps(process.argv.slice(2));
console.log(JSON.stringify({ files: r.files, objects: r.objects, read: r.read, counts: r.counts, skipped: r.skipped, hint: r.clusterNameHint }, null, 0));
for (const n of r.notes) console.log(n.level, n.message.slice(0, 400));
