//! API integration tests: each test gets its own server on port 0 and its own database —
//! a fresh SQLite file, or a fresh PostgreSQL database when `TEST_DATABASE_URL` is set.
mod helpers;

mod assets;
mod audit;
mod auth;
mod counters;
mod emails;
mod hardening;
mod idempotency;
mod form_login;
mod invitations;
mod lifecycle;
mod mfa;
mod passkeys;
mod orgs;
mod permissions;
mod proofs;
mod scim;
mod settings;
mod site;
mod sso;
mod tags;
mod delegation_policy;
mod bulk;
mod approvals;
mod notifications;
mod people;
mod read_replica;
mod worlds;
