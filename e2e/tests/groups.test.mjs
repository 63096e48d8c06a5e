// The ActivTrak flow, entirely in the UI: a customer admin makes a group, puts assets in it,
// adds a viewer limited to it; the viewer sees only that group and no action they can't do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, pageAs, signIn, waitForContext, ARTIFACTS } from './harness.mjs';

const env = useServerAndBrowser();

test.todo('a group-limited viewer made in the UI sees only their group and no action they may not perform', async () => {
  const { context, page } = await pageAs(env, 'carol@acme.example');
  await waitForContext(page, 'Acme Corp');

  // A group, made on the Groups page.
  await page.click('nav >> text=Groups');
  await page.fill('[data-testid=new-group] input[name=name]', 'Kiosks');
  await page.click('[data-testid=new-group] button[type=submit]');
  await page.waitForSelector('[data-testid=groups-table] tr[data-group=Kiosks]');

  // Two assets put in it at once from the Assets page.
  await page.click('nav >> text=Assets');
  await page.waitForSelector('[data-testid=assets-table] tbody tr');
  const names = await page.$$eval('[data-testid=assets-table] tbody tr td.primary a', (as) => as.map((a) => a.textContent));
  const chosen = names.slice(0, 2);
  for (const name of chosen) await page.check(`[data-testid=assets-table] input[type=checkbox][aria-label=${JSON.stringify(`Select ${name}`)}]`);
  await page.selectOption('[data-testid=group-assets] select[name=group]', { label: 'Kiosks' });
  await page.click('[data-testid=group-assets] button[type=submit]');
  await page.waitForSelector('[data-testid=flash] >> text=Put 2 assets in Kiosks.');
  await page.click('nav >> text=Groups');
  await page.waitForSelector('[data-testid=groups-table] tr[data-group=Kiosks] >> td[data-label=Assets] >> text=2');

  // A viewer limited to it, added on the People page.
  await page.click('nav >> text=People');
  const form = '[data-testid=add-user]';
  await page.waitForSelector(form);
  await page.fill(`${form} input[name=email]`, 'kim@acme.example');
  await page.fill(`${form} input[name=name]`, 'Kim Kiosk');
  await page.selectOption(`${form} select[name=role]`, 'viewer');
  await page.check(`${form} [data-testid=group-picker] label:has-text("Kiosks") input`);
  await page.fill(`${form} input[name=password]`, 'kiosk-password-1');
  await page.click(`${form} button[type=submit]`);
  await page.waitForSelector('[data-testid=flash] >> text=who sees only Kiosks');
  await page.waitForSelector('tr[data-email="kim@acme.example"] [data-testid=member-groups] >> text=sees only Kiosks');
  await page.screenshot({ path: `${ARTIFACTS}/people-limited-viewer.png`, fullPage: true });
  await context.close();

  // The viewer: their banner says so, and they see exactly the two assets.
  const viewer = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const kim = await viewer.newPage();
  await signIn(kim, env.server.base, 'kim@acme.example', 'kiosk-password-1');
  await waitForContext(kim, 'Acme Corp');
  await kim.waitForSelector('[data-testid=banner-groups] >> text=you see only the group: Kiosks');
  await kim.click('nav >> text=Assets');
  await kim.waitForSelector('[data-testid=assets-table] tbody tr');
  const seen = await kim.$$eval('[data-testid=assets-table] tbody tr td.primary a', (as) => as.map((a) => a.textContent).sort());
  assert.deepEqual(seen, [...chosen].sort());
  // Nothing they can't do is offered.
  for (const hidden of ['[data-testid=asset-add]', '[data-testid=move-assets]', '[data-testid=group-assets]', '[data-testid=assets-table] input[type=checkbox]',
    'nav a[href="/import"]', 'nav a[href="/merge"]', 'nav a[href="/audit"]']) {
    assert.equal(await kim.$(hidden), null, `${hidden} is not shown to the viewer`);
  }
  await kim.screenshot({ path: `${ARTIFACTS}/limited-viewer-assets.png`, fullPage: true });
  await kim.click('nav >> text=Groups');
  await kim.waitForSelector('[data-testid=groups-table] tr[data-group=Kiosks]');
  assert.deepEqual(await kim.$$eval('[data-testid=groups-table] tr[data-group]', (rows) => rows.map((r) => r.dataset.group)), ['Kiosks']);
  for (const hidden of ['[data-testid=new-group]', '[data-testid=groups-table] button']) {
    assert.equal(await kim.$(hidden), null, `${hidden} is not shown to the viewer`);
  }
  await kim.click('nav >> text=People');
  await kim.waitForSelector('[data-testid=people-table]');
  for (const hidden of ['[data-testid=add-user]', '[data-testid=invite-form]', '[data-testid=people-table] select', '[data-testid=people-table] button']) {
    assert.equal(await kim.$(hidden), null, `${hidden} is not shown to the viewer`);
  }
  await viewer.close();
});
