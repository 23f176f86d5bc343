//! Where every file goes: names from one allocator ([`names`]) and the
//! layout of a whole export ([`layout`]), with the Python tool's path
//! templates (`options::template`), decided from the listings before any
//! body is fetched.
pub mod layout;
pub mod names;
