//! Everything that turns a stored body into another representation, in one
//! folder so a reader looking for "how is this body served" finds it here:
//! the storage parser every renderer starts from ([`storage`]), view and
//! export-view HTML ([`view`]), Atlassian Document Format ([`adf`]), and the
//! page-properties report that both the `detailssummary` macro and its REST
//! endpoint render ([`page_properties`]).

pub mod adf;
pub mod page_properties;
pub mod storage;
pub mod view;
