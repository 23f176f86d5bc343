//! Every folder a templated layout uses, and the names taken in each.
use crate::place::names::{Folder, Shape, key};
use std::collections::HashMap;

/// Every folder a templated layout uses, and the names taken in each: one
/// namespace for the whole output folder.
#[derive(Debug, Default)]
pub(super) struct Dirs {
    /// Folder path (`/`-joined, `""` for the top) → names taken in it.
    pub(super) folders: HashMap<String, Folder>,
    /// (parent folder, name key) → the folder's name: two spellings the
    /// file system takes for one folder are one folder.
    pub(super) subdirs: HashMap<(String, String), String>,
}

impl Dirs {
    /// The folders `comps` as they are (or will be) named on disk, opened
    /// on first use. A folder whose name a file took gets `tag` appended.
    pub(super) fn open(&mut self, comps: &[String], tag: &str) -> Vec<String> {
        let mut path = String::new();
        let mut out = Vec::with_capacity(comps.len());
        for c in comps {
            let slot = (path.clone(), key(c));
            let name = match self.subdirs.get(&slot) {
                Some(n) => n.clone(),
                None => {
                    let f = self.folders.entry(path.clone()).or_default();
                    let n = if f.clashes(Shape::Folder, c) {
                        f.claim_suffixed(Shape::Folder, c, tag)
                    } else {
                        f.reserve(Shape::Folder, c);
                        c.clone()
                    };
                    self.subdirs.insert(slot, n.clone());
                    n
                }
            };
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(&name);
            out.push(name);
        }
        out
    }

    /// The folders `comps` would be, without opening any.
    pub(super) fn peek(&self, comps: &[String]) -> Vec<String> {
        let mut path = String::new();
        let mut out = Vec::with_capacity(comps.len());
        for c in comps {
            let name = self
                .subdirs
                .get(&(path.clone(), key(c)))
                .cloned()
                .unwrap_or_else(|| c.clone());
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(&name);
            out.push(name);
        }
        out
    }
}
