//! Subcommand implementations, one module each.

pub mod sim;
