//! The bundled demo site: `demo/` in the SITE-FORMAT.md layout, compiled in.

use super::dir::StaticFiles;
use crate::error::SimError;
use crate::model::Site;

macro_rules! bundle {
    ($($p:literal),* $(,)?) => {
        &[ $( ($p, include_bytes!(concat!("../../demo/", $p)) as &[u8]) ),* ]
    };
}

static FILES: &[(&str, &[u8])] = bundle![
    "site.json",
    "pages/1001.xhtml",
    "attachments/sim-logo.png",
];

/// Loads the demo site.
pub fn load() -> Result<Site, SimError> {
    super::dir::load(&StaticFiles(FILES))
}
