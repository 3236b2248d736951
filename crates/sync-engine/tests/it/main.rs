//! Integration tests of the sync engine against the EAS simulator over loopback HTTP.

mod common;

mod autodiscover;
mod basic;
mod crash;
mod dav_http;
mod faults;
mod large;
mod ops;
mod writes;
