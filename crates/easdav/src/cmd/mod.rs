//! Subcommand implementations, one module each.

pub mod demo;
pub mod serve;
pub mod sim;
