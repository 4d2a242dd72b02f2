// Browser test of the web page served by pension720 (`/`, `/app.js`, `/style.css`): two buyers in two
// browser contexts of Debian's chromium, driven by playwright-core, against the real server in demo mode.
// Run: (cd tests/e2e/web && npm ci) && node --test tests/e2e/web/
// Env: PENSION_BIN (default <repo>/build/pension720), CHROMIUM_PATH (default /usr/bin/chromium),
// PENSION_WEB_FROM_DISK=1 (serve `/`, `/app.js`, `/style.css` from web/ instead of the copy embedded in the
// binary at build time: for editing the page without a rebuild; the API still comes from the server).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, access, readFile } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../../..');
const BIN = process.env.PENSION_BIN || join(REPO, 'build', 'pension720');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = join(HERE, 'artifacts');
const SECRET = 'test-secret';
const NOW = '2026-11-24T12:00:00+09:00';
// Round 1 was drawn 2020-05-07; round n 7·(n−1) days later, so 2026-11-24 (Tuesday) sells round 343,
// whose sales close 2026-11-26 17:00 KST, 53 hours after NOW.
const EXPECTED_ROUND = 343;
const SECONDS_TO_CLOSE = 53 * 3600;
// Later the server restarts on the same database after round 343's sales closed, to draw it.
const AFTER_CLOSE = '2026-11-26T19:30:00+09:00';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const WEB_FROM_DISK = process.env.PENSION_WEB_FROM_DISK === '1';
const WEB_TYPES = { '/': ['index.html', 'text/html; charset=utf-8'], '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'] };
const HEALTH_ATTEMPTS = 300; // × 100 ms
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

let server;          // child process
let serverLog = '';
let baseUrl;
let dataDir;
let browser;
let alice;           // {context, page, errors}
let aliceId;         // the id the demo sign-in gave user A
let bob;

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function run(file, args) {
  return new Promise((res, rej) => {
    execFile(file, args, { timeout: 30000 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else res(stdout);
    });
  });
}

async function makeToken(user, { secret = SECRET, role } = {}) {
  const out = await run(BIN, ['token', '--user', user, '--token-secret', secret, ...(role ? ['--role', role] : [])]);
  const token = out.trim().split(/\s+/).pop();
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, `pension720 token printed no JWT: ${out}`);
  return token;
}

async function startServer(now = NOW) {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['serve', '--port', String(port), '--db', `sqlite:${join(dataDir, 't.db')}`, '--demo',
    '--now', now, '--token-secret', SECRET], { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk) => { serverLog = (serverLog + chunk.toString()).slice(-20000); };
  server.stdout.on('data', keep);
  server.stderr.on('data', keep);
  let exited = null;
  server.on('exit', (code, signal) => { exited = { code, signal }; });
  // The one allowed wait: poll the health endpoint a bounded number of times.
  for (let i = 0; i < HEALTH_ATTEMPTS; i++) {
    if (exited) throw new Error(`pension720 exited during start-up (${JSON.stringify(exited)}):\n${serverLog}`);
    try {
      const res = await fetch(`${baseUrl}/actuator/health`);
      if (res.status === 200) return;
    } catch { /* not listening yet */ }
    await delay(100);
  }
  throw new Error(`pension720 did not answer GET /actuator/health with 200 in time:\n${serverLog}`);
}

function stopServer() {
  return new Promise((res) => {
    if (!server || server.exitCode !== null || server.signalCode !== null) {
      res(server ? { code: server.exitCode, signal: server.signalCode } : null);
      return;
    }
    const timer = setTimeout(() => { server.kill('SIGKILL'); }, 15000);
    server.once('exit', (code, signal) => { clearTimeout(timer); res({ code, signal }); });
    server.kill('SIGTERM');
  });
}

async function openUser(viewport) {
  const context = await browser.newContext({ viewport, locale: 'ko-KR', timezoneId: 'Asia/Seoul' });
  if (WEB_FROM_DISK) {
    await context.route((url) => url.origin === baseUrl && url.pathname in WEB_TYPES, async (route) => {
      const [file, contentType] = WEB_TYPES[new URL(route.request().url()).pathname];
      await route.fulfill({ status: 200, contentType, body: await readFile(join(REPO, 'web', file)) });
    });
  }
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Chrome logs every non-2xx fetch as "Failed to load resource"; the page expects those (409s, 404s).
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  await page.goto(`${baseUrl}/`);
  await page.waitForSelector('body[data-ready="true"]');
  return { context, page, errors };
}

const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

// Waits for the aria-live message to carry `code` (an errorCode, or '' for a success) and returns its text.
async function messageWith(page, { code, kind }) {
  const sel = kind ? `#message[data-error-code="${code}"][data-kind="${kind}"]` : `#message[data-error-code="${code}"]`;
  await page.waitForSelector(sel);
  return (await page.textContent('#message')).trim();
}

async function digitValues(page) {
  return page.$$eval('.digit', (inputs) => inputs.map((i) => i.value).join(''));
}

async function typeNumber(page, number) {
  await page.click('#digit-1');
  await page.keyboard.type(number);
}

before(async () => {
  try {
    await access(BIN, fsConstants.X_OK);
  } catch {
    throw new Error(`pension720 binary not found at ${BIN}: build it first or set PENSION_BIN`);
  }
  await access(CHROMIUM, fsConstants.X_OK).catch(() => {
    throw new Error(`chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  });
  await mkdir(ARTIFACTS, { recursive: true });
  dataDir = await mkdtemp(join(tmpdir(), 'pension720-web-'));
  await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});

after(async () => {
  if (browser) await browser.close();
  await stopServer();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('the page loads: current round, live countdown, demo login offered, last draw not yet drawn', async () => {
  alice = await openUser({ width: 1280, height: 900 });
  const { page } = alice;
  await page.waitForSelector(`#round[data-value="${EXPECTED_ROUND}"]`);
  assert.equal(await page.getAttribute('#sales-status', 'data-open'), 'true');
  const first = Number(await page.getAttribute('#countdown', 'data-remaining'));
  // The page counts on the service clock (started at NOW), not on this machine's.
  assert.ok(first > SECONDS_TO_CLOSE - 300 && first <= SECONDS_TO_CLOSE + 2, `countdown ${first}s should be about 53 h`);
  assert.match(await page.textContent('#countdown'), /\d{2}:\d{2}:\d{2}/);
  // The countdown is live: it ticks down without a reload.
  await page.waitForFunction((s) => Number(document.querySelector('#countdown').dataset.remaining) < s, first);
  assert.ok(await page.isVisible('#demo-login-form'), 'the server runs with --demo, so the demo login is shown');
  await page.waitForSelector(`#last-draw[data-drawn="false"][data-round="${EXPECTED_ROUND - 1}"]`);
  assert.match(await page.textContent('#last-draw'), /추첨 전/);
  const html = await (await fetch(`${baseUrl}/`)).text();
  assert.match(html, /<html lang="ko">/);
  for (const asset of ['/app.js', '/style.css']) {
    const res = await fetch(`${baseUrl}${asset}`);
    assert.equal(res.status, 200, `${asset} is served`);
  }
});

test('user A: demo login, deposit 10000, 3조 123456 by keypad, cart with hold countdown, checkout', async () => {
  const { page } = alice;
  await page.fill('#demo-name', '앨리스');
  await page.click('#demo-login-button');
  // Each demo sign-in is a new visitor: the server chose the id.
  await page.waitForSelector('#signed-in-user[data-user-id^="demo-"]');
  aliceId = await page.getAttribute('#signed-in-user', 'data-user-id');
  assert.match(aliceId, /^demo-[0-9a-f]{16}$/);
  assert.match(await page.textContent('#signed-in-user'), /앨리스/);

  await page.fill('#deposit-amount', '10000');
  await page.click('#deposit-button');
  await page.waitForSelector('#balance[data-value="10000"]');
  assert.match(await page.textContent('#balance'), /10,000원/);

  await page.click('[data-testid="group-3"]');
  assert.ok(await page.isChecked('#group-3'));
  for (const d of '123456') await page.click(`[data-testid="key-${d}"]`);
  assert.equal(await digitValues(page), '123456');
  await page.click('#add-to-cart');
  const item = '#cart-list li[data-group="3"][data-number="123456"]';
  await page.waitForSelector(item);
  assert.match(await page.textContent('#message'), /3조 123456.*장바구니에 담았습니다/);
  assert.match(await page.textContent(`${item} .hold`), /보류 (9|10)분 \d\d초 남음/);
  assert.equal(await page.getAttribute(`${item} .hold`, 'data-state'), 'held');
  assert.equal(await page.getAttribute('#cart-count', 'data-value'), '1');
  await shot(page, 'a-cart-desktop');

  const purchaseRequests = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/pension/purchased') purchaseRequests.push(r);
  });
  await page.click('#checkout');
  await page.waitForSelector('#my-tickets li[data-group="3"][data-number="123456"]');
  await page.waitForSelector('#balance[data-value="9000"]');
  await page.waitForSelector('#cart-count[data-value="0"]');
  assert.match(await page.textContent('#my-tickets li[data-number="123456"] .result'), /미추첨/);
  assert.equal(purchaseRequests.length, 1);
  assert.match(purchaseRequests[0].headers()['idempotency-key'] || '', UUID, 'checkout sends an Idempotency-Key');
  await shot(page, 'a-bought-desktop');
});

test('user B on a phone: token sign-in, keyboard only, the sold 3조 123456 → PURCHASE_DUPLICATED', async () => {
  const token = await makeToken('bob');
  bob = await openUser({ width: 375, height: 812 });
  const { page } = bob;
  await page.fill('#token-input', token);
  await page.press('#token-input', 'Enter');
  await page.waitForSelector('#signed-in-user[data-user-id="bob"]');
  await page.fill('#deposit-amount', '5000');
  await page.press('#deposit-amount', 'Enter');
  await page.waitForSelector('#balance[data-value="5000"]');

  // The token is kept: a reload signs in again by itself.
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('#signed-in-user[data-user-id="bob"]');
  await page.waitForSelector('#balance[data-value="5000"]');

  // Keyboard only from the top of the page: skip link → 번호 선택 → group radios → digits → Enter.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'group-1');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.ok(await page.isChecked('#group-3'), 'arrow keys move the group choice');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'digit-1');
  await page.keyboard.type('123456');
  assert.equal(await digitValues(page), '123456');
  await page.keyboard.press('Enter');
  const text = await messageWith(page, { code: 'PURCHASE_DUPLICATED', kind: 'error' });
  assert.match(text, /이미 구매된 번호입니다/);  // the server's errorMessage
  assert.equal(await page.getAttribute('#message', 'aria-live'), 'polite');
  assert.equal(await page.getAttribute('#cart-count', 'data-value'), '0');
  await shot(page, 'b-duplicated-phone');
});

test('a number in A\'s cart is TICKET_HELD for B; removing it releases it to B', async () => {
  const a = alice.page;
  const b = bob.page;
  await a.click('[data-testid="group-4"]');
  await typeNumber(a, '999999');
  await a.click('#add-to-cart');
  const item = '#cart-list li[data-group="4"][data-number="999999"]';
  await a.waitForSelector(item);

  await b.click('[data-testid="group-4"]');
  await typeNumber(b, '999999');
  await b.click('#add-to-cart');
  const text = await messageWith(b, { code: 'TICKET_HELD', kind: 'error' });
  assert.match(text, /다른 구매자가 선택한 번호입니다\. 다른 번호를 골라 주세요/);  // the server's errorMessage, the page's next step
  assert.equal(await digitValues(b), '999999', 'the digits stay after an error, to try again');
  await shot(b, 'b-held-phone');

  await a.click(`${item} [data-testid="cart-remove"]`);
  await a.waitForSelector('#cart-count[data-value="0"]');

  await b.click('#add-to-cart');
  await b.waitForSelector(item);
  await b.click('#checkout');
  await b.waitForSelector('#my-tickets li[data-group="4"][data-number="999999"]');
  await b.waitForSelector('#balance[data-value="4000"]');
});

test('모든 조 + 자동번호 fills five tickets; checkout beyond the balance → NOT_ENOUGH_MONEY, cart kept; empty cart', async () => {
  const { page } = bob;
  await page.click('[data-testid="group-0"]');
  await page.click('#add-auto');
  await page.waitForSelector('#cart-count[data-value="5"]');
  const groups = await page.$$eval('#cart-list li', (lis) => lis.map((li) => li.dataset.group).sort().join(','));
  assert.equal(groups, '1,2,3,4,5');
  const numbers = new Set(await page.$$eval('#cart-list li', (lis) => lis.map((li) => li.dataset.number)));
  assert.equal(numbers.size, 1, 'all five groups get the same six digits');

  await page.click('#checkout');
  const text = await messageWith(page, { code: 'NOT_ENOUGH_MONEY', kind: 'error' });
  assert.match(text, /예치금이 부족합니다/);
  await page.waitForSelector('#balance[data-value="4000"]');
  assert.equal(await page.getAttribute('#cart-count', 'data-value'), '5');
  await shot(page, 'b-not-enough-money-phone');

  await page.click('#cart-clear');
  await page.waitForSelector('#cart-count[data-value="0"]');
});

test('a double click on 구매하기 sends one purchase and charges once', async () => {
  const { page } = alice;
  await page.click('[data-testid="group-1"]');
  await page.click('#add-auto');
  await page.waitForSelector('#cart-count[data-value="1"]');
  const requests = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/pension/purchased') requests.push(r);
  });
  await page.dblclick('#checkout');
  await page.waitForSelector('#balance[data-value="8000"]');
  await page.waitForFunction(() => document.querySelectorAll('#my-tickets li').length === 2);
  const keys = new Set(requests.map((r) => r.headers()['idempotency-key']));
  assert.ok(requests.length >= 1 && keys.size === 1, `one checkout (${requests.length} requests, keys ${[...keys]})`);
  const token = await page.evaluate(() => localStorage.getItem('pension720.token'));
  const wallet = await (await fetch(`${baseUrl}/api/v1/wallet`, { headers: { Authorization: `Bearer ${token}` } })).json();
  assert.equal(wallet.balance, 8000);
});

test('a token signed with another secret is refused with a sign-in-again message (UNAUTHORIZED)', async () => {
  const badToken = await makeToken('mallory', { secret: 'some-other-secret' });
  const user = await openUser({ width: 375, height: 812 });
  const { page } = user;
  await page.fill('#token-input', badToken);
  await page.click('#token-save');
  const text = await messageWith(page, { code: 'UNAUTHORIZED', kind: 'error' });
  assert.match(text, /인증이 필요합니다: .* 다시 로그인해 주세요/);  // the server's errorMessage, the page's next step
  assert.equal(await page.getAttribute('#signed-in-user', 'data-user-id'), '');
  await shot(page, 'c-unauthorized-phone');
  assert.deepEqual(user.errors, []);
  await user.context.close();
});

test('no script errors on the pages', async () => {
  assert.deepEqual(alice.errors, []);
  assert.deepEqual(bob.errors, []);
  await bob.context.close();
});

test('after the close (restart on a later clock): TIME_OUT on selection, the draw and A\'s 1등 are shown', async () => {
  const exit = await stopServer();
  assert.deepEqual(exit, { code: 0, signal: null }, `pension720 exit after SIGTERM:\n${serverLog.slice(-2000)}`);
  await alice.context.close();
  await startServer(AFTER_CLOSE);

  const user = await openUser({ width: 1280, height: 900 });
  const { page } = user;
  await page.fill('#token-input', await makeToken(aliceId));
  await page.click('#token-save');
  await page.waitForSelector(`#signed-in-user[data-user-id="${aliceId}"]`);
  await page.waitForSelector(`#round[data-value="${EXPECTED_ROUND}"]`);
  await page.waitForSelector('#sales-status[data-open="false"]');
  assert.match(await page.textContent('#countdown'), /판매 시간이 아닙니다/);
  await page.waitForSelector(`#last-draw[data-drawn="false"][data-round="${EXPECTED_ROUND}"]`);

  await page.click('[data-testid="group-2"]');
  await typeNumber(page, '777777');
  await page.click('#add-to-cart');
  // The server's errorMessage, and the page's word on when sales open.
  assert.match(await messageWith(page, { code: 'TIME_OUT', kind: 'error' }), /지금은 선택\/구매할 수 없습니다\. 판매는 추첨일\(목\) 17시에 마감/);

  const adminToken = await makeToken('admin', { role: 'ADMIN' });
  const res = await fetch(`${baseUrl}/api/v1/pension/draws`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ round: EXPECTED_ROUND, group: 3, number: '123456', bonus: '654321' }),
  });
  assert.ok(res.status === 200 || res.status === 201, `draw recorded (${res.status}: ${await res.text()})`);

  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector(`#last-draw[data-drawn="true"][data-round="${EXPECTED_ROUND}"]`);
  const draw = await page.textContent('#last-draw');
  assert.match(draw, /3조/);
  assert.match(draw.replace(/\s/g, ''), /123456.*654321/);
  const mine = '#my-tickets li[data-group="3"][data-number="123456"]';
  await page.waitForSelector(`${mine}[data-result="1"]`);
  assert.match(await page.textContent(`${mine} .result`), /1등/);
  await page.waitForSelector(`#tickets-draw[data-drawn="true"][data-round="${EXPECTED_ROUND}"]`);
  await shot(page, 'a-drawn-desktop');
  assert.deepEqual(user.errors, []);
});

test('the server stops cleanly on SIGTERM', async () => {
  await browser.close();
  browser = null;
  const exit = await stopServer();
  assert.deepEqual(exit, { code: 0, signal: null }, `pension720 exit after SIGTERM:\n${serverLog.slice(-2000)}`);
});
