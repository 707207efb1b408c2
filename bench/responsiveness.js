#!/usr/bin/env node
// What the app's UI side feels while a big capture is read: the session on its own thread (as
// the desktop app and `podpath serve` run it) against the same session on the calling thread.
// Measures, while the 1 GB bench capture is read, the calling thread's event-loop delay (what
// Electron's main process or the web server would stall for) and how long a `session` call (a
// progress poll) waits for its answer. Not a test: the figures depend on the machine.
//
//   node bench/responsiveness.js [--rounds N] [--json]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { performance } from 'node:perf_hooks';
import { ensureCapture, capturePath } from './gen.js';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 3;
const json = process.argv.includes('--json');
ensureCapture();
const { startSession } = await import('../dist/node/session-host.js');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const percentile = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

async function once(threaded) {
  const host = startSession({ version: 'bench', threaded });
  const delay = monitorEventLoopDelay({ resolution: 5 });
  const waits = [];
  const started = performance.now();
  await host.call('openCaptures', [[capturePath]]);
  delay.enable();
  let done = false;
  while (!done) {
    const asked = performance.now();
    const state = await host.call('session', []);
    waits.push(performance.now() - asked);
    done = state.captures[0].state !== 'reading';
    if (!done) await new Promise((r) => setTimeout(r, 50));
  }
  delay.disable();
  const seconds = (performance.now() - started) / 1000;
  await host.close();
  return {
    seconds,
    loopDelayMaxMs: delay.max / 1e6,
    loopDelayP99Ms: delay.percentile(99) / 1e6,
    pollMedianMs: median(waits),
    pollP95Ms: percentile(waits, 0.95),
    pollMaxMs: Math.max(...waits),
    polls: waits.length,
  };
}

const results = { threaded: [], inThread: [] };
for (let r = 0; r < rounds; r++) {
  results.threaded.push(await once(true));
  results.inThread.push(await once(false));
}
const summary = Object.fromEntries(
  Object.entries(results).map(([mode, runs]) => [
    mode,
    Object.fromEntries(Object.keys(runs[0]).map((k) => [k, median(runs.map((x) => x[k]))])),
  ]),
);
if (json) console.log(JSON.stringify({ rounds, summary, results }, null, 1));
else {
  console.log(`responsiveness while reading ${capturePath} (medians of ${rounds} rounds)`);
  console.log('mode        read s   loop delay max / p99 ms   poll answer median / p95 / max ms');
  for (const [mode, s] of Object.entries(summary))
    console.log(
      `${mode.padEnd(10)} ${s.seconds.toFixed(2).padStart(7)}   ${s.loopDelayMaxMs.toFixed(1).padStart(8)} / ${s.loopDelayP99Ms.toFixed(1).padEnd(12)}   ${s.pollMedianMs.toFixed(1)} / ${s.pollP95Ms.toFixed(1)} / ${s.pollMaxMs.toFixed(1)}`,
    );
}
