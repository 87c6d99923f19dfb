import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ExportRow } from './datasets';
import { csvCell, csvStages, HashingStream, jsonStream, manifestLine } from './format';

async function run(
  rows: ExportRow[],
  stages: NodeJS.ReadWriteStream[],
): Promise<{ text: string; sha256: string; bytes: number }> {
  const hashing = new HashingStream();
  const chunks: Buffer[] = [];
  hashing.on('data', (c: Buffer) => chunks.push(c));
  await pipeline([Readable.from(rows), ...stages, hashing] as unknown as [Readable, NodeJS.WritableStream]);
  return { text: Buffer.concat(chunks).toString('utf8'), sha256: hashing.sha256, bytes: hashing.bytes };
}

describe('CSV', () => {
  it('neutralises cells a spreadsheet would run as formulas (OWASP CSV injection)', async () => {
    const dangerous = ['=HYPERLINK("http://evil.example","x")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1', '＝1'];
    const { text } = await run(
      dangerous.map((d, i) => ({ n: i, reason: d })),
      csvStages(['n', 'reason']),
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('n,reason');
    expect(lines[1]).toBe(`0,"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(lines[2]).toBe("1,'+1+1");
    expect(lines[3]).toBe("2,'-2+3");
    expect(lines[4]).toBe("3,'@SUM(A1)");
    expect(lines[5]).toBe("4,'\t=1");
    expect(text).toContain('5,"\'\r=1"');
    expect(text).toContain("6,'＝1");
  });

  it('leaves safe text, numbers (negative ones too) and booleans as they are; quotes what needs quoting', async () => {
    const { text } = await run(
      [{ a: 'plain', b: -5, c: true, d: 'a,b', e: 'say "hi"', f: null, g: ['x', 'y'], h: { k: 1 } }],
      csvStages(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']),
    );
    expect(text).toBe('a,b,c,d,e,f,g,h\nplain,-5,true,"a,b","say ""hi""",,x; y,"{""k"":1}"\n');
  });

  it('turns arrays and objects into one cell', () => {
    expect(csvCell(['a', 'b'])).toBe('a; b');
    expect(csvCell({ a: 1 })).toBe('{"a":1}');
    expect(csvCell(null)).toBeNull();
  });
});

describe('JSON', () => {
  it('writes one array, one object per line, that parses back to the rows', async () => {
    const rows = [
      { a: 1, b: '=x' },
      { a: 2, b: null },
    ];
    const { text } = await run(rows, [jsonStream()]);
    expect(text).toBe('[\n{"a":1,"b":"=x"},\n{"a":2,"b":null}\n]\n');
    expect(JSON.parse(text)).toEqual(rows);
    expect((await run([], [jsonStream()])).text).toBe('[]\n');
  });
});

describe('hashing', () => {
  it('gives the SHA-256 and size of exactly the bytes written, and a sha256sum line', async () => {
    const { text, sha256, bytes } = await run([{ a: 'é' }], csvStages(['a']));
    expect(sha256).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    expect(bytes).toBe(Buffer.byteLength(text));
    expect(manifestLine(sha256, 'x.csv')).toBe(`${sha256}  x.csv\n`);
  });
});

describe('CSV line breaks', () => {
  it('quotes a cell holding a carriage return or a line feed, so no formula starts a line of its own', async () => {
    const { text } = await run([{ a: 'x\r=1+1', b: 'y\n@z' }], csvStages(['a', 'b']));
    expect(text).toBe('a,b\n"x\r=1+1","y\n@z"\n');
  });
});
