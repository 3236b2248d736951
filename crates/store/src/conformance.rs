//! Conformance tests (todo)
