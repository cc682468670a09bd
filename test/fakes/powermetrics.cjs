// A stand-in for /usr/bin/powermetrics: replays the NUL-separated plist documents of a real
// capture at the `-i` interval, as `powermetrics -f plist` writes them (each document followed by
// a NUL). Written into a fake bin folder behind a `#!<node>` line (see test/helpers/fake-bin.ts).
//
// Environment:
//   FAKE_POWERMETRICS_CAPTURE  the capture to replay (documents are cycled)
//   FAKE_POWERMETRICS_MODE     stream (default) | exit-now | exit-after:N | hang | root | cut | oversize
//   FAKE_POWERMETRICS_LOG      a file that gets one line per run: "<pid> <start ms> <args...>"
'use strict';
const { appendFileSync, readFileSync } = require('node:fs');

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const intervalMs = Number(option('-i') ?? 5000);
const count = option('-n') === undefined ? Infinity : Number(option('-n'));
const mode = process.env.FAKE_POWERMETRICS_MODE ?? 'stream';
if (process.env.FAKE_POWERMETRICS_LOG) appendFileSync(process.env.FAKE_POWERMETRICS_LOG, `${process.pid} ${Date.now()} ${args.join(' ')}\n`);

if (mode === 'root') {
  process.stderr.write('powermetrics must be invoked as the superuser\n');
  process.exit(1);
}
if (mode === 'exit-now') {
  process.stderr.write('fake failure: no sampler could be started\n');
  process.exit(1);
}
if (mode === 'hang') {
  // Says nothing and ignores SIGTERM, so only SIGKILL ends it.
  process.on('SIGTERM', () => undefined);
  setInterval(() => undefined, 60_000);
  return;
}

const documents = readFileSync(process.env.FAKE_POWERMETRICS_CAPTURE, 'utf8').split('\0').filter((d) => d.trim() !== '');
const exitAfter = mode.startsWith('exit-after:') ? Number(mode.slice('exit-after:'.length)) : Infinity;
let sent = 0;

function next() {
  const doc = documents[sent % documents.length];
  if (mode === 'cut' && sent === 1) {
    process.stdout.write(doc.slice(0, Math.floor(doc.length / 2)), () => process.exit(1));
    return;
  }
  if (mode === 'oversize' && sent === 1) {
    const padding = `<!-- ${'x'.repeat(100 * 1024)} -->\n`;
    process.stdout.write(doc.replace('<dict>', `<dict>\n${padding}`) + '\0');
  } else {
    process.stdout.write(doc + '\0');
  }
  sent++;
  if (sent >= count) {
    process.exitCode = 0;
    return;
  }
  if (sent >= exitAfter) {
    process.stderr.write(`fake crash after ${sent} samples\n`);
    process.exitCode = 1;
    return;
  }
  setTimeout(next, intervalMs);
}
setTimeout(next, intervalMs);
