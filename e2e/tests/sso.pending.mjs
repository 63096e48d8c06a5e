// NOT YET RUN (the site build did not finish before the deadline of issue 13): named
// `.pending.mjs` so `./dev test` skips it. Run it by name, fix what it finds, then rename it
// to `sso.test.mjs`.
// Issue 13 in the browser: an org admin sets up single sign-on against a real OpenID Connect
// provider (the npm package `oidc-provider`, e2e/oidc/provider.mjs), people sign in
// identity-first — email, then their org's provider — and land signed in (created at the
// first sign-in, found by the provider's subject after); refused accounts are told why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { startServer, launchBrowser, signIn, ARTIFACTS, DEMO_PASSWORD } from './harness.mjs';

const CLIENT_ID = 'tenantry';
const CLIENT_SECRET = 'tenantry-e2e-secret-41c7';

let server;
let browser;
let idp;
let issuer;

/** Starts the provider with the app's callback on 127.0.0.1 and on Acme's subdomain. */
function startProvider(port) {
  const uris = [`http://127.0.0.1:${port}/auth/sso/callback`, `http://acme-contoso.localhost:${port}/auth/sso/callback`];
  const proc = spawn(process.execPath, [new URL('../oidc/provider.mjs', import.meta.url).pathname], {
    env: { ...process.env, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: CLIENT_SECRET, OIDC_REDIRECT_URIS: uris.join(',') },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolve, reject) => {
    proc.on('exit', (code) => reject(new Error(`the provider exited (${code}); is e2e/node_modules/oidc-provider installed?`)));
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (line.startsWith('ISSUER=')) resolve({ proc, issuer: line.slice('ISSUER='.length) });
    });
  });
}

before(async () => {
  // A key to seal client secrets with; the provider is plain http on loopback.
  process.env.TENANTRY_SECRET_KEY = '7e'.repeat(32);
  process.env.TENANTRY_SSO_ALLOW_HTTP = '1';
  server = await startServer();
  ({ proc: idp, issuer } = await startProvider(server.port));
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  idp?.kill('SIGTERM');
  server?.stop();
});

async function freshPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  return { context, page: await context.newPage() };
}

/** At the provider's own sign-in form: sign in there as `login`. */
async function signInAtProvider(page, login) {
  await page.waitForURL((url) => url.href.startsWith(`${issuer}/interaction/`));
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any password');
  await page.click('button[type=submit]');
}

/** Identity-first: type `email` on the sign-in page of `base`, continue at the provider as `login`. */
async function ssoSignIn(page, base, email, login) {
  await page.goto(`${base}/login`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.fill('#email', email);
  const button = await page.waitForSelector('[data-testid=sso-continue]:has-text("Continue with Acme Corp\'s sign-in")');
  await button.click();
  await signInAtProvider(page, login);
}

async function me(page) {
  return page.evaluate(async () => (await fetch('/api/v1/me')).json());
}

test('an org admin sets up SSO; people sign in identity-first at their provider, are created once, then found again', async () => {
  // Carol, Acme's admin, enters the provider's settings.
  const admin = await freshPage();
  await signIn(admin.page, server.base, 'carol@acme.example', DEMO_PASSWORD);
  await admin.page.click('nav >> text=Single sign-on');
  await admin.page.waitForSelector('[data-testid=sso-status]:has-text("No provider yet")');
  await admin.page.fill('[data-testid=sso-form] input[name=issuer]', issuer);
  await admin.page.fill('[data-testid=sso-form] input[name=client_id]', CLIENT_ID);
  await admin.page.fill('[data-testid=sso-form] input[name=client_secret]', CLIENT_SECRET);
  await admin.page.selectOption('[data-testid=sso-form] select[name=default_role]', 'member');
  await admin.page.click('[data-testid=sso-form] button[type=submit]');
  await admin.page.waitForSelector('[data-testid=sso-saved]');
  await admin.page.waitForSelector(`[data-testid=sso-status]:has-text(${JSON.stringify(issuer)})`);
  assert.equal(await admin.page.inputValue('[data-testid=sso-form] input[name=client_secret]'), '', 'the secret is never shown again');
  await admin.page.screenshot({ path: `${ARTIFACTS}/sso-settings.png` });

  // Zoe has no account: she types her address, goes to Acme's provider, and lands signed in.
  const first = await freshPage();
  await ssoSignIn(first.page, server.base, 'zoe@acme.example', 'zoe@acme.example');
  await first.page.waitForURL(`${server.base}/`);
  await first.page.waitForSelector('[data-testid=current-user]:has-text("zoe@acme.example")');
  const zoe = await me(first.page);
  assert.equal(zoe.home_org.name, 'Acme Corp');
  await first.page.screenshot({ path: `${ARTIFACTS}/sso-signed-in.png` });
  await first.context.close();

  // Again, in another browser: the same account, found by the provider's subject.
  const again = await freshPage();
  await ssoSignIn(again.page, server.base, 'zoe@acme.example', 'zoe@acme.example');
  await again.page.waitForSelector('[data-testid=current-user]:has-text("zoe@acme.example")');
  assert.equal((await me(again.page)).user.id, zoe.user.id);
  await again.context.close();

  // She shows up among Acme's people, as the configured role.
  await admin.page.click('nav >> text=People');
  await admin.page.waitForSelector('tr:has-text("zoe@acme.example"):has-text("member")');
  await admin.context.close();
});

test('accounts outside the domain or without a verified address are refused with a clear message', async () => {
  const { context, page } = await freshPage();
  await ssoSignIn(page, server.base, 'zoe@acme.example', 'mallory@fabrikam.example');
  await page.waitForURL(`${server.base}/login?error=sso_domain`);
  await page.waitForSelector('[data-testid=login-error]:has-text("outside your organization\'s domain")');
  await page.screenshot({ path: `${ARTIFACTS}/sso-refused-domain.png` });

  await ssoSignIn(page, server.base, 'yan@acme.example', 'unverified:yan@acme.example');
  await page.waitForURL(`${server.base}/login?error=sso_unverified`);
  await page.waitForSelector('[data-testid=login-error]:has-text("hasn\'t verified your email address")');
  await context.close();
});

test("on Acme's subdomain the sign-in page offers Acme's provider before anything is typed", async () => {
  const tenant = `http://acme-contoso.localhost:${server.port}`;
  const { context, page } = await freshPage();
  await page.goto(`${tenant}/login`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await (await page.waitForSelector('[data-testid=sso-continue]:has-text("Continue with Acme Corp\'s sign-in")')).click();
  await signInAtProvider(page, 'walt@acme.example');
  await page.waitForURL(`${tenant}/`);
  await page.waitForSelector('[data-testid=current-user]:has-text("walt@acme.example")');
  await context.close();
});

test('"SSO only" takes the password away from the org\'s people on the sign-in page', async () => {
  const admin = await freshPage();
  await signIn(admin.page, server.base, 'carol@acme.example', DEMO_PASSWORD);
  await admin.page.click('nav >> text=Single sign-on');
  await admin.page.waitForSelector(`[data-testid=sso-status]:has-text(${JSON.stringify(issuer)})`);
  await admin.page.check('[data-testid=sso-form] input[name=sso_only]');
  await admin.page.click('[data-testid=sso-form] button[type=submit]');
  await admin.page.waitForSelector('[data-testid=sso-status]:has-text("passwords are off")');
  await admin.context.close();

  const { context, page } = await freshPage();
  await page.goto(`${server.base}/login`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.fill('#email', 'dave@acme.example');
  await page.waitForSelector('[data-testid=sso-only]');
  assert.equal(await page.$('#password'), null, 'no password field for Acme');
  await page.screenshot({ path: `${ARTIFACTS}/sso-only.png` });
  // Someone of another org still gets the password.
  await page.fill('#email', 'frank@fabrikam.example');
  await page.waitForSelector('#password');
  assert.equal(await page.$('[data-testid=sso-continue]'), null);
  await context.close();
});
