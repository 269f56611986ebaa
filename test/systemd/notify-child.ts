/**
 * Child process for notify.test.ts (bundled with esbuild, run by plain node):
 * uses the real notifier against the NOTIFY_SOCKET the test listens on.
 */
import { createNotifier, type NotifyTransport } from '../../src/systemd/notify.js';

const logger = {
  child: () => logger,
  debug: () => {},
  info: () => {},
  warn: (...a: unknown[]) => process.stderr.write(`warn ${JSON.stringify(a)}\n`),
  error: (...a: unknown[]) => process.stderr.write(`error ${JSON.stringify(a)}\n`),
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* block the event loop */
  }
};

const mode = process.argv[2];
const n = createNotifier({
  env: process.env,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  logger: logger as any,
  transport: (process.env.CHILD_TRANSPORT as NotifyTransport | undefined) ?? 'auto',
  maxLagMs: 150,
});

if (mode === 'ready') {
  n.extendTimeout(20_000);
  n.ready('hello');
  n.status('line1\nline2');
  n.stopping();
  await n.stop();
  process.stdout.write(`transport=${n.transport()}\n`);
} else if (mode === 'watchdog') {
  let checkOk = true;
  n.addHealthCheck('flag', () => checkOk);
  n.ready('started');
  n.startWatchdog(() => true);
  await sleep(1200);
  n.status('block-start');
  busy(1500);
  n.status('block-end');
  await sleep(1200);
  n.status('sluggish-start');
  // The loop keeps turning, but every turn is blocked for 300 ms (lag > maxLagMs).
  let turns = 0;
  const end = performance.now() + 1500;
  await new Promise<void>((resolve) => {
    const step = () => {
      busy(300);
      turns++;
      if (performance.now() < end) setTimeout(step, 0);
      else resolve();
    };
    step();
  });
  n.status(`sluggish-end turns=${turns}`);
  await sleep(1200);
  n.status('check-fail-start');
  checkOk = false;
  await sleep(1000);
  n.status('check-fail-end');
  checkOk = true;
  await sleep(1200);
  n.stopping();
  await n.stop();
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
