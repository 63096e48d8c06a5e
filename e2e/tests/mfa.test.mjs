// Issue 12 in the browser: enrolling an authenticator app (TOTP) on the Security page, the
// sign-in page's second step, and a sign-in policy that sends a user without a factor to enrol.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startServer, launchBrowser, signIn, ARTIFACTS, DEMO_PASSWORD } from './harness.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, '').toUpperCase()) {
    value = ((value << 5) | alphabet.indexOf(c)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** What an authenticator app shows for `secret` at `ms` (RFC 6238: SHA-1, 6 digits, 30 s). */
function totp(secret, ms = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(ms / 1000 / 30)));
  const h = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const o = h[19] & 15;
  const n = ((h[o] & 127) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

async function passwordStep(page, email) {
  await page.goto(`${server.base}/login`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.fill('#email', email);
  await page.fill('#password', DEMO_PASSWORD);
  await page.click('button[type=submit]');
}

test('an MSP admin turns on an authenticator app; then sign-in asks for a code, and a recovery code works once', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, server.base, 'alice@contoso.example', DEMO_PASSWORD);
  await page.click('nav >> text=Security');
  await page.waitForSelector('[data-testid=totp-setup]');
  await page.screenshot({ path: `${ARTIFACTS}/security-off.png` });
  await page.fill('[data-testid=totp-setup] input[name=password]', DEMO_PASSWORD);
  await page.click('[data-testid=totp-setup] button[type=submit]');
  const secret = (await (await page.waitForSelector('[data-testid=totp-secret]')).textContent()).trim();
  assert.match(await page.getAttribute('[data-testid=otpauth-link]', 'href'), /^otpauth:\/\/totp\/Tenantry:alice%40contoso\.example\?/);
  await page.screenshot({ path: `${ARTIFACTS}/security-enrol.png` });
  await page.fill('[data-testid=totp-setup] input[name=code]', totp(secret));
  await page.click('[data-testid=totp-setup] button[type=submit]');
  await page.waitForSelector('[data-testid=recovery-codes]');
  const codes = await page.$$eval('[data-testid=recovery-codes] code', (els) => els.map((e) => e.textContent.trim()));
  assert.equal(codes.length, 10);
  await page.waitForSelector('[data-testid=totp-enrolled]');
  await page.screenshot({ path: `${ARTIFACTS}/security-recovery-codes.png` });
  await page.click('[data-testid=sign-out]');
  await page.waitForURL(`${server.base}/login`);

  // The password alone is not enough: the page asks for the code.
  await passwordStep(page, 'alice@contoso.example');
  await page.waitForSelector('[data-testid=login-code]');
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.screenshot({ path: `${ARTIFACTS}/login-second-step.png` });
  await page.fill('[data-testid=login-code]', '000000');
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=code-error]');
  await page.click('text=Use a recovery code instead');
  await page.fill('[data-testid=login-code]', codes[0]);
  await page.click('button[type=submit]');
  await page.waitForURL(`${server.base}/`);
  await page.waitForSelector('[data-testid=current-user]');
  await context.close();

  // A recovery code is single-use.
  const again = await fetch(`${server.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'alice@contoso.example', password: DEMO_PASSWORD, recovery_code: codes[0] }),
  });
  assert.equal(again.status, 401);
});

test('under the MSP sign-in policy a technician without a factor can only enrol one', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const admin = await context.newPage();
  await signIn(admin, server.base, 'bob@contoso.example', DEMO_PASSWORD);
  const status = await admin.evaluate(async () => {
    const csrf = document.cookie.split('; ').find((c) => c.startsWith('tenantry_csrf=')).split('=')[1];
    const r = await fetch('/api/v1/settings/sign_in_policy', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ value: { require_mfa: true } }),
    });
    return r.status;
  });
  assert.equal(status, 200);
  await context.close();

  const tech = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await tech.newPage();
  await passwordStep(page, 'tom@contoso.example');
  await page.waitForURL(`${server.base}/security`);
  await page.waitForSelector('[data-testid=mfa-enrollment-required]');
  await page.waitForSelector('[data-testid=totp-setup]');
  await page.screenshot({ path: `${ARTIFACTS}/security-policy-enrol.png` });
  // Anything else is refused until a factor is enrolled.
  const other = await page.evaluate(async () => (await fetch('/api/v1/orgs')).status);
  assert.equal(other, 403);
  await page.fill('[data-testid=totp-setup] input[name=password]', DEMO_PASSWORD);
  await page.click('[data-testid=totp-setup] button[type=submit]');
  const secret = (await (await page.waitForSelector('[data-testid=totp-secret]')).textContent()).trim();
  await page.fill('[data-testid=totp-setup] input[name=code]', totp(secret));
  await page.click('[data-testid=totp-setup] button[type=submit]');
  await page.waitForSelector('[data-testid=recovery-codes]');
  assert.equal(await page.evaluate(async () => (await fetch('/api/v1/orgs')).status), 200);
  await tech.close();
});
