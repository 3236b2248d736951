//! Subcommand implementations, one module each.

pub mod serve;
pub mod sim;
