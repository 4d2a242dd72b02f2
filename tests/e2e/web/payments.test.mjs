// Browser test of money in and out on the web page: a demo buyer charges the wallet through the
// payment provider's flow (the server's provider is tests/psp_standin.py, which this test starts),
// sees a refusal with the provider's message, and requests a withdrawal that shows in its list.
// Run: (cd tests/e2e/web && npm ci) && node --test tests/e2e/web/
// Env: PENSION_BIN, CHROMIUM_PATH as in web.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, REPO, startPension, stopPension } from './harness.mjs';

const PSP_KEY = 'test_sk_web_standin';

let dataDir, server, baseUrl, browser, psp, pspUrl, page;

async function control(path, body) {
  const res = await fetch(`${pspUrl}${path}`, body === undefined ? {} :
    { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200);
  return res.json();
}

// Waits until the aria-live message is of `kind` with errorCode `code` and its text matches `pattern`.
async function messageLike(code, kind, pattern) {
  await page.waitForFunction(([c, k, p]) => {
    const m = document.querySelector('#message');
    return m.dataset.errorCode === c && m.dataset.kind === k && new RegExp(p).test(m.textContent);
  }, [code, kind, pattern.source]);
  return (await page.textContent('#message')).trim();
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pension720-payments-web-'));
  psp = spawn('python3', [join(REPO, 'tests', 'psp_standin.py'), '--secret-key', PSP_KEY], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await Promise.race([
    (async () => { for await (const l of createInterface({ input: psp.stdout })) return [l]; return ['']; })(),
    new Promise((_, rej) => psp.once('exit', () => rej(new Error('psp_standin.py exited')))),
  ]);
  pspUrl = `http://127.0.0.1:${Number(line)}`;
  ({ proc: server, baseUrl } = await startPension(['--db', `sqlite:${join(dataDir, 'p.db')}`, '--demo',
    '--now', '2026-11-24T12:00:00+09:00', '--token-secret', 'payments-web-secret'],
  { PENSION_PSP_URL: pspUrl, PENSION_PSP_SECRET_KEY: PSP_KEY, PENSION_PSP_TIMEOUT: '2' }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ko-KR', timezoneId: 'Asia/Seoul' });
  page = await context.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(`${baseUrl}/`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.fill('#demo-name', 'carol');
  await page.click('#demo-login-button');
  await page.waitForSelector('#signed-in-user[data-user-id^="demo-"]');
});

after(async () => {
  if (browser) await browser.close();
  await stopPension(server);
  if (psp && psp.exitCode === null) psp.kill('SIGTERM');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('charging through the provider credits the wallet once', async () => {
  await page.fill('#charge-amount', '15000');
  await page.click('#charge-button');
  await messageLike('', 'ok', /15,000원을 충전했습니다/);
  assert.match(await page.textContent('#wallet-balance'), /15,000/);
  const stats = await control('/control/stats');
  const payments = Object.values(stats.payments);
  assert.equal(payments.length, 1);
  assert.equal(payments[0].status, 'DONE');
  assert.equal(payments[0].totalAmount, 15000);
});

test('a refusal shows the provider\'s message and changes nothing', async () => {
  await control('/control', { mode: 'refuse', code: 'REJECT_CARD_PAYMENT', message: '한도초과 혹은 잔액부족으로 결제에 실패했습니다.' });
  await page.fill('#charge-amount', '5000');
  await page.click('#charge-button');
  await messageLike('PAYMENT_FAILED', 'error', /한도초과 혹은 잔액부족/);
  assert.match(await page.textContent('#wallet-balance'), /15,000/);
  await control('/control', { mode: 'approve' });
});

test('a withdrawal request debits at once and is listed', async () => {
  await page.fill('#withdraw-amount', '5000');
  await page.fill('#withdraw-bank', '088');
  await page.fill('#withdraw-account', '110-123-456789');
  await page.fill('#withdraw-holder', '캐럴');
  await page.click('#withdraw-button');
  await messageLike('', 'ok', /5,000원 출금을 신청했습니다/);
  assert.match(await page.textContent('#wallet-balance'), /10,000/);
  await page.waitForSelector('#withdrawals li[data-status="REQUESTED"]');
  assert.match(await page.textContent('#withdrawals'), /5,000원 · 신청됨/);
  // More than the balance: refused, and the balance stays.
  await page.fill('#withdraw-amount', '20000');
  await page.click('#withdraw-button');
  await messageLike('NOT_ENOUGH_MONEY', 'error', /예치금이 부족합니다/);
  assert.match(await page.textContent('#wallet-balance'), /10,000/);
  assert.equal(await page.locator('#withdrawals li').count(), 1);
});
