// bench/run's browser measurement: what headless Chromium downloads on a first visit (cold
// cache) of the sign-in page and of the portal page signed in, and the time from navigation
// start until the page is hydrated (the app sets body[data-hydrated]).
//
//   node bench/first-load.mjs BASE_URL EMAIL PASSWORD   → one JSON line on stdout
//
// Bytes are what came over the wire (Chromium's encodedDataLength: compressed when the server
// sent it compressed), for the WASM, JS and CSS the page loaded, lazily loaded chunks included;
// `gzip`: the same files as sent to a client that takes gzip only.
import { createRequire } from 'node:module';
import http from 'node:http';

const require = createRequire(new URL('../e2e/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [base, email, password] = process.argv.slice(2);
if (!base || !email || !password) {
  console.error('usage: node bench/first-load.mjs BASE_URL EMAIL PASSWORD');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});

function kindOf(url) {
  const path = new URL(url).pathname;
  if (path.endsWith('.wasm')) return 'wasm';
  if (path.endsWith('.js')) return 'js';
  if (path.endsWith('.css')) return 'css';
  return null;
}

// One cold visit of PATH (with COOKIE if given): bytes per kind, files, time to hydrated.
async function visit(path, cookie) {
  const context = await browser.newContext();
  if (cookie) await context.addCookies([{ ...cookie, url: base }]);
  await context.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.body && document.body.dataset.hydrated === 'true') {
        window.__hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const urls = new Map();
  const files = [];
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, { url: e.response.url, encoding: e.response.headers['content-encoding'] || e.response.headers['Content-Encoding'] || '' }));
  cdp.on('Network.loadingFinished', (e) => {
    const r = urls.get(e.requestId);
    const kind = r && kindOf(r.url);
    if (kind) files.push({ file: new URL(r.url).pathname, kind, bytes: e.encodedDataLength, encoding: r.encoding });
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(base + path);
  await page.waitForFunction(() => window.__hydratedAt !== undefined, null, { timeout: 60000 });
  const hydratedMs = await page.evaluate(() => window.__hydratedAt);
  await page.waitForLoadState('networkidle');
  await context.close();
  const total = files.reduce((s, f) => s + f.bytes, 0);
  // The same files as a browser that takes only gzip gets them (Chromium may get brotli).
  for (const f of files) f.gzip = await gzipBytes(f.file);
  const total_gzip = files.reduce((s, f) => s + f.gzip, 0);
  return { path, total, total_gzip, files, hydrated_ms: hydratedMs, errors };
}

/** Body bytes of PATH as the server sends it to `Accept-Encoding: gzip`. */
function gzipBytes(path) {
  return new Promise((resolve, reject) => {
    http.get(base + path, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
      let n = 0;
      res.on('data', (c) => { n += c.length; });
      res.on('end', () => resolve(n));
    }).on('error', reject);
  });
}

const login = await fetch(`${base}/api/v1/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email, password }),
});
const set = login.headers.getSetCookie().find((c) => c.startsWith('tenantry_session='));
if (!set) throw new Error(`sign-in failed: ${login.status}`);
const [name, value] = set.split(';')[0].split('=');
const signIn = await visit('/login');
const portal = await visit('/', { name, value });
await browser.close();
console.log(JSON.stringify({ signin: signIn, portal }));
