//! A page's recorded questions (`deps`) in one block of text. Most pages
//! ask two or three, and held as a list of texts they were a block for each
//! and one for the list (~13 MB of a 100,000-page state; ~6 MB this way).
//! Read and written as the JSON list of strings the schema names.
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt::Write as _;

/// The questions, in their order: each entry is its length in bytes, `:`,
/// then its text, so any text (even one holding the separator) reads back
/// as it was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepList(Box<str>);

impl DepList {
    /// The questions, in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(&self.0)
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Forgets them all.
    pub fn clear(&mut self) {
        self.0 = Box::default();
    }
}

fn push(out: &mut String, entry: &str) {
    let _ = write!(out, "{}:", entry.len());
    out.push_str(entry);
}

impl<S: AsRef<str>> FromIterator<S> for DepList {
    fn from_iter<I: IntoIterator<Item = S>>(entries: I) -> Self {
        let mut out = String::new();
        for e in entries {
            push(&mut out, e.as_ref());
        }
        Self(out.into_boxed_str())
    }
}

impl From<Vec<String>> for DepList {
    fn from(entries: Vec<String>) -> Self {
        entries.iter().collect()
    }
}

/// The questions of a [`DepList`], in order.
pub struct Iter<'a>(&'a str);

impl<'a> Iterator for Iter<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        // Only `push` writes the text, so it always reads back; a text it
        // did not write ends the list rather than panicking.
        let (len, rest) = self.0.split_once(':')?;
        let len: usize = len.parse().ok()?;
        let entry = rest.get(..len)?;
        self.0 = &rest[len..];
        Some(entry)
    }
}

impl<'a> IntoIterator for &'a DepList {
    type Item = &'a str;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl Serialize for DepList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for DepList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct List;
        impl<'de> Visitor<'de> for List {
            type Value = DepList;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DepList, A::Error> {
                let mut out = String::new();
                while seq.next_element_seed(Append(&mut out))?.is_some() {}
                Ok(DepList(out.into_boxed_str()))
            }
        }
        d.deserialize_seq(List)
    }
}

/// Reads one entry straight onto the end of the list's text.
struct Append<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for Append<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for Append<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<(), E> {
        push(self.0, s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_text_reads_back_as_written() {
        let entries = ["L:t:S:a", "", "12:x", ":", "é:ü\n\0", "L:id:9"];
        let list: DepList = entries.iter().collect();
        assert_eq!(list.iter().collect::<Vec<_>>(), entries);
        let json = serde_json::to_string(&list).unwrap();
        assert_eq!(json, serde_json::to_string(&entries).unwrap());
        let back: DepList = serde_json::from_str(&json).unwrap();
        assert_eq!(back, list);
        let from_reader: DepList = serde_json::from_reader(json.as_bytes()).unwrap();
        assert_eq!(from_reader, list);
        assert!(DepList::default().is_empty());
        assert_eq!(DepList::default().iter().count(), 0);
    }

    #[test]
    fn a_list_of_anything_else_is_refused() {
        assert!(serde_json::from_str::<DepList>("[1]").is_err());
        assert!(serde_json::from_str::<DepList>("\"L:t:S:a\"").is_err());
    }
}
