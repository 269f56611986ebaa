#!/usr/bin/env node
// This machine's own scheduling noise, for reading latency tails (docs/benchmarks.md, GPIO):
// a Node timer asks to wake every 2 ms for SECONDS (default 15); prints how late it woke.
//   node scripts/timer-noise.mjs [SECONDS]
const seconds = Number(process.argv[2] ?? 15);
const late = [];
let last = performance.now();
const end = last + seconds * 1000;
function tick() {
  const now = performance.now();
  late.push(now - last - 2);
  last = now;
  if (now < end) return setTimeout(tick, 2);
  late.sort((a, b) => a - b);
  const q = (p) => late[Math.min(late.length - 1, Math.floor(p * late.length))].toFixed(2);
  console.log(`timer wake-up lateness over ${late.length} wakes: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, p99.9 ${q(0.999)} ms, max ${late.at(-1).toFixed(2)} ms`);
}
setTimeout(tick, 2);
