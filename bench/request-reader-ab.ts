/**
 * CPU per read of the bench's 300-record syncMultipleLeads envelope by the fast request reader
 * of built services, under the limits the mktows endpoint reads with (its element tree, not a
 * list of names): each build in its own process, the builds in turn, the order swapped each
 * round. A process warms its reader up, then reads in eleven runs of 100 and prints the
 * fastest run and the median; the fastest is the figure least moved by a busy machine.
 *
 *   node --import tsx bench/request-reader-ab.ts [rounds] [root of a build]…
 *
 * A root is a directory holding wsdl/ and dist/ (default: this checkout).
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { envelope, syncMultipleLeads } from './lib/soap.js';

const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 11;
const READS = 100;

interface RequestReaderLike {
  readGuarded(xml: string, limits: unknown): unknown;
}

/** The reader of the build at `root`, and the endpoint's limits made by that build's code. */
async function readerOf(root: string) {
  const load = (file: string) => import(pathToFileURL(path.join(root, 'dist/src', file)).href);
  const [{ FAST_READ }, { createRequestReader }, engineModule, { elementTree }, mapper] =
    await Promise.all([
      load('mktows/fast-read.js'),
      load('soap-transport/fast-request-reader.js'),
      load('soap-transport/soap-engine.js'),
      load('soap-transport/schema-elements.js'),
      load('mktows/lead-record.mapper.js'),
    ]);
  const wsdlXml = fs.readFileSync(path.join(root, 'wsdl/mktows.wsdl'), 'utf8');
  const engine = await engineModule.createSoapEngine({
    path: '/soap/mktows',
    wsdlXml,
    services: {},
  });
  const reader = createRequestReader(
    engine.wsdl,
    engineModule.RAW_TEXT_TYPES,
    FAST_READ,
  ) as RequestReaderLike | null;
  if (!reader) throw new Error(`${root}: no reader for the mktows WSDL`);
  // As mktows.endpoint.ts builds them (the attribute limit its default).
  const limits = {
    maxDepth: 64,
    maxNameLength: 256,
    maxAttributes: 32,
    elementTree: elementTree(wsdlXml, mapper.LEAD_RECORD_READ_ALSO),
    skipEmptyUnknown: true,
    membersInBodyNamespace: true,
  };
  return (xml: string) => reader.readGuarded(xml, limits);
}

async function measure(root: string): Promise<void> {
  const read = await readerOf(root);
  const xml = envelope(
    syncMultipleLeads(
      Array.from({ length: 300 }, (_, j) => ({
        email: `p-${j}@bench.example`,
        attrs: { FirstName: 'V1', LastName: 'Bench' },
      })),
    ),
  );
  if (read(xml) === undefined) throw new Error(`${root}: the reader declined the batch`);
  for (let i = 0; i < 600; i++) read(xml);
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < READS; i++) read(xml);
    const used = process.cpuUsage(start);
    runs.push((used.user + used.system) / READS);
  }
  runs.sort((a, b) => a - b);
  process.stdout.write(`${runs[0]!.toFixed(1)} ${runs[RUNS >> 1]!.toFixed(1)}\n`);
}

function main(): void {
  const rounds = Number(process.argv[2] ?? 8);
  const roots = process.argv.slice(3);
  if (roots.length === 0) roots.push(HERE);
  const figures = roots.map(() => ({ fastest: [] as number[], median: [] as number[] }));
  for (let r = 0; r < rounds; r++) {
    const order = roots.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    const line: string[] = [];
    for (const i of order) {
      const out = execFileSync(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(import.meta.url), '--measure', roots[i]!],
        { encoding: 'utf8' },
      );
      const [fastest, median] = out.trim().split(' ').map(Number) as [number, number];
      figures[i]!.fastest.push(fastest);
      figures[i]!.median.push(median);
      line.push(`${String.fromCharCode(65 + i)} ${fastest.toFixed(1)}/${median.toFixed(1)}`);
    }
    process.stdout.write(`round ${r + 1}: ${line.join('  ')} µs (fastest/median run)\n`);
  }
  const mid = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  roots.forEach((root, i) =>
    process.stdout.write(
      `${String.fromCharCode(65 + i)} ${root}: fastest runs' median ${mid(figures[i]!.fastest).toFixed(1)} µs, medians' median ${mid(figures[i]!.median).toFixed(1)} µs\n`,
    ),
  );
}

if (process.argv[2] === '--measure') {
  measure(process.argv[3]!).catch((error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
} else {
  main();
}
