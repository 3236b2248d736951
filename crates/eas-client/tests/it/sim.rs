//! Tests against the real simulator.
