// Branding in headless Chromium: an MSP brands itself, a customer sets its own logo and colour
// and sees them on its subdomain's sign-in page and in its header; a customer that set none
// carries the MSP's brand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, signIn, DEMO_PASSWORD, ARTIFACTS } from './harness.mjs';

const env = useServerAndBrowser();
const tenant = (slug) => `http://${slug}.localhost:${env.server.port}`;

async function newPage() {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  return { context, page: await context.newPage() };
}

/** The colour an element is drawn in, as `rgb(r, g, b)`. */
const colourOf = (page, selector, property) =>
  page.$eval(selector, (el, p) => getComputedStyle(el)[p], property);

/** The sign-in page of `base`, once it shows the brand named `name`. */
async function signInPageShowing(page, base, name) {
  await page.goto(`${base}/login`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.waitForSelector(`[data-testid=login-brand-name]:text-is(${JSON.stringify(name)})`);
}

async function openBranding(page) {
  await page.click('nav >> text=Branding');
  await page.waitForSelector('[data-testid=branding-form]');
  // The form is filled from what is stored once it has loaded.
  await page.waitForSelector('[data-testid=branding-source]:not(:empty)');
}

test('a customer\'s own logo and colour on its subdomain and header; the MSP\'s brand on one that set none', async () => {
  // The MSP brands itself and turns "Powered by Tenantry" off for everyone below it.
  const msp = await newPage();
  await signIn(msp.page, env.server.base, 'alice@contoso.example', DEMO_PASSWORD);
  await openBranding(msp.page);
  await msp.page.fill('#display_name', 'Contoso IT');
  await msp.page.fill('#accent_color', '#14532d');
  await msp.page.fill('#support_email', 'help@contoso.example');
  await msp.page.uncheck('input[name=powered_by]');
  await msp.page.waitForSelector('[data-testid=preview-name]:text-is("Contoso IT")');
  await msp.page.click('[data-testid=branding-save]');
  await msp.page.waitForSelector('[data-testid=branding-saved]');
  await msp.page.waitForSelector('[data-testid=header-brand-name]:text-is("Contoso IT")');
  await msp.context.close();

  // Fabrikam set nothing: its subdomain's sign-in page carries the MSP's brand.
  const fabrikam = await newPage();
  await signInPageShowing(fabrikam.page, tenant('fabrikam-contoso'), 'Contoso IT');
  assert.equal(await colourOf(fabrikam.page, '[data-testid=login-brand-name]', 'color'), 'rgb(20, 83, 45)');
  assert.equal(await fabrikam.page.locator('[data-testid=powered-by]').count(), 0, 'the MSP turned "Powered by" off');
  await fabrikam.page.waitForSelector('[data-testid=login-support]:has-text("help@contoso.example")');
  await fabrikam.page.screenshot({ path: `${ARTIFACTS}/branding-msp-on-customer-sign-in.png` });
  // … and so does its header once signed in.
  await signIn(fabrikam.page, tenant('fabrikam-contoso'), 'frank@fabrikam.example', DEMO_PASSWORD);
  await fabrikam.page.waitForSelector('[data-testid=header-brand-name]:text-is("Contoso IT")');
  assert.equal(await fabrikam.page.locator('[data-testid=header-logo]').count(), 0);
  await fabrikam.context.close();

  // Acme's admin sets its own brand on its subdomain: an unreadable colour is explained as
  // it is typed and refused by the server, a readable one saved, then a logo uploaded.
  const acme = await newPage();
  await signIn(acme.page, tenant('acme-contoso'), 'carol@acme.example', DEMO_PASSWORD);
  await acme.page.waitForSelector('[data-testid=header-brand-name]:text-is("Contoso IT")');
  await openBranding(acme.page);
  await acme.page.waitForSelector('[data-testid=branding-source]:has-text("Inherited from Contoso MSP")');
  await acme.page.fill('#display_name', 'Acme Portal');
  await acme.page.fill('#accent_color', '#ffd700');
  await acme.page.waitForSelector('[data-testid=accent-check] .field-error:has-text("nearest readable shade")');
  await acme.page.click('[data-testid=branding-save]');
  await acme.page.waitForSelector('[data-testid=branding-form] > span.field-error:has-text("contrast")');
  await acme.page.fill('#accent_color', '#7a1f5c');
  await acme.page.waitForSelector('[data-testid=accent-check]:has-text("Readable")');
  await acme.page.click('[data-testid=branding-save]');
  await acme.page.waitForSelector('[data-testid=branding-source]:has-text("This organization\'s own brand")');
  await acme.page.waitForSelector('[data-testid=header-brand-name]:text-is("Acme Portal")');
  // A logo drawn by the browser itself, uploaded as a PNG file.
  const png = await acme.page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 160;
    c.height = 48;
    const g = c.getContext('2d');
    g.fillStyle = '#7a1f5c';
    g.fillRect(0, 0, 160, 48);
    g.fillStyle = '#ffffff';
    g.font = 'bold 28px sans-serif';
    g.fillText('ACME', 30, 34);
    return c.toDataURL('image/png').split(',')[1];
  });
  // First a file that only claims to be an image: refused, named under the field.
  await acme.page.setInputFiles('#logo', { name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') });
  await acme.page.click('[data-testid=logo-upload]');
  await acme.page.waitForSelector('[data-testid=logo-form] .field-error:has-text("PNG, JPEG or WebP")');
  await acme.page.setInputFiles('#logo', { name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') });
  await acme.page.click('[data-testid=logo-upload]');
  const headerLogo = await acme.page.waitForSelector('[data-testid=header-logo][src^="/branding/logo/"]');
  await acme.page.waitForFunction((el) => el.complete && el.naturalWidth === 160, headerLogo);
  assert.equal(await colourOf(acme.page, '.topbar', 'borderBottomColor'), 'rgb(122, 31, 92)');
  await acme.page.screenshot({ path: `${ARTIFACTS}/branding-customer-header-and-page.png` });
  await acme.context.close();

  // Signed out, on Acme's subdomain: its own name, logo and colour; its child tenant's
  // people would see the same (inherited), Fabrikam still the MSP's.
  const visitor = await newPage();
  await signInPageShowing(visitor.page, tenant('acme-contoso'), 'Acme Portal');
  const loginLogo = await visitor.page.waitForSelector('[data-testid=login-logo][src^="/branding/logo/"]');
  await visitor.page.waitForFunction((el) => el.complete && el.naturalWidth === 160, loginLogo);
  assert.equal(await colourOf(visitor.page, '[data-testid=login-brand-name]', 'color'), 'rgb(122, 31, 92)');
  assert.equal(await colourOf(visitor.page, 'button[type=submit]', 'backgroundColor'), 'rgb(122, 31, 92)');
  assert.equal(await visitor.page.locator('[data-testid=powered-by]').count(), 0, '"Powered by" stays the MSP\'s choice');
  await visitor.page.screenshot({ path: `${ARTIFACTS}/branding-customer-sign-in.png` });
  await signInPageShowing(visitor.page, tenant('fabrikam-contoso'), 'Contoso IT');
  // The base domain is nobody's tenant: Tenantry's own.
  await signInPageShowing(visitor.page, env.server.base, 'Tenantry');
  await visitor.context.close();
});
