//! Tenantry's server: a library (so tests, benchmarks and CLI subcommands share one app)
//! with a thin `main.rs`. Folders show the layers: `http/` is plumbing, `db/` storage,
//! `tools/` the command line; every other module is one capability. See ARCHITECTURE.md.
// The pages' view types are deep; rendering them needs more than the default query depth.
#![recursion_limit = "256"]

// Plumbing and storage.
pub mod http;
pub mod db;
pub mod config;
/// Who may do what: loads paths and grants and asks `shared::access`.
pub mod access;
/// Per-process cache of sessions, grants and org paths, checked against `authz_epoch` per request.
pub mod authz_cache;
/// The audit trail: one event per mutation, in its transaction, hash-chained.
pub mod audit;
/// Sign-in: sessions, tokens, passwords, rate limits, second factors, the tenant-host handoff.
pub mod auth;
/// How deep a tenant tree may grow.
pub mod tree_limits;

// Capabilities, one module each.
/// Four-eyes approvals: actions an MSP holds for a second admin.
pub mod approvals;
/// Bulk actions over many tenants of an MSP, with a dry run.
pub mod bulk;
/// Managed assets and their groups; moving assets between tenants.
pub mod assets;
/// Delegated admin of a customer to a technician.
pub mod delegation;
/// Deployments that a tenant and (when inheritable) its descendants receive.
pub mod deployments;
/// Tenant and asset import from CSV or JSON, all or nothing.
pub mod import;
/// Invitations into an org, bound to its email domain.
pub mod invitations;
/// Outgoing mail through the outbox (and SMTP when configured).
pub mod mail;
/// Merging a tenant into another under the same MSP.
pub mod merge;
/// Notifications, Do Not Disturb and the inbox.
pub mod notifications;
/// The org tree, the switcher list, the current org and an MSP's customers.
pub mod orgs;
/// The MSP overview of all customers.
pub mod overview;
/// People of an org: add, change, remove.
pub mod people;
/// Maintenance schedules.
pub mod schedules;
/// SCIM 2.0 provisioning per org: SCIM tokens and `/scim/v2`.
pub mod scim;
/// Inherited settings.
pub mod settings;
/// Single sign-on with OpenID Connect per org: providers, identity-first sign-in, JIT users.
pub mod sso;
/// The organizations tree, loaded a branch at a time.
pub mod tags;
pub mod tree;

// Tools.
pub mod tools;

pub use http::api::{build_app, serve};
