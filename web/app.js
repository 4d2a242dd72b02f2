// pension720 web page: sign-in, wallet, cart and purchase of 연금복권720+ tickets over the HTTP API (SPEC §3).
// Plain script, no build step and no external resources; served by the binary at /app.js.
'use strict';

(() => {
  const PRICE = 1000;
  const TOKEN_KEY = 'pension720.token';       // a pasted or demo token (demo mode only)
  const REFRESH_KEY = 'pension720.refresh';   // an account's refresh token, for this tab only
  const ROUND_HISTORY = 52; // rounds offered in the "내 복권" selector (about a year)

  // The page talks only to the server that served it: no address from the URL or elsewhere, so
  // no link can make it send a token to another origin (the server's CSP says connect-src 'self').

  const $ = (sel) => document.querySelector(sel);
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  };

  const state = {
    token: null,          // the access token: in memory only
    claims: null,
    session: null,        // {kind: 'account', refreshToken} | {kind: 'token'} (pasted or demo)
    round: null,          // {round, drawAt, salesOpen, salesCloseAt}
    cart: [],
    balance: null,
    checkoutKey: null,    // Idempotency-Key of the checkout in flight (reused only on a network retry)
    roundFetchedFor: null,
  };

  // ---- Service clock ---------------------------------------------------------------------------
  // The server may run on a shifted clock (--now); countdowns use the server's time, learned from the
  // `Date` header of its answers (or a `now`/`serverTime` field when one is sent).
  let clockOffsetMs = 0;
  let clockSource = 'local';
  const nowMs = () => Date.now() + clockOffsetMs;

  function learnClockFromHeader(res, sentAt) {
    if (clockSource === 'body') return;
    const header = res.headers.get('Date');
    if (!header) return;
    const serverMs = Date.parse(header);
    if (Number.isNaN(serverMs)) return;
    const localMid = (sentAt + Date.now()) / 2;
    const offset = serverMs + 500 - localMid; // the header is truncated to the second
    if (clockSource === 'local' || Math.abs(offset - clockOffsetMs) > 1500) {
      clockOffsetMs = offset;
      clockSource = 'header';
    }
  }

  function learnClockFromBody(data) {
    const t = data && (data.now || data.serverTime);
    if (!t) return;
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) {
      clockOffsetMs = ms - Date.now();
      clockSource = 'body';
    }
  }

  // ---- HTTP ------------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, code, serverMessage, body) {
      super(serverMessage || code);
      this.status = status;
      this.code = code;
      this.serverMessage = serverMessage;
      this.body = body;
    }
  }

  function codeForStatus(status) {
    if (status === 400) return 'INVALID_REQUEST';
    if (status === 401) return 'UNAUTHORIZED';
    if (status === 403) return 'FORBIDDEN';
    if (status === 404) return 'NOT_FOUND';
    if (status === 413) return 'PAYLOAD_TOO_LARGE';
    if (status === 429) return 'TOO_MANY_REQUESTS';
    if (status >= 500) return 'SERVER_ERROR';
    return `HTTP_${status}`;
  }

  async function api(method, path, { body, auth = true, headers = {}, retry = true } = {}) {
    const h = { Accept: 'application/json', ...headers };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    if (auth) {
      if (!state.token) throw new ApiError(401, 'NOT_SIGNED_IN', '', null);
      h.Authorization = `Bearer ${state.token}`;
    }
    const sentAt = Date.now();
    let res;
    try {
      res = await fetch(path, {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(0, 'NETWORK', '', null);
    }
    learnClockFromHeader(res, sentAt);
    const text = await res.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch { data = null; }
    }
    if (!res.ok) {
      // An account's access token lapsed (or was revoked): refresh once, then try again.
      if (res.status === 401 && auth && retry && state.session && state.session.kind === 'account') {
        if (await refreshSession()) return api(method, path, { body, auth, headers, retry: false });
      }
      const code = data && typeof data.errorCode === 'string' ? data.errorCode : codeForStatus(res.status);
      throw new ApiError(res.status, code, data && data.errorMessage, data);
    }
    return data;
  }

  // ---- Formatting ------------------------------------------------------------------------------
  const won = (n) => `${Number(n).toLocaleString('ko-KR')}원`;
  const groupLabel = (g) => (Number(g) === 0 ? '모든 조' : `${g}조`);
  const DIGIT_KEYS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth'];
  const numberOf = (t) => {
    if (t && typeof t.number === 'string') return t.number;
    if (t && DIGIT_KEYS.every((k) => t[k] !== undefined && t[k] !== null)) return DIGIT_KEYS.map((k) => t[k]).join('');
    return '??????';
  };
  const groupOf = (t) => (t.group !== undefined ? t.group : t.groupNum);

  const dateTimeFmt = new Intl.DateTimeFormat('ko-KR', {
    timeZone: 'Asia/Seoul', year: 'numeric', month: 'long', day: 'numeric', weekday: 'short',
    hour: '2-digit', minute: '2-digit', hour12: false,
  });
  const dateFmt = new Intl.DateTimeFormat('ko-KR', {
    timeZone: 'Asia/Seoul', year: 'numeric', month: 'long', day: 'numeric', weekday: 'short',
  });
  function formatInstant(iso) {
    if (!iso) return '-';
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? String(iso) : dateTimeFmt.format(ms);
  }
  function formatDate(value) {
    if (!value) return '-';
    const s = String(value);
    // A bare calendar date is a KST date; read it as noon KST so no time zone can move it a day.
    const ms = /^\d{4}-\d{2}-\d{2}$/.test(s) ? Date.parse(`${s}T12:00:00+09:00`) : Date.parse(s);
    return Number.isNaN(ms) ? s : dateFmt.format(ms);
  }
  function formatRemaining(ms) {
    const total = Math.max(0, Math.floor(ms / 1000));
    const d = Math.floor(total / 86400);
    const h = Math.floor((total % 86400) / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const pad = (n) => String(n).padStart(2, '0');
    const hms = `${pad(h)}:${pad(m)}:${pad(s)}`;
    return d > 0 ? `${d}일 ${hms}` : hms;
  }
  function formatShortRemaining(ms) {
    const total = Math.max(0, Math.floor(ms / 1000));
    const m = Math.floor(total / 60);
    const s = total % 60;
    return `${m}분 ${String(s).padStart(2, '0')}초`;
  }
  function resultLabel(r) {
    const n = Number(r);
    if (n === 0 || r === null || r === undefined) return '미추첨';
    if (n === -1) return '낙첨';
    if (n === 8) return '보너스';
    if (n >= 1 && n <= 7) return `${n}등`;
    return String(r);
  }

  // ---- Messages --------------------------------------------------------------------------------
  // What a failure says is the server's errorMessage (worded in one place, the server's
  // http/errors.cc). The page adds only what it alone knows: texts for failures that never reached
  // the server, and what to do next in this page.
  const CLIENT_TEXT = {
    NOT_SIGNED_IN: '먼저 로그인해 주세요.',
    NETWORK: '서버에 연결할 수 없습니다. 네트워크 상태를 확인해 주세요.',
    SERVER_ERROR: '서버에 일시적인 문제가 있습니다. 잠시 후 다시 시도해 주세요.',
  };
  const NEXT_STEP = {
    UNAUTHORIZED: '다시 로그인해 주세요.',
    EMAIL_TAKEN: '로그인해 주세요.',
    EMAIL_NOT_VERIFIED: '메일로 받은 코드를 입력해 주세요.',
    TICKET_HELD: '다른 번호를 골라 주세요.',
    NOT_ENOUGH_MONEY: '충전한 뒤 다시 구매해 주세요.',
    TIME_OUT: '판매는 추첨일(목) 17시에 마감되고 같은 날 21시에 다음 회차가 시작됩니다.',
    IDEMPOTENCY_CONFLICT: '새로고침한 뒤 다시 시도해 주세요.',
  };

  let messageSeq = 0;
  function showMessage(text, { kind = 'info', code = '' } = {}) {
    const box = $('#message');
    box.textContent = text;
    box.dataset.kind = kind;
    box.dataset.errorCode = code;
    box.dataset.seq = String(++messageSeq);
  }

  function ticketListText(tickets) {
    if (!Array.isArray(tickets) || tickets.length === 0) return '';
    return tickets.map((t) => `${groupLabel(groupOf(t))} ${numberOf(t)}`).join(', ');
  }

  function errorText(err, action) {
    let text = err.serverMessage || CLIENT_TEXT[err.code] || `요청을 처리하지 못했습니다. (${err.code})`;
    if (err.code === 'PURCHASE_DUPLICATED') {
      const list = ticketListText(err.body && err.body.tickets);
      if (list) text += ` (${list})`;
    }
    const next = NEXT_STEP[err.code];
    if (next && !text.includes(next)) text += ` ${next}`;
    return action ? `${action}: ${text}` : text;
  }

  function showError(err, action) {
    if (!(err instanceof ApiError)) {
      console.error(err);
      showMessage(`예상하지 못한 오류가 발생했습니다. ${action || ''}`.trim(), { kind: 'error', code: 'CLIENT_ERROR' });
      return;
    }
    if (err.code === 'UNAUTHORIZED' && state.token) signOut({ quiet: true });
    showMessage(errorText(err, action), { kind: 'error', code: err.code });
  }

  // Runs an action with its button disabled, so a double click sends one request.
  async function withBusy(button, fn) {
    if (button && button.dataset.busy === '1') return;
    if (button) { button.dataset.busy = '1'; button.disabled = true; button.setAttribute('aria-busy', 'true'); }
    try {
      await fn();
    } finally {
      if (button) { delete button.dataset.busy; button.disabled = false; button.removeAttribute('aria-busy'); }
      renderCartControls();
    }
  }

  // ---- Account ---------------------------------------------------------------------------------
  function decodeClaims(token) {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    try {
      const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
      const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
      const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
      const claims = JSON.parse(new TextDecoder().decode(bytes));
      return claims && typeof claims === 'object' ? claims : null;
    } catch {
      return null;
    }
  }

  function renderAccount() {
    const who = $('#signed-in-user');
    if (state.token) {
      const c = state.claims || {};
      const id = c.id !== undefined ? String(c.id) : '';
      who.textContent = c.name ? `${c.name} (${id})님` : `${id || '사용자'}님`;
      who.dataset.userId = id;
    } else {
      who.textContent = '로그인 전';
      who.dataset.userId = '';
    }
    $('#session-row').hidden = !state.token;
    $('#login-form').hidden = Boolean(state.token);
    $('#signup-box').hidden = Boolean(state.token);
    if (state.token) $('#verify-form').hidden = true;
    // Once signed in the demo form only takes room; it comes back on sign-out (when the server offers it).
    // Pasting a token is for demo servers only: elsewhere buyers sign in with their account.
    $('#demo-login-form').hidden = Boolean(state.token) || !demoAvailable;
    $('#token-form').hidden = !demoAvailable || Boolean(state.session && state.session.kind === 'account');
    $('#token-save').textContent = state.token ? '토큰 바꾸기' : '토큰으로 로그인';
    renderBalance();
  }

  function renderBalance() {
    const text = state.balance === null ? '-' : won(state.balance);
    $('#balance').textContent = text;
    $('#balance').dataset.value = state.balance === null ? '' : String(state.balance);
    $('#wallet-balance').textContent = text;
  }

  async function signIn(token, { announce = true } = {}) {
    if (!demoAvailable) return false;
    token = token.trim().replace(/^Bearer\s+/i, '');
    const claims = decodeClaims(token);
    if (!claims) {
      showMessage('토큰 형식이 올바르지 않습니다. 점(.)으로 나뉜 세 부분으로 된 JWT를 붙여 넣어 주세요.', { kind: 'error', code: 'INVALID_TOKEN' });
      return false;
    }
    const previous = { token: state.token, claims: state.claims, session: state.session };
    if (state.session && state.session.kind === 'account') endAccountSession();
    state.token = token;
    state.claims = claims;
    state.session = { kind: 'token' };
    try {
      const wallet = await api('GET', '/api/v1/wallet');
      state.balance = wallet.balance;
    } catch (err) {
      if (err.code === 'UNAUTHORIZED') {
        state.token = previous.token;
        state.claims = previous.claims;
        state.session = previous.session && previous.session.kind === 'token' ? previous.session : null;
        showMessage(errorText(err), { kind: 'error', code: 'UNAUTHORIZED' });
        renderAccount();
        return false;
      }
      showError(err, '잔액 조회');
    }
    localStorage.setItem(TOKEN_KEY, token);
    $('#token-input').value = '';
    renderAccount();
    if (announce) showMessage(`${$('#signed-in-user').textContent} 로그인되었습니다.`, { kind: 'ok' });
    await Promise.allSettled([loadCart(), loadTickets(), loadWithdrawals(), loadAnnuities()]);
    return true;
  }

  function signOut({ quiet = false } = {}) {
    if (state.session && state.session.kind === 'account' && state.token) {
      // Ends the sign-in on the server too; the page is signed out whatever it answers.
      api('POST', '/api/v1/auth/logout', { retry: false }).catch(() => {});
    }
    endAccountSession();
    state.token = null;
    state.claims = null;
    state.session = null;
    state.balance = null;
    state.cart = [];
    localStorage.removeItem(TOKEN_KEY);
    renderAccount();
    renderCart();
    renderTickets(null);
    $('#withdrawals').replaceChildren();
    renderAnnuities(null);
    if (!quiet) showMessage('로그아웃되었습니다.', { kind: 'info' });
  }

  async function probeDemo() {
    try {
      await api('POST', '/api/v1/demo/token', { body: {}, auth: false });
    } catch (err) {
      if (err.status === 404 || err.status === 0) hideDemo();
    }
  }
  let demoAvailable = true;
  function hideDemo() {
    demoAvailable = false;
    $('#demo-login-form').hidden = true;
    $('#token-form').hidden = true;
  }

  // ---- Accounts: sign-up, e-mail code, login, refresh ------------------------------------------
  // The access token lives in memory only and is refreshed a minute before it lapses (and on a
  // 401). The refresh token is kept for this tab (sessionStorage) so a reload stays signed in.
  // Refresh tokens work once: refreshSession() runs one refresh at a time, or the second would
  // present a spent token and the server would end the whole sign-in.
  let refreshTimer = null;
  let refreshing = null;

  function adoptTokens(data) {
    state.token = data.accessToken;
    state.claims = decodeClaims(data.accessToken);
    state.session = { kind: 'account', refreshToken: data.refreshToken };
    sessionStorage.setItem(REFRESH_KEY, data.refreshToken);
    clearTimeout(refreshTimer);
    const seconds = Math.max(10, (Number(data.expiresIn) || 900) - 60);
    refreshTimer = setTimeout(() => { refreshSession(); }, seconds * 1000);
  }

  function endAccountSession() {
    clearTimeout(refreshTimer);
    refreshTimer = null;
    sessionStorage.removeItem(REFRESH_KEY);
  }

  function refreshSession() {
    if (!state.session || state.session.kind !== 'account') return Promise.resolve(false);
    if (!refreshing) {
      const refreshToken = state.session.refreshToken;
      refreshing = (async () => {
        try {
          adoptTokens(await api('POST', '/api/v1/auth/refresh', { body: { refreshToken }, auth: false }));
          renderAccount();
          return true;
        } catch (err) {
          if (err.status === 401) signOut({ quiet: true });
          return false;
        } finally {
          refreshing = null;
        }
      })();
    }
    return refreshing;
  }

  async function startAccountSession(data, { announce = true } = {}) {
    localStorage.removeItem(TOKEN_KEY);
    adoptTokens(data);
    try {
      state.balance = (await api('GET', '/api/v1/wallet')).balance;
    } catch (err) {
      showError(err, '잔액 조회');
    }
    $('#verify-form').hidden = true;
    renderAccount();
    if (announce) showMessage(`${$('#signed-in-user').textContent} 로그인되었습니다.`, { kind: 'ok' });
    await Promise.allSettled([loadCart(), loadTickets(), loadWithdrawals(), loadAnnuities()]);
  }

  function showVerify(email) {
    $('#verify-email').textContent = email;
    $('#verify-form').dataset.email = email;
    $('#verify-form').hidden = false;
    $('#verify-code').value = '';
    $('#verify-code').focus();
  }

  async function sendCode(email) {
    try {
      await api('POST', '/api/v1/auth/verification', { body: { email }, auth: false });
    } catch (err) {
      showError(err, '인증 코드 발송');
      return false;
    }
    showMessage(`${email}(으)로 인증 코드를 보냈습니다. 10분 안에 입력해 주세요.`, { kind: 'ok', code: 'CODE_SENT' });
    return true;
  }

  async function signUp(fields) {
    try {
      await api('POST', '/api/v1/auth/signup', { body: fields, auth: false });
    } catch (err) {
      showError(err, '회원가입');
      return;
    }
    $('#signup-password').value = '';
    $('#signup-box').open = false;
    $('#login-email').value = fields.email;
    showVerify(fields.email);
    await sendCode(fields.email);
  }

  async function confirmCode(email, code) {
    try {
      await api('POST', '/api/v1/auth/verification/confirm', { body: { email, code }, auth: false });
    } catch (err) {
      showError(err, '이메일 인증');
      return;
    }
    $('#verify-form').hidden = true;
    $('#login-email').value = email;
    showMessage('이메일 인증이 완료되었습니다. 로그인해 주세요.', { kind: 'ok', code: 'VERIFIED' });
    $('#login-password').focus();
  }

  async function accountLogin(email, password) {
    let data;
    try {
      data = await api('POST', '/api/v1/auth/login', { body: { email, password }, auth: false });
    } catch (err) {
      if (err.code === 'EMAIL_NOT_VERIFIED') {
        showVerify(email);
        if (await sendCode(email)) showMessage(`${errorText(err)} (${email})`, { kind: 'error', code: err.code });
        return;
      }
      showError(err, '로그인');
      return;
    }
    $('#login-password').value = '';
    if (state.token) signOut({ quiet: true });
    await startAccountSession(data);
  }

  async function restoreSession() {
    const refreshToken = sessionStorage.getItem(REFRESH_KEY);
    if (refreshToken) {
      try {
        const data = await api('POST', '/api/v1/auth/refresh', { body: { refreshToken }, auth: false });
        await startAccountSession(data, { announce: false });
        return;
      } catch {
        sessionStorage.removeItem(REFRESH_KEY);
      }
    }
    const saved = localStorage.getItem(TOKEN_KEY);
    if (saved && demoAvailable) await signIn(saved, { announce: false });
    else if (saved) localStorage.removeItem(TOKEN_KEY);
  }

  // The server makes a new demo visitor each time (its id comes back with the token).
  async function demoLogin(name) {
    const body = {};
    if (name) body.name = name;
    let data;
    try {
      data = await api('POST', '/api/v1/demo/token', { body, auth: false });
    } catch (err) {
      if (err.status === 404) {
        hideDemo();
        showMessage('이 서버는 데모 모드가 아닙니다. 발급받은 토큰으로 로그인해 주세요.', { kind: 'error', code: err.code });
        $('#token-input').focus();
        return;
      }
      showError(err, '데모 로그인');
      return;
    }
    if (!data || typeof data.token !== 'string') {
      showMessage('데모 토큰을 받지 못했습니다.', { kind: 'error', code: 'INVALID_RESPONSE' });
      return;
    }
    await signIn(data.token);
  }

  async function refreshWallet() {
    if (!state.token) return;
    try {
      const wallet = await api('GET', '/api/v1/wallet');
      state.balance = wallet.balance;
      renderBalance();
    } catch (err) {
      showError(err, '잔액 조회');
    }
  }

  // Whether a charge of `amount` may be sent: signed in, a positive whole number of won (else says why).
  function chargeable(amount) {
    if (!state.token) { showMessage(CLIENT_TEXT.NOT_SIGNED_IN, { kind: 'error', code: 'NOT_SIGNED_IN' }); return false; }
    if (!Number.isInteger(amount) || amount <= 0) {
      showMessage('충전 금액은 1원 이상의 정수로 입력해 주세요.', { kind: 'error', code: 'INVALID_AMOUNT' });
      return false;
    }
    return true;
  }

  async function deposit(amount) {
    if (!chargeable(amount)) return;
    try {
      const data = await api('POST', '/api/v1/wallet/deposit', { body: { amount } });
      state.balance = data.balance;
      renderBalance();
      showMessage(`${won(amount)}을 충전했습니다. 잔액 ${won(data.balance)}`, { kind: 'ok' });
    } catch (err) {
      if (err.code === 'FORBIDDEN') {
        showMessage(`${errorText(err, '충전')} 스스로 충전은 데모 모드에서만 됩니다.`, { kind: 'error', code: err.code });
        return;
      }
      showError(err, '충전');
    }
  }

  // ---- Money in and out: the payment provider and withdrawals ------------------------------------
  // The provider's flow: the server creates an order (it fixes the amount), the buyer pays in the
  // provider's window, and the provider sends the browser back with ?paymentKey&orderId&amount,
  // which the page confirms. In demo mode the server's provider is the test stand-in, which
  // approves any payment key, so the page completes the order itself.
  async function confirmPayment(orderId, paymentKey, amount) {
    try {
      const data = await api('POST', '/api/v1/payments/confirm', { body: { orderId, paymentKey, amount } });
      state.balance = data.balance;
      renderBalance();
      showMessage(`결제가 승인되어 ${won(data.amount)}을 충전했습니다. 잔액 ${won(data.balance)}`, { kind: 'ok' });
    } catch (err) {
      if (err.code === 'SERVER_ERROR' || err.code === 'SERVICE_UNAVAILABLE') {
        showMessage('결제 결과를 아직 확인하지 못했습니다. 확인되는 대로 예치금에 반영됩니다.',
          { kind: 'error', code: 'PAYMENT_PENDING' });
        return;
      }
      showError(err, '결제');
    }
  }

  async function charge(amount) {
    if (!chargeable(amount)) return;
    let order;
    try {
      order = await api('POST', '/api/v1/payments/orders', { body: { amount } });
    } catch (err) {
      showError(err, '결제 주문');
      return;
    }
    if (!demoAvailable) {
      showMessage(`주문 ${order.orderId} (${won(order.amount)})을 만들었습니다. 결제창에서 결제를 마쳐 주세요.`, { kind: 'info' });
      return;
    }
    await confirmPayment(order.orderId, `demo_${order.orderId}`, order.amount);
  }

  // The provider's redirect back to the page after a payment.
  async function confirmReturnedPayment() {
    const q = new URLSearchParams(window.location.search);
    const orderId = q.get('orderId');
    const paymentKey = q.get('paymentKey');
    const amount = Number(q.get('amount'));
    if (!orderId || !paymentKey || !state.token) return;
    window.history.replaceState(null, '', window.location.pathname);
    await confirmPayment(orderId, paymentKey, amount);
  }

  const WITHDRAWAL_STATUS = { REQUESTED: '신청됨', PAID: '지급됨', FAILED: '실패(환불됨)' };

  async function loadWithdrawals() {
    const list = $('#withdrawals');
    list.replaceChildren();
    if (!state.token) return;
    let rows;
    try {
      rows = await api('GET', '/api/v1/wallet/withdrawals?limit=20');
    } catch (err) {
      showError(err, '출금 내역');
      return;
    }
    for (const w of rows) {
      const li = document.createElement('li');
      li.dataset.id = String(w.withdrawalId);
      li.dataset.status = w.status;
      li.textContent = `${won(w.amount)} · ${WITHDRAWAL_STATUS[w.status] || w.status} · ${formatInstant(w.createdAt)}`;
      list.append(li);
    }
  }

  async function withdraw(fields) {
    if (!state.token) { showMessage(CLIENT_TEXT.NOT_SIGNED_IN, { kind: 'error', code: 'NOT_SIGNED_IN' }); return; }
    try {
      const data = await api('POST', '/api/v1/wallet/withdrawals',
        { body: fields, headers: { 'Idempotency-Key': newIdempotencyKey() } });
      state.balance = data.balance;
      renderBalance();
      showMessage(`${won(data.amount)} 출금을 신청했습니다. 잔액 ${won(data.balance)}`, { kind: 'ok' });
    } catch (err) {
      showError(err, '출금 신청');
    }
    await loadWithdrawals();
  }

  // ---- Round -----------------------------------------------------------------------------------
  async function loadRound({ quiet = false } = {}) {
    try {
      const data = await api('GET', '/api/v1/pension/rounds/current', { auth: false });
      learnClockFromBody(data);
      const changed = !state.round || state.round.round !== data.round || state.round.salesOpen !== data.salesOpen;
      state.round = data;
      renderRound();
      if (changed) {
        fillRoundSelector();
        loadLastDraw();
        // Items of a round whose sales closed leave the cart; show what the server kept.
        if (state.token) loadCart();
      }
      return true;
    } catch (err) {
      if (!quiet) showError(err, '회차 정보');
      return false;
    }
  }

  function renderRound() {
    const r = state.round;
    if (!r) return;
    $('#round').textContent = `제 ${r.round}회`;
    $('#round').dataset.value = String(r.round);
    $('#sales-status').textContent = r.salesOpen ? '판매 중' : '판매 마감 (다음 회차 준비 중)';
    $('#sales-status').dataset.open = r.salesOpen ? 'true' : 'false';
    $('#sales-close-at').textContent = formatInstant(r.salesCloseAt);
    $('#draw-at').textContent = formatInstant(r.drawAt);
    tickCountdown();
  }

  let roundRefreshPending = false;
  function tickCountdown() {
    const r = state.round;
    const box = $('#countdown');
    if (!r) return;
    $('#countdown-label').textContent = r.salesOpen ? '판매 마감까지' : '지금은';
    if (!r.salesOpen) {
      box.textContent = '판매 시간이 아닙니다';
      box.dataset.remaining = '0';
      return;
    }
    const remaining = Date.parse(r.salesCloseAt) - nowMs();
    box.textContent = remaining > 0 ? formatRemaining(remaining) : '마감';
    box.dataset.remaining = String(Math.max(0, Math.floor(remaining / 1000)));
    if (remaining <= 0 && !roundRefreshPending) {
      roundRefreshPending = true;
      loadRound({ quiet: true }).finally(() => { roundRefreshPending = false; });
    }
  }

  // ---- Number picking --------------------------------------------------------------------------
  const digitInputs = () => Array.from(document.querySelectorAll('.digit'));

  function selectedGroup() {
    const checked = document.querySelector('input[name="group"]:checked');
    return checked ? Number(checked.value) : 1;
  }

  function readDigits() {
    const values = digitInputs().map((i) => i.value);
    return values.every((v) => /^[0-9]$/.test(v)) ? values.map(Number) : null;
  }

  function clearDigits() {
    for (const i of digitInputs()) i.value = '';
  }

  function setupDigits() {
    const inputs = digitInputs();
    inputs.forEach((input, idx) => {
      input.addEventListener('focus', () => input.select());
      input.addEventListener('keydown', (e) => {
        if (e.isComposing || e.ctrlKey || e.metaKey || e.altKey) return;
        if (/^[0-9]$/.test(e.key)) {
          e.preventDefault();
          input.value = e.key;
          if (idx < inputs.length - 1) inputs[idx + 1].focus();
        } else if (e.key === 'Backspace') {
          e.preventDefault();
          if (input.value) input.value = '';
          else if (idx > 0) { inputs[idx - 1].value = ''; inputs[idx - 1].focus(); }
        } else if (e.key === 'Delete') {
          e.preventDefault();
          input.value = '';
        } else if (e.key === 'ArrowLeft' && idx > 0) {
          e.preventDefault();
          inputs[idx - 1].focus();
        } else if (e.key === 'ArrowRight' && idx < inputs.length - 1) {
          e.preventDefault();
          inputs[idx + 1].focus();
        } else if (e.key === 'Home') {
          e.preventDefault();
          inputs[0].focus();
        } else if (e.key === 'End') {
          e.preventDefault();
          inputs[inputs.length - 1].focus();
        }
      });
      // Virtual keyboards (no usable keydown) and anything else that changes the value.
      input.addEventListener('input', () => {
        const digits = input.value.replace(/\D/g, '');
        if (digits.length > 1) {
          // Several digits at once (paste, autofill): spread them from here on.
          let j = idx;
          for (const d of digits) { if (j >= inputs.length) break; inputs[j++].value = d; }
          inputs[Math.min(j, inputs.length - 1)].focus();
          return;
        }
        input.value = digits;
        if (digits && idx < inputs.length - 1) inputs[idx + 1].focus();
      });
      input.addEventListener('paste', (e) => {
        const text = (e.clipboardData && e.clipboardData.getData('text')) || '';
        const digits = text.replace(/\D/g, '');
        if (!digits) return;
        e.preventDefault();
        let j = idx;
        for (const d of digits) { if (j >= inputs.length) break; inputs[j++].value = d; }
        inputs[Math.min(j, inputs.length - 1)].focus();
      });
    });

    $('#keypad').addEventListener('click', (e) => {
      const key = e.target.closest('button[data-key]');
      if (!key) return;
      const k = key.dataset.key;
      const values = inputs.map((i) => i.value);
      if (k === 'clear') {
        clearDigits();
      } else if (k === 'back') {
        for (let j = inputs.length - 1; j >= 0; j--) if (values[j]) { inputs[j].value = ''; break; }
      } else {
        const empty = values.findIndex((v) => !v);
        if (empty === -1) {
          showMessage('여섯 자리를 모두 입력했습니다. 지우려면 ← 또는 초기화를 누르세요.', { kind: 'info' });
        } else {
          inputs[empty].value = k;
        }
      }
    });
  }

  async function addToCart({ auto }) {
    if (!state.token) { showMessage(CLIENT_TEXT.NOT_SIGNED_IN, { kind: 'error', code: 'NOT_SIGNED_IN' }); return; }
    const group = selectedGroup();
    const body = { round: null, group };
    if (auto) {
      body.auto = true;
    } else {
      const digits = readDigits();
      if (!digits) {
        showMessage('번호 여섯 자리를 모두 입력해 주세요.', { kind: 'error', code: 'INCOMPLETE_NUMBER' });
        const firstEmpty = digitInputs().find((i) => !/^[0-9]$/.test(i.value));
        if (firstEmpty) firstEmpty.focus();
        return;
      }
      DIGIT_KEYS.forEach((k, i) => { body[k] = digits[i]; });
    }
    if (!state.round && !(await loadRound())) return;
    body.round = state.round.round;
    const wasTypingDigits = document.activeElement && document.activeElement.classList.contains('digit');
    try {
      const items = await api('POST', '/api/v1/pension/selected', { body });
      const list = Array.isArray(items) ? items : [];
      const number = list.length ? numberOf(list[0]) : (auto ? '' : DIGIT_KEYS.map((k) => body[k]).join(''));
      const what = `${groupLabel(group)} ${number}`.trim();
      const count = list.length > 1 ? ` (${list.length}장)` : '';
      showMessage(`${auto ? '자동번호 ' : ''}${what}${count}을(를) 장바구니에 담았습니다.`, { kind: 'ok' });
      if (!auto) {
        clearDigits();
        if (wasTypingDigits) digitInputs()[0].focus();
      }
      await loadCart();
    } catch (err) {
      showError(err, '장바구니 담기');
      if (err.code === 'TIME_OUT') loadRound({ quiet: true });
    }
  }

  // ---- Cart ------------------------------------------------------------------------------------
  async function loadCart() {
    if (!state.token) { state.cart = []; renderCart(); return; }
    try {
      const items = await api('GET', '/api/v1/pension/selected');
      state.cart = Array.isArray(items) ? items : [];
      renderCart();
    } catch (err) {
      showError(err, '장바구니 조회');
    }
  }

  function renderCart() {
    const list = $('#cart-list');
    const focusedId = document.activeElement && document.activeElement.closest && document.activeElement.closest('#cart-list li')
      ? document.activeElement.closest('#cart-list li').dataset.id : null;
    list.replaceChildren(...state.cart.map((item) => {
      const group = groupOf(item);
      const number = numberOf(item);
      const label = `${groupLabel(group)} ${number}`;
      return el('li', { class: 'item', dataset: { id: String(item.selectedNumberId), group: String(group), number } },
        el('span', { class: 'ticket' },
          el('span', { class: 'group-tag', text: groupLabel(group) }),
          el('span', { class: 'number', text: number })),
        el('span', { class: 'hold', dataset: { expires: item.holdExpiresAt || '' } }),
        el('button', {
          type: 'button', class: 'remove secondary small', 'data-testid': 'cart-remove',
          'aria-label': `${label} 빼기`, text: '빼기',
          onclick: (e) => withBusy(e.currentTarget, () => removeItem(item)),
        }));
    }));
    const n = state.cart.length;
    $('#cart-count').textContent = `${n}장`;
    $('#cart-count').dataset.value = String(n);
    $('#cart-total').textContent = won(n * PRICE);
    $('#cart-empty').hidden = n > 0;
    tickHolds();
    renderCartControls();
    if (focusedId) {
      const again = list.querySelector(`li[data-id="${CSS.escape(focusedId)}"] button`);
      (again || $('#cart-clear')).focus();
    }
  }

  function renderCartControls() {
    const checkout = $('#checkout');
    if (checkout.dataset.busy !== '1') checkout.disabled = state.cart.length === 0;
    const clear = $('#cart-clear');
    if (clear.dataset.busy !== '1') clear.disabled = state.cart.length === 0;
  }

  function tickHolds() {
    for (const span of document.querySelectorAll('#cart-list .hold')) {
      const expires = span.dataset.expires;
      if (!expires) { span.textContent = '보류 없음'; span.dataset.state = 'none'; continue; }
      const left = Date.parse(expires) - nowMs();
      if (Number.isNaN(left)) { span.textContent = ''; continue; }
      if (left > 0) {
        span.textContent = `보류 ${formatShortRemaining(left)} 남음`;
        span.dataset.state = left < 60000 ? 'soon' : 'held';
      } else {
        span.textContent = '보류 만료 (구매 시 다시 확인)';
        span.dataset.state = 'expired';
      }
    }
  }

  async function removeItem(item) {
    try {
      await api('DELETE', `/api/v1/pension/selected/${encodeURIComponent(item.selectedNumberId)}`);
      showMessage(`${groupLabel(groupOf(item))} ${numberOf(item)}을(를) 장바구니에서 뺐습니다.`, { kind: 'ok' });
    } catch (err) {
      showError(err, '장바구니에서 빼기');
    }
    await loadCart();
  }

  async function clearCart() {
    if (!state.token) { showMessage(CLIENT_TEXT.NOT_SIGNED_IN, { kind: 'error', code: 'NOT_SIGNED_IN' }); return; }
    try {
      await api('DELETE', '/api/v1/pension/selected');
      showMessage('장바구니를 비웠습니다.', { kind: 'ok' });
    } catch (err) {
      showError(err, '장바구니 비우기');
    }
    await loadCart();
  }

  function newIdempotencyKey() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    // crypto.randomUUID needs a secure context; getRandomValues does not.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  async function checkout() {
    if (!state.token) { showMessage(CLIENT_TEXT.NOT_SIGNED_IN, { kind: 'error', code: 'NOT_SIGNED_IN' }); return; }
    // One key per click; kept only when no answer came back, so a retry of a lost request charges once.
    if (!state.checkoutKey) state.checkoutKey = newIdempotencyKey();
    const key = state.checkoutKey;
    try {
      const data = await api('POST', '/api/v1/pension/purchased', { headers: { 'Idempotency-Key': key } });
      state.checkoutKey = null;
      state.balance = data.balance;
      renderBalance();
      const n = Array.isArray(data.tickets) ? data.tickets.length : 0;
      showMessage(`${n}장을 구매했습니다 (${won(data.amount)}). 남은 예치금 ${won(data.balance)}`, { kind: 'ok' });
      const sel = $('#tickets-round');
      if (data.round && sel.querySelector(`option[value="${data.round}"]`)) sel.value = String(data.round);
      await Promise.allSettled([loadCart(), loadTickets(), loadWithdrawals(), loadAnnuities()]);
    } catch (err) {
      if (err.code !== 'NETWORK') state.checkoutKey = null;
      showError(err, '구매');
      if (['TIME_OUT', 'PURCHASE_DUPLICATED', 'TICKET_HELD', 'SELECT_NO_TICKET', 'MAX_SELECTED'].includes(err.code)) {
        loadCart();
      }
      if (err.code === 'TIME_OUT') loadRound({ quiet: true });
      if (err.code === 'NOT_ENOUGH_MONEY') refreshWallet();
    }
  }

  // ---- Tickets and draws -----------------------------------------------------------------------
  function fillRoundSelector() {
    const sel = $('#tickets-round');
    const current = state.round && state.round.round;
    if (!current) return;
    const previous = sel.value;
    const options = [];
    for (let n = current; n >= Math.max(1, current - ROUND_HISTORY + 1); n--) {
      options.push(el('option', { value: String(n), text: n === current ? `${n}회 (이번 회차)` : `${n}회` }));
    }
    sel.replaceChildren(...options);
    sel.value = previous && sel.querySelector(`option[value="${previous}"]`) ? previous : String(current);
    if (state.token) loadTickets();
    else loadTicketsDraw();
  }

  // A list of the signed-in user's, loaded by GET `path`: a newer load supersedes one still on the
  // way; a failure is shown as `action`'s.
  function listLoader(render, action) {
    let seq = 0;
    return async (path) => {
      const req = ++seq;
      try {
        const items = await api('GET', path);
        if (req === seq) render(Array.isArray(items) ? items : []);
      } catch (err) {
        if (req === seq) showError(err, action);
      }
    };
  }

  // One list of the page: `signedOut` when there is nothing to show yet (items null), `none` when
  // it is empty, else a row per item.
  function renderList(listSelector, emptySelector, items, { signedOut, none, row }) {
    const list = $(listSelector);
    const empty = $(emptySelector);
    if (items === null) {
      list.replaceChildren();
      empty.textContent = signedOut;
      empty.hidden = false;
      return;
    }
    empty.textContent = none;
    empty.hidden = items.length > 0;
    list.replaceChildren(...items.map(row));
  }

  const fetchTickets = listLoader((tickets) => renderTickets(tickets), '내 복권 조회');
  function loadTickets() {
    const round = Number($('#tickets-round').value) || (state.round && state.round.round);
    loadTicketsDraw();
    if (!state.token || !round) { renderTickets(null); return; }
    return fetchTickets(`/api/v1/pension/purchased?round=${encodeURIComponent(round)}`);
  }

  function ticketRow(t) {
    const group = groupOf(t);
    const number = numberOf(t);
    const result = Number(t.result ?? 0);
    return el('li', {
      class: 'item', dataset: { ticketId: String(t.ticketId ?? ''), group: String(group), number, result: String(result) },
    },
    el('span', { class: 'ticket' },
      el('span', { class: 'group-tag', text: groupLabel(group) }),
      el('span', { class: 'number', text: number })),
    el('span', { class: `result r${result < 0 ? 'lose' : result}`, text: resultLabel(result) }),
    el('span', { class: 'meta', text: (t.createdAt ?? t.createAt) ? `구매 ${formatInstant(t.createdAt ?? t.createAt)}` : '' }));
  }

  function renderTickets(tickets) {
    renderList('#my-tickets', '#tickets-empty', tickets, {
      signedOut: state.token ? '불러오는 중…' : '로그인하면 구매한 복권을 볼 수 있습니다.',
      none: '이 회차에 구매한 복권이 없습니다.',
      row: ticketRow,
    });
  }

  // ---- Annuities (연금 지급): each annuity's schedule — paid, remaining, next date, net a month ----
  const fetchAnnuities = listLoader((list) => renderAnnuities(list), '연금 조회');
  function loadAnnuities() {
    if (!state.token) { renderAnnuities(null); return; }
    return fetchAnnuities('/api/v1/pension/annuities');
  }

  const annuityRow = (a) => el('li', {
    class: 'item annuity',
    dataset: { ticketId: String(a.ticketId), paid: String(a.paidMonths), remaining: String(a.remainingMonths) },
  },
  el('span', { class: `result r${a.result}`, text: `제 ${a.round}회 ${resultLabel(a.result)}` }),
  el('span', { class: 'annuity-paid', text: `${a.paidMonths} / ${a.months}개월 지급` }),
  el('span', { class: 'annuity-remaining', text: `남은 ${a.remainingMonths}개월` }),
  el('span', { class: 'annuity-next', text: a.nextPaymentDate ? `다음 지급 ${formatDate(a.nextPaymentDate)}` : '지급 완료' }),
  el('span', { class: 'annuity-net', text: `월 실수령 ${won(a.monthlyNet)} (세전 ${won(a.monthlyAmount)})` }));

  function renderAnnuities(list) {
    renderList('#my-annuities', '#annuities-empty', list, {
      signedOut: '로그인하면 연금 지급 일정을 볼 수 있습니다.',
      none: '받고 있는 연금이 없습니다.',
      row: annuityRow,
    });
  }

  async function fetchDraw(round) {
    try {
      return await api('GET', `/api/v1/pension/draws/${encodeURIComponent(round)}`, { auth: false });
    } catch (err) {
      if (err.status === 404) return null;
      throw err;
    }
  }

  function renderDraw(box, round, draw, { winners: showWinners = true } = {}) {
    if (!draw) {
      box.replaceChildren(el('p', { class: 'pending', text: `제 ${round}회 추첨 전` }));
      box.dataset.round = String(round);
      box.dataset.drawn = 'false';
      return;
    }
    const balls = (digits, cls) => el('span', { class: `balls ${cls}` },
      ...String(digits).split('').map((d) => el('span', { class: 'ball', text: d })));
    const winners = Array.isArray(draw.winners) ? draw.winners : [];
    const table = showWinners && winners.length ? el('table', { class: 'winners' },
      el('caption', { text: '등수별 당첨' }),
      el('thead', {}, el('tr', {},
        el('th', { scope: 'col', text: '등수' }), el('th', { scope: 'col', text: '당첨 수' }), el('th', { scope: 'col', text: '당첨금' }))),
      el('tbody', {}, ...winners.map((w) => el('tr', {},
        el('th', { scope: 'row', text: resultLabel(w.result) }),
        el('td', { text: `${Number(w.count).toLocaleString('ko-KR')}장` }),
        el('td', { text: [1, 2, 8].includes(Number(w.result)) ? `월 ${won(w.amount)}` : won(w.amount) }))))) : null;
    box.replaceChildren(
      el('p', { class: 'draw-title', text: `제 ${draw.round}회 · ${formatDate(draw.drawDate)}` }),
      el('p', { class: 'draw-line' },
        el('span', { class: 'draw-label', text: '1등' }),
        el('span', { class: 'group-tag', text: groupLabel(draw.group) }),
        balls(draw.number, 'win')),
      el('p', { class: 'draw-line' },
        el('span', { class: 'draw-label', text: '보너스' }),
        el('span', { class: 'group-tag', text: '각 조' }),
        balls(draw.bonus, 'bonus')),
      table);
    box.dataset.round = String(draw.round);
    box.dataset.drawn = 'true';
  }

  async function loadLastDraw() {
    const r = state.round;
    if (!r) return;
    // While a round is on sale the last draw is the previous round's; between 17:00 and 21:00 on a draw
    // day the current round is the one being drawn.
    const round = r.salesOpen ? r.round - 1 : r.round;
    const box = $('#last-draw');
    if (round < 1) { box.textContent = '지난 추첨이 없습니다.'; return; }
    try {
      renderDraw(box, round, await fetchDraw(round));
    } catch (err) {
      box.textContent = '추첨 결과를 불러오지 못했습니다.';
    }
  }

  async function loadTicketsDraw() {
    const round = Number($('#tickets-round').value);
    const box = $('#tickets-draw');
    if (!round) { box.replaceChildren(); return; }
    try {
      const draw = await fetchDraw(round);
      if (Number($('#tickets-round').value) === round) renderDraw(box, round, draw, { winners: false });
    } catch {
      box.textContent = '추첨 결과를 불러오지 못했습니다.';
    }
  }

  // ---- Wiring ----------------------------------------------------------------------------------
  function wire() {
    $('#token-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const token = $('#token-input').value;
      if (!token.trim()) {
        showMessage('토큰을 붙여 넣어 주세요.', { kind: 'error', code: 'INVALID_TOKEN' });
        $('#token-input').focus();
        return;
      }
      withBusy($('#token-save'), () => signIn(token));
    });
    $('#sign-out').addEventListener('click', () => signOut());

    $('#login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const email = $('#login-email').value.trim();
      const password = $('#login-password').value;
      if (!email || !password) {
        showMessage('이메일과 비밀번호를 입력해 주세요.', { kind: 'error', code: 'INVALID_REQUEST' });
        return;
      }
      withBusy($('#login-button'), () => accountLogin(email, password));
    });
    $('#signup-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const fields = {
        email: $('#signup-email').value.trim(),
        password: $('#signup-password').value,
        name: $('#signup-name').value.trim(),
        birthDate: $('#signup-birth').value,
      };
      withBusy($('#signup-button'), () => signUp(fields));
    });
    $('#verify-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const code = $('#verify-code').value.trim();
      if (!/^\d{6}$/.test(code)) {
        showMessage('인증 코드는 숫자 6자리입니다.', { kind: 'error', code: 'INVALID_REQUEST' });
        return;
      }
      withBusy($('#verify-button'), () => confirmCode($('#verify-form').dataset.email, code));
    });
    $('#verify-resend').addEventListener('click', (e) => {
      withBusy(e.currentTarget, () => sendCode($('#verify-form').dataset.email));
    });

    $('#demo-login-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const name = $('#demo-name').value.trim();
      withBusy($('#demo-login-button'), () => demoLogin(name));
    });

    $('#deposit-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const amount = Number($('#deposit-amount').value);
      withBusy($('#deposit-button'), () => deposit(amount));
    });

    $('#charge-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const amount = Number($('#charge-amount').value);
      withBusy($('#charge-button'), () => charge(amount));
    });
    $('#withdraw-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const fields = {
        amount: Number($('#withdraw-amount').value),
        bankCode: $('#withdraw-bank').value.trim(),
        accountNumber: $('#withdraw-account').value.trim(),
        holderName: $('#withdraw-holder').value.trim(),
      };
      withBusy($('#withdraw-button'), () => withdraw(fields));
    });

    $('#select-form').addEventListener('submit', (e) => {
      e.preventDefault();
      withBusy($('#add-to-cart'), () => addToCart({ auto: false }));
    });
    $('#add-auto').addEventListener('click', (e) => withBusy(e.currentTarget, () => addToCart({ auto: true })));

    $('#checkout').addEventListener('click', (e) => withBusy(e.currentTarget, checkout));
    $('#cart-clear').addEventListener('click', (e) => withBusy(e.currentTarget, clearCart));

    $('#tickets-round').addEventListener('change', () => loadTickets());
    $('#tickets-refresh').addEventListener('click', (e) => withBusy(e.currentTarget, loadTickets));

    setupDigits();

    setInterval(() => { tickCountdown(); tickHolds(); }, 1000);
    setInterval(() => { loadRound({ quiet: true }); }, 60000);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') {
        loadRound({ quiet: true });
        if (state.token) { loadCart(); refreshWallet(); }
      }
    });
  }

  async function start() {
    wire();
    renderAccount();
    renderCart();
    renderTickets(null);
    renderAnnuities(null);
    await probeDemo();
    renderAccount();
    await loadRound();
    await restoreSession();
    await confirmReturnedPayment();
    await loadWithdrawals();
    document.body.dataset.ready = 'true';
  }

  start();
})();
