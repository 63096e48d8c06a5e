//! Tenantry's server: a library (so tests, benchmarks and CLI subcommands share one app)
//! with a thin `main.rs`.
// The pages' view types are deep; rendering them needs more than the default query depth.
#![recursion_limit = "256"]
pub mod access;
pub mod api;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod client_ip;
pub mod config;
pub mod context;
pub mod counters;
pub mod db;
pub mod delegation;
pub mod demo;
pub mod deployments;
pub mod error;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod invitations;
pub mod mail;
pub mod notifications;
pub mod openapi;
pub mod import;
pub mod merge;
pub mod orgs;
pub mod overview;
pub mod people;
pub mod rows;
pub mod schedules;
pub mod seed_scale;
pub mod settings;
pub mod state;
pub mod tree;
pub mod tree_limits;
pub mod web;

pub use api::{build_app, serve};
