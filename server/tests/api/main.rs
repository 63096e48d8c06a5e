//! API integration tests: each test gets its own server on port 0 and its own database —
//! a fresh SQLite file, or a fresh PostgreSQL database when `TEST_DATABASE_URL` is set.
mod helpers;

mod assets;
mod audit;
mod auth;
mod counters;
mod emails;
mod form_login;
mod invitations;
mod lifecycle;
mod orgs;
mod permissions;
mod settings;
mod notifications;
mod people;
mod worlds;
