//! Subcommand implementations, one module each.

pub mod accounts;
pub mod check;
pub mod demo;
pub mod healthcheck;
pub mod serve;
pub mod sim;
