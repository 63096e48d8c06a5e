// A real, certified OpenID Connect provider (the npm package `oidc-provider`) for the SSO
// tests, on a loopback port. Not a mock: discovery, JWKS, signed ID tokens, PKCE and
// single-use codes are the package's own.
//
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET   the one registered client
//   OIDC_REDIRECT_URIS                   comma-separated redirect URIs of the test server(s)
//   OIDC_PORT                            optional; 0 (default) picks a free one
// Prints `ISSUER=<url>` on stdout once it listens.
//
// Accounts: the login name typed into the provider's sign-in form is the account.
//   `alice@acme.example`             verified email alice@acme.example, subject = the login
//   `alice@acme.example#2`           same email, a different subject (another account)
//   `unverified:bob@acme.example`    email bob@acme.example, email_verified false
// Any password is accepted (the provider's development sign-in form).
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

// stdout carries only the ISSUER line (the test may stop reading after it); the provider's
// own notices go to stderr, and a closed stdout is no reason to die.
console.log = (...args) => console.error(...args);
process.stdout.on('error', () => {});

const clientId = process.env.OIDC_CLIENT_ID || 'tenantry';
const clientSecret = process.env.OIDC_CLIENT_SECRET || 'tenantry-test-secret';
const redirectUris = (process.env.OIDC_REDIRECT_URIS || '').split(',').map((s) => s.trim()).filter(Boolean);
if (redirectUris.length === 0) throw new Error('OIDC_REDIRECT_URIS is required');

function account(id) {
  const unverified = id.startsWith('unverified:');
  const login = unverified ? id.slice('unverified:'.length) : id;
  const email = login.split('#')[0];
  return {
    accountId: id,
    async claims() {
      return { sub: id, email, email_verified: !unverified, name: `Test ${email.split('@')[0]}` };
    },
  };
}

const server = createServer();
server.listen(Number(process.env.OIDC_PORT || 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    findAccount: async (_ctx, id) => account(id),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // Scope claims go into the ID token too (the relying party reads the email from it).
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: ['tenantry-oidc-test-cookie-key'] },
    // First-party client: no consent screen, the grant covers what it asks for.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile');
      grant.addOIDCClaims(['email', 'email_verified', 'name']);
      await grant.save();
      return grant;
    },
  });
  // Plain http on loopback only; silence the production warnings about it.
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`ISSUER=${issuer}\n`);
});

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
