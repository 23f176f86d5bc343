//! CQL subset (stub).
