//! EAS HTTP client (owned by the eas-client engineer).
//!
//! Upstream HTTP client for one Exchange ActiveSync device partnership: version negotiation,
//! provisioning, authentication, redirects, throttling and retries. Work in progress.
