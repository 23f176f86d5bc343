//! Which kind of Confluence is on the other end, and how users write it,
//! so every front end reads and prints a flavour the same way.
use std::fmt;
use std::str::FromStr;

/// Which kind of Confluence is on the other end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Confluence Cloud: v2 API under `/wiki`.
    Cloud,
    /// Data Center / Server: v1 API only, optional context path.
    DataCenter,
}

/// Prints `cloud` or `dc`, which [`Flavor::from_str`] reads back.
impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Flavor::Cloud => "cloud",
            Flavor::DataCenter => "dc",
        })
    }
}

/// Reads a flavour as users write it, in any case and with surrounding
/// blanks ignored: `cloud`; `dc`, `datacenter`, `data-center` or `server`.
impl FromStr for Flavor {
    type Err = ParseFlavorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cloud" => Ok(Flavor::Cloud),
            "dc" | "datacenter" | "data-center" | "server" => Ok(Flavor::DataCenter),
            _ => Err(ParseFlavorError {
                given: s.to_owned(),
            }),
        }
    }
}

/// A flavour [`Flavor::from_str`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown Confluence flavour `{given}`: expected `cloud`, or `dc` (also `datacenter`, `data-center`, `server`), in any case"
)]
pub struct ParseFlavorError {
    /// What was given.
    pub given: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_accepted_word_in_any_case() {
        for s in ["cloud", "Cloud", "CLOUD", " cloud\n"] {
            assert_eq!(s.parse(), Ok(Flavor::Cloud), "{s:?}");
        }
        for s in [
            "dc",
            "DC",
            "datacenter",
            "DataCenter",
            "data-center",
            "Server",
        ] {
            assert_eq!(s.parse(), Ok(Flavor::DataCenter), "{s:?}");
        }
    }

    #[test]
    fn refuses_other_words_naming_the_accepted_ones() {
        let e = "onprem".parse::<Flavor>().unwrap_err();
        assert_eq!(e.given, "onprem");
        let msg = e.to_string();
        for word in [
            "`onprem`",
            "`cloud`",
            "`dc`",
            "`datacenter`",
            "`data-center`",
            "`server`",
        ] {
            assert!(msg.contains(word), "{msg}");
        }
        assert!("".parse::<Flavor>().is_err());
    }

    #[test]
    fn prints_what_it_reads_back() {
        for f in [Flavor::Cloud, Flavor::DataCenter] {
            assert_eq!(f.to_string().parse(), Ok(f));
        }
        assert_eq!(Flavor::Cloud.to_string(), "cloud");
        assert_eq!(Flavor::DataCenter.to_string(), "dc");
    }
}
