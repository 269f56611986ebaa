/**
 * `npm run bench`: every figure next to a baseline measured in the same run, as
 * a ratio, median of several rounds (the machine is shared and noisy).
 *
 *   npm run bench                         # all benchmarks
 *   npm run bench -- ingest gpio          # some of them
 *   BENCH_ROUNDS=5 BENCH_SECONDS=5 npm run bench -- ingest
 */
import { benchIngest } from './bench/ingest.js';
import { benchStore } from './bench/store.js';
import { benchDrain } from './bench/drain.js';
import { benchGpio } from './bench/gpio.js';

const all: Record<string, () => Promise<string>> = {
  ingest: benchIngest,
  store: benchStore,
  drain: benchDrain,
  gpio: benchGpio,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(all);
const unknown = names.filter((n) => !all[n]);
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(all).join(', ')}`);
  process.exit(2);
}
console.log(`camrelay benchmarks on ${process.platform}/${process.arch}, node ${process.version}, ${new Date().toISOString()}`);
for (const n of names) {
  console.log(`\n## ${n}`);
  try {
    console.log(await all[n]!());
  } catch (e) {
    console.error(`benchmark ${n} failed: ${(e as Error).stack}`);
    process.exitCode = 1;
  }
}
