// The demo world with a tag, for the browser tests of issue 14: alice (admin of Contoso MSP)
// makes the tag managed-m365 and puts it on Acme Corp and Fabrikam, once the server is up.
import assert from 'node:assert/strict';
import { useServerAndBrowser, pageAs, DEMO_PASSWORD } from './harness.mjs';

/**
 * Starts the server and browser for a test file (see `useServerAndBrowser`) with the tagged
 * demo. The returned object's `api(method, path, body, org)` (alice's, by bearer token), `msp`
 * and `tag` are set before the first test; `pageAs(email)` signs someone in.
 */
export function useTaggedDemo() {
  const world = { api: undefined, msp: undefined, tag: undefined };
  const env = useServerAndBrowser(async (env) => {
    world.api = await aliceApi(env.server.base);
    world.msp = (await world.api('GET', '/api/v1/org')).id;
    world.tag = await world.api('POST', '/api/v1/tags', { name: 'managed-m365', color: '#1f6feb' }, world.msp);
    const customers = (await world.api('GET', '/api/v1/customers?limit=50', undefined, world.msp)).items;
    for (const name of ['Acme Corp', 'Fabrikam']) {
      const c = customers.find((x) => x.name === name);
      await world.api('PUT', `/api/v1/orgs/${c.id}/tags/${world.tag.id}`, {}, world.msp);
    }
  });
  world.env = env;
  world.pageAs = (email) => pageAs(env, email);
  return world;
}

/** The API as alice, with a bearer token: no cookies, no CSRF. */
async function aliceApi(base) {
  const r = await fetch(`${base}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'alice@contoso.example', password: DEMO_PASSWORD, name: 'e2e' }),
  });
  assert.equal(r.status, 201);
  const { token } = await r.json();
  return async (method, path, body, org) => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    if (org) headers['x-org-id'] = org;
    const resp = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await resp.text();
    assert.ok(resp.ok, `${method} ${path}: ${resp.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

/** Waits until the customers table lists exactly `n` customers. */
export async function waitForCustomerRows(page, n) {
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=customers-table] tbody tr').length === n, n);
}
