//! The command line and the data it writes outside requests: the `tenantry` subcommands, the
//! demo, and the benchmark world.
pub mod cli;
pub mod demo;
pub mod seed_scale;
