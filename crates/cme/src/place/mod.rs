//! Where every file goes: names from one allocator ([`names`]), the Python
//! tool's path templates ([`template`]), and the layout of a whole export
//! ([`layout`]), decided from the listings before any body is fetched.
pub mod layout;
pub mod names;
pub mod template;
