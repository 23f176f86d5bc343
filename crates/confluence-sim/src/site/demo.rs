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
    "pages/1002.xhtml",
    "pages/1003.xhtml",
    "pages/1004.xhtml",
    "pages/1005.xhtml",
    "pages/1006.xhtml",
    "pages/1007.xhtml",
    "pages/1008.xhtml",
    "pages/1009.xhtml",
    "pages/1010.xhtml",
    "pages/1011.xhtml",
    "pages/1012.xhtml",
    "pages/1013.xhtml",
    "pages/1014.xhtml",
    "pages/1015.xhtml",
    "pages/1016.xhtml",
    "pages/1017.xhtml",
    "pages/1018.xhtml",
    "pages/1019.v1.xhtml",
    "pages/1019.v2.xhtml",
    "pages/1019.xhtml",
    "pages/1020.xhtml",
    "pages/1021.xhtml",
    "pages/1022.xhtml",
    "pages/1023.xhtml",
    "pages/1024.xhtml",
    "pages/1025.xhtml",
    "pages/1026.xhtml",
    "pages/1027.xhtml",
    "pages/1028.xhtml",
    "pages/1029.xhtml",
    "pages/1030.xhtml",
    "pages/2001.xhtml",
    "pages/2002.xhtml",
    "pages/2003.xhtml",
    "pages/2004.xhtml",
    "pages/2005.xhtml",
    "pages/2006.xhtml",
    "pages/2007.xhtml",
    "pages/2008.xhtml",
    "pages/2009.xhtml",
    "pages/2010.xhtml",
    "attachments/architecture.drawio",
    "attachments/architecture.drawio.png",
    "attachments/flow.mmd",
    "attachments/gliffy-network.png",
    "attachments/on-call-checklist.pdf",
    "attachments/release-notes-v1.txt",
    "attachments/release-notes.txt",
    "attachments/screenshot 2024-05-01 at 10.15.png",
    "attachments/sim-logo.png",
];

/// Loads the demo site.
pub fn load() -> Result<Site, SimError> {
    super::dir::load(&StaticFiles(FILES))
}
