//! The gateway's thin library: configuration, telemetry, the HTTP front
//! (operational endpoints, brute-force protection, graceful shutdown) and
//! the wiring the `easdav` subcommands share. Only this crate reads config
//! files or environment variables.

pub mod config;
pub mod demo_data;
pub mod gateway;
pub mod limiter;
pub mod serve;
pub mod telemetry;
