// Browser test of the page's annuity schedule (연금 지급): a buyer whose ticket won the 1st prize of
// round 343 sees, four months after the draw, each annuity's paid and remaining months, the next pay
// day and the net a month — as the server paid them by itself.
// Run: (cd tests/e2e/web && npm ci) && node --test tests/e2e/web/
// Env: PENSION_BIN, CHROMIUM_PATH as in web.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { BIN, CHROMIUM, CHROMIUM_ARGS, freePort } from './harness.mjs';

const SECRET = 'annuity-web-secret';
const ON_SALE = '2026-11-24T12:00:00+09:00';   // round 343 on sale
const CLOSED = '2026-11-26T18:00:00+09:00';    // its sales closed: the draw may be recorded
const LATER = '2027-03-25T10:00:00+09:00';     // 2026-12 … 2027-03 are due (pay day 20)

let dataDir, server, serverLog = '', baseUrl, browser;

function token(user, role) {
  return new Promise((res, rej) => {
    execFile(BIN, ['token', '--user', user, '--token-secret', SECRET, ...(role ? ['--role', role] : [])],
      { timeout: 30000 }, (err, stdout) => (err ? rej(err) : res(stdout.trim().split(/\s+/).pop())));
  });
}

// Starts the server on a free port; a port taken between freePort() and bind gets another try.
async function start(now) {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await startOnce(now)) return;
  }
  throw new Error(`pension720 did not become healthy:\n${serverLog}`);
}

async function startOnce(now) {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PENSION_')));
  serverLog = '';
  server = spawn(BIN, ['serve', '--port', String(port), '--db', `sqlite:${join(dataDir, 'a.db')}`, '--demo',
    '--now', now, '--token-secret', SECRET], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const keep = (chunk) => { serverLog = (serverLog + chunk.toString()).slice(-20000); };
  server.stdout.on('data', keep);
  server.stderr.on('data', keep);
  for (let i = 0; i < 300; i++) {  // a bounded health poll
    if (server.exitCode !== null) {
      if (/Address already in use/.test(serverLog)) return false;
      throw new Error(`pension720 exited during start-up:\n${serverLog}`);
    }
    try { if ((await fetch(`${baseUrl}/actuator/health`)).status === 200) return true; } catch { /* not yet */ }
    await delay(100);
  }
  throw new Error(`pension720 did not become healthy:\n${serverLog}`);
}

async function stop() {
  const exited = new Promise((res) => server.once('exit', res));
  server.kill('SIGTERM');
  assert.equal(await exited, 0, serverLog);
}

async function call(method, path, tok, body) {
  const r = await fetch(`${baseUrl}${path}`, {
    method, headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

let alice;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pension720-annuity-web-'));
  alice = await token('annuity-alice');
  const boss = await token('annuity-boss', 'ADMIN');
  await start(ON_SALE);
  assert.equal((await call('POST', '/api/v1/wallet/deposit', alice, { amount: 5000 })).status, 200);
  const bought = await call('POST', '/api/v1/pension/purchases', alice,
    { round: 343, tickets: [{ group: 2, number: '123456' }, { group: 4, number: '723456' }] });
  assert.equal(bought.status, 201, JSON.stringify(bought.body));
  await stop();
  await start(CLOSED);
  const drawn = await call('POST', '/api/v1/pension/draws', boss, { round: 343, group: 2, number: '123456', bonus: '723456' });
  assert.equal(drawn.status, 201, JSON.stringify(drawn.body));
  await stop();
  await start(LATER);
  // The payer pays the four months due by itself; poll (bounded) until it has.
  for (let i = 0; i < 300; i++) {
    const list = (await call('GET', '/api/v1/pension/annuities', alice)).body;
    if (Array.isArray(list) && list.length === 2 && list.every((a) => a.paidMonths === 4)) break;
    await delay(50);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) await stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('the buyer sees each annuity: paid, remaining, next pay day, net a month', async () => {
  const context = await browser.newContext({ locale: 'ko-KR', timezoneId: 'Asia/Seoul' });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${baseUrl}/`);
  await page.waitForSelector('body[data-ready="true"]');
  assert.match(await page.textContent('#annuities-empty'), /로그인/);
  await page.fill('#token-input', alice);
  await page.press('#token-input', 'Enter');
  await page.waitForSelector('#my-annuities li[data-paid="4"]');
  const rows = await page.$$eval('#my-annuities li', (lis) => lis.map((li) => ({
    paid: li.dataset.paid, remaining: li.dataset.remaining, text: li.textContent,
  })));
  assert.equal(rows.length, 2);
  const [first, bonus] = rows;
  assert.equal(first.remaining, '236');
  assert.match(first.text, /1등/);
  assert.match(first.text, /4 \/ 240개월 지급/);
  assert.match(first.text, /남은 236개월/);
  assert.match(first.text, /다음 지급 2027년 4월 20일/);
  assert.match(first.text, /월 실수령 5,460,000원/);
  assert.match(first.text, /세전 7,000,000원/);
  assert.equal(bonus.remaining, '116');
  assert.match(bonus.text, /보너스/);
  assert.match(bonus.text, /4 \/ 120개월 지급/);
  assert.match(bonus.text, /월 실수령 780,000원/);
  assert.equal(await page.isHidden('#annuities-empty'), true);
  // The wallet holds what was paid: 5,000 − 2,000 + 4 × (5,460,000 + 780,000).
  await page.waitForSelector('#balance[data-value="24963000"]');
  assert.deepEqual(errors, []);
  await context.close();
});
