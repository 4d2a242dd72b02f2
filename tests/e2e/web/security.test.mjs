// Browser test of the web page's own defences (issue 20, S1): opened through a link that names
// another server (`/?api=http://…`), the page still talks only to the server that served it, so
// a token cannot leak; the page carries a strict Content-Security-Policy and still works under it.
// Run: (cd tests/e2e/web && npm ci) && node --test tests/e2e/web/
// Env: PENSION_BIN, CHROMIUM_PATH as in web.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, startPension, stopPension } from './harness.mjs';

let dataDir, server, baseUrl, browser, evil, evilUrl;
const evilRequests = [];

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pension720-security-web-'));
  // The other server a malicious link names: it records whatever reaches it.
  evil = createHttpServer((req, res) => {
    evilRequests.push(`${req.method} ${req.url} ${req.headers.authorization || ''}`);
    res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': '*' });
    res.end('343');
  });
  await new Promise((res) => evil.listen(0, '127.0.0.1', res));
  evilUrl = `http://127.0.0.1:${evil.address().port}`;
  ({ proc: server, baseUrl } = await startPension(['--db', `sqlite:${join(dataDir, 's.db')}`, '--demo',
    '--now', '2026-11-24T12:00:00+09:00', '--token-secret', 'security-web-secret']));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  if (browser) await browser.close();
  await stopPension(server);
  if (evil) await new Promise((res) => evil.close(res));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('the page carries a strict Content-Security-Policy and the other security headers', async () => {
  for (const path of ['/', '/app.js', '/style.css']) {
    const r = await fetch(`${baseUrl}${path}`);
    assert.equal(r.status, 200);
    const csp = r.headers.get('content-security-policy') || '';
    for (const rule of ["default-src 'self'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'",
      "object-src 'none'", "base-uri 'none'"]) assert.ok(csp.includes(rule), `${path}: ${rule} missing from ${csp}`);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
  }
});

test('a link naming another server does not move the page or its token there', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const requests = [];
  const problems = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(m.text()); });
  await page.goto(`${baseUrl}/?api=${encodeURIComponent(evilUrl)}`);
  await page.waitForSelector('body[data-ready="true"]');
  // A visitor signs in through the demo form; the token and every call stay on this origin.
  await page.fill('#demo-name', 'victim');
  await page.click('#demo-login-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('#signed-in-user').textContent.includes('victim'));
  await page.waitForFunction(() => document.querySelector('#balance').textContent.trim() !== '-');
  assert.deepEqual(evilRequests, [], 'the other server was reached');
  assert.ok(requests.every((u) => u.startsWith(baseUrl)), requests.filter((u) => !u.startsWith(baseUrl)).join('\n'));
  assert.ok(requests.some((u) => u.startsWith(`${baseUrl}/api/v1/`)), 'the page made no API call at all');
  assert.deepEqual(problems, [], 'the page broke under its CSP');
  await context.close();
});
