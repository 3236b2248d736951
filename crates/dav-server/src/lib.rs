//! CalDAV/CardDAV HTTP service (work in progress).
