// Shared pieces of the browser tests: the binary and Chromium to use, a free port, and starting a
// pension720 server (environment without PENSION_* plus what the test gives; a bounded health poll).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = process.env.PENSION_BIN || join(REPO, 'build', 'pension720');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}

// Starts `pension720 serve --port P …args` and waits until it is healthy. Returns
// {proc, baseUrl, log()} (log: the last 20,000 characters it wrote).
export async function startPension(args, env = {}) {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PENSION_')));
  const proc = spawn(BIN, ['serve', '--port', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...clean, ...env } });
  let out = '';
  const keep = (chunk) => { out = (out + chunk.toString()).slice(-20000); };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let healthy = false;
  for (let i = 0; i < 300 && !healthy; i++) {  // the one allowed wait: a bounded health poll
    if (proc.exitCode !== null) throw new Error(`pension720 exited during start-up:\n${out}`);
    try { healthy = (await fetch(`${baseUrl}/actuator/health`)).status === 200; } catch { /* not yet */ }
    if (!healthy) await delay(100);
  }
  if (!healthy) throw new Error(`pension720 did not become healthy:\n${out}`);
  return { proc, baseUrl, log: () => out };
}

// SIGTERM, and waits for the exit.
export async function stopPension(proc) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((res) => proc.once('exit', res));
  proc.kill('SIGTERM');
  await exited;
}
