//! HTTP plumbing: the router and OpenAPI document, extractors (who, in which org, with which
//! proof of privilege), the error envelope, idempotency, health, and the server-rendered pages.
pub mod api;
pub mod client_ip;
pub mod context;
pub mod error;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod ndjson;
pub mod openapi;
pub mod state;
pub mod web;
