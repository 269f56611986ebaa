// A fake sysfs GPIO "kernel" for tests. Runs inside a private mount namespace
// (started by gpio-sandbox.ts as `unshare -m --propagation private node fake-kernel.mjs CONFIG`),
// mounts a tmpfs on /sys/class and plays the kernel's /sys/class/gpio ABI with inotify (fs.watch).
//
// Emulation limits (a tmpfs file cannot make the writer's write() fail):
// - `export`/`unexport` are FIFOs so no write is lost or read twice; an export of a number outside
//   every chip (or of an exported line) does not create the directory and logs an `error` entry,
//   where the kernel would fail the write() with EINVAL/EBUSY. onoff then throws ENOENT after its
//   open() retry loop gives up.
// - writes of the same file that follow each other before the kernel reads them coalesce (inotify);
//   the kernel applies the last content. Writing the current value to `value` is a no-op and not logged.
// - `direction` keeps the word that was written (high/low/out/in); the kernel prints in/out.
// - merged FIFO writes ("529530" from two back-to-back unexports) are split by the known numbers.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const ROOT = '/sys/class';
const GPIO = path.join(ROOT, 'gpio');
const log = (entry) => fs.appendFileSync(cfg.log, JSON.stringify({ t: Date.now(), hr_us: Number(process.hrtime.bigint() / 1000n), ...entry }) + '\n');

execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=755', 'camrelay-fake-sysfs', ROOT]);

/** gpio number → { direction: 'in'|'out', raw: 0|1, activeLow: 0|1, exported, watcher } */
const lines = new Map();
const chips = cfg.chips ?? [];
const chipOf = (n) => chips.find((c) => n >= c.base && n < c.base + c.ngpio);
const lineState = (n) => {
  let l = lines.get(n);
  if (!l) lines.set(n, (l = { direction: 'in', raw: 0, activeLow: 0, exported: false, watcher: null }));
  return l;
};
const driven = (l) => (l.direction === 'out' ? l.raw : null);
const logical = (l) => l.raw ^ l.activeLow;
const dirOf = (n) => path.join(GPIO, `gpio${n}`);

/** `force`: this is the kernel applying the value file itself (see below for when it is not) */
function writeValueFile(n, l, force = false) {
  // In place (pwrite at 0): onoff keeps the value fd open, a rename would orphan it.
  const fd = fs.openSync(path.join(dirOf(n), 'value'), 'r+');
  try {
    // A value the writer wrote after a direction/active_low change but before we got to that change
    // (onoff writes them back to back) is still to be applied by its own event: the real kernel
    // applied the two writes in order, so overwriting it here would lose the second one. The file's
    // ctime tells: it is looked at after each of our writes, so (multigrain timestamps, Linux >= 6.13)
    // the next write gets a distinct one even within the same clock tick.
    if (!force && l.valueCtime !== undefined && fs.fstatSync(fd, { bigint: true }).ctimeNs !== l.valueCtime) return;
    fs.writeSync(fd, `${logical(l)}\n`, 0);
    l.valueCtime = fs.fstatSync(fd, { bigint: true }).ctimeNs;
  } finally {
    fs.closeSync(fd);
  }
}

function onLineFile(n, file) {
  const seenUs = Number(process.hrtime.bigint() / 1000n);
  const l = lines.get(n);
  if (!l || !l.exported) return;
  let text;
  let stamp;
  let ctime;
  try {
    const p = path.join(dirOf(n), file);
    const st = fs.statSync(p, { bigint: true });
    // mtime, not ctime: a chmod/chgrp (udev giving the gpio group the line's files) is no write
    stamp = `${st.mtimeNs}/${st.size}`;
    ctime = st.ctimeNs;
    text = fs.readFileSync(p, 'utf8').trim();
  } catch {
    return;
  }
  if (text === '') return; // between the writer's O_TRUNC and its write()
  // The O_TRUNC and the write() of one writeFile() are two events; the second sees the same file.
  // (Timestamps are coarse: two writes of the same text within one tick count as one.)
  stamp += `/${text}`;
  const seen = (l.stamps ??= {});
  if (seen[file] === stamp && file !== 'value') return;
  seen[file] = stamp;
  const entry = { gpio: n, file, wrote: text, seen_us: seenUs };
  switch (file) {
    case 'direction':
      // inotify can report one write twice (truncate + write seen as two changes under load):
      // a repeat of the last direction text that changes nothing is not a new write.
      if (
        l.lastDirectionText === text &&
        (text === 'in' ? l.direction === 'in' : l.direction === 'out' && l.raw === (text === 'high' ? 1 : 0))
      )
        return;
      l.lastDirectionText = text;
      if (text === 'out' || text === 'low') l.raw = 0;
      else if (text === 'high') l.raw = 1;
      else if (text !== 'in') {
        log({ ...entry, raw: driven(l), error: 'EINVAL' });
        return;
      }
      l.direction = text === 'in' ? 'in' : 'out';
      writeValueFile(n, l);
      break;
    case 'active_low': {
      const v = text === '0' ? 0 : 1;
      if (v === l.activeLow) return;
      l.activeLow = v; // the raw level stays, the logical value flips
      writeValueFile(n, l);
      break;
    }
    case 'value': {
      const v = text.startsWith('0') ? 0 : 1;
      if (v === logical(l)) {
        if (ctime !== undefined) l.valueCtime = ctime; // the file agrees with the line again
        return; // our own rewrite, or a write of the current value
      }
      if (l.direction !== 'out') {
        writeValueFile(n, l, true);
        log({ ...entry, raw: driven(l), error: 'EPERM: line is an input' });
        return;
      }
      l.raw = v ^ l.activeLow;
      writeValueFile(n, l, true);
      break;
    }
    case 'edge':
      break;
    default:
      return;
  }
  log({ ...entry, raw: driven(l), activeLow: l.activeLow, direction: l.direction });
}

function exportLine(n, wrote) {
  if (!chipOf(n)) return log({ gpio: n, file: 'export', wrote, raw: null, error: 'EINVAL: no gpiochip has this number' });
  const l = lineState(n);
  if (l.exported) return log({ gpio: n, file: 'export', wrote, raw: driven(l), error: 'EBUSY: already exported' });
  // Build in a staging dir, watch it, then rename: the writer never sees a half-made directory
  // and no write into it happens before the watcher exists.
  const staging = path.join(GPIO, `.staging-gpio${n}`);
  fs.mkdirSync(staging);
  fs.writeFileSync(path.join(staging, 'direction'), `${l.direction}\n`);
  fs.writeFileSync(path.join(staging, 'value'), `${logical(l)}\n`);
  l.valueCtime = fs.statSync(path.join(staging, 'value'), { bigint: true }).ctimeNs;
  fs.writeFileSync(path.join(staging, 'active_low'), `${l.activeLow}\n`);
  fs.writeFileSync(path.join(staging, 'edge'), 'none\n');
  l.watcher = fs.watch(staging, (event, file) => {
    if (event === 'change' && file) onLineFile(n, String(file));
  });
  l.exported = true;
  fs.renameSync(staging, dirOf(n));
  log({ gpio: n, file: 'export', wrote, raw: driven(l), direction: l.direction });
}

function unexportLine(n, wrote) {
  const l = lines.get(n);
  if (!l || !l.exported) return log({ gpio: n, file: 'unexport', wrote, raw: l ? driven(l) : null, error: 'EINVAL: not exported' });
  l.watcher?.close();
  l.watcher = null;
  l.exported = false;
  l.stamps = {};
  l.activeLow = 0; // a descriptor flag: cleared on release, the hardware keeps driving its level
  fs.rmSync(dirOf(n), { recursive: true, force: true });
  log({ gpio: n, file: 'unexport', wrote, raw: driven(l), direction: l.direction });
}

/** Splits "529530" (two writes read at once) into numbers that fit `ok`; null when it cannot. */
function split(digits, ok) {
  if (digits === '') return [];
  for (let i = 1; i <= digits.length; i++) {
    const n = Number(digits.slice(0, i));
    if (!ok(n)) continue;
    const rest = split(digits.slice(i), ok);
    if (rest) return [n, ...rest];
  }
  return null;
}

function onControl(file, chunk) {
  for (const word of chunk.split(/\s+/).filter(Boolean)) {
    const okExport = (n) => !!chipOf(n) && !lines.get(n)?.exported;
    const okUnexport = (n) => !!lines.get(n)?.exported;
    const parts = /^\d+$/.test(word) ? (split(word, file === 'export' ? okExport : okUnexport) ?? [Number(word)]) : [NaN];
    for (const n of parts) {
      if (Number.isNaN(n)) log({ gpio: null, file, wrote: word, raw: null, error: 'EINVAL: not a number' });
      else if (file === 'export') exportLine(n, word);
      else unexportLine(n, word);
    }
  }
}

function controlFifo(file) {
  const p = path.join(GPIO, file);
  execFileSync('mkfifo', ['-m', '0200', p]);
  // O_RDWR: opening never blocks and the read side never sees EOF when a writer closes.
  const fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  const sock = new net.Socket({ fd, readable: true, writable: false });
  sock.setEncoding('utf8');
  sock.on('data', (chunk) => {
    try {
      onControl(file, chunk);
    } catch (e) {
      log({ gpio: null, file, wrote: chunk, raw: null, error: `kernel: ${e.message}` });
    }
  });
}

if (cfg.gpioDir !== 'missing') {
  fs.mkdirSync(GPIO);
  for (const c of chips) {
    const d = path.join(GPIO, `gpiochip${c.base}`);
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'base'), `${c.base}\n`);
    fs.writeFileSync(path.join(d, 'ngpio'), `${c.ngpio}\n`);
    fs.writeFileSync(path.join(d, 'label'), `${c.label}\n`);
  }
  if (cfg.gpioDir === 'readonly') {
    // FIFOs stay writable on a read-only mount: plain files give the writer EROFS.
    fs.writeFileSync(path.join(GPIO, 'export'), '');
    fs.writeFileSync(path.join(GPIO, 'unexport'), '');
  } else {
    controlFifo('export');
    controlFifo('unexport');
  }
  // Lines the "previous boot/run" left behind.
  for (const [num, s] of Object.entries(cfg.lines ?? {})) {
    const n = Number(num);
    const l = lineState(n);
    if (s.direction) l.direction = s.direction;
    if (s.raw !== undefined) l.raw = s.raw;
    log({ gpio: n, file: 'initial', wrote: '', raw: driven(l), direction: l.direction });
    if (s.exported) exportLine(n, String(n));
  }
  if (cfg.gpioDir === 'readonly') execFileSync('mount', ['-o', 'remount,ro', ROOT]);
}

// Keep the namespace alive even when no FIFO is open (gpioDir missing/readonly).
setInterval(() => {}, 1 << 30);
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
process.stdout.write(`ready ${process.pid}\n`);
