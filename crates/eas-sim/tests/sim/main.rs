//! Integration tests of the EAS simulator over real HTTP on 127.0.0.1.

mod common;

mod calendar;
mod faults;
mod folders;
mod http_auth;
mod items;
mod persist_control;
mod ping;
mod provision;
mod sync;
mod versions;
