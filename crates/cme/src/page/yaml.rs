//! Which strings a YAML reader would not read back as strings.
//!
//! serde_yaml_ng quotes what a YAML 1.2 core-schema resolver types, but the
//! readers people publish front matter with are older or looser: PyYAML
//! (MkDocs) and Ruby's Psych (Jekyll) resolve YAML 1.1, where `yes`, `On`,
//! `12:30`, `1_000` and `2024-01-01` are booleans, numbers and dates, `=`
//! and `<<` have meanings that make a whole document unreadable, and Psych
//! adds `:symbols` and `1,000`. [`typed_plain`] is the union of all of
//! them, erring towards quoting: a quoted string is a string to every
//! reader, so quoting too much costs only two characters.

/// Whether `s`, written as a plain (unquoted) scalar, would be read as
/// anything but that string by a YAML 1.1 or 1.2 resolver: PyYAML,
/// ruamel, Psych, libyaml-based readers.
pub fn typed_plain(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        // null
        "~" | "null"
        // YAML 1.1 booleans, in any case (Psych ignores case)
        | "y" | "n" | "yes" | "no" | "true" | "false" | "on" | "off"
        // YAML 1.1 value and merge keys
        | "=" | "<<"
    ) {
        return true;
    }
    // Psych reads `:name` as a Ruby symbol, which safe loaders refuse.
    s.starts_with(':') || number(&lower) || timestamp(s).is_some()
}

/// Integers and floats of YAML 1.1 and 1.2 and Psych, generously: an
/// optional sign, then `0x`/`0o`/`0b` digits, `.inf`/`.nan`, or digits
/// with `_`, `,`, `:` (sexagesimal), at most one `.` and an exponent.
/// `s` is lower case.
fn number(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body == ".inf" || body == ".nan" {
        return true;
    }
    for (prefix, digit) in [
        ("0x", (|c: u8| c.is_ascii_hexdigit()) as fn(u8) -> bool),
        ("0o", |c| (b'0'..=b'7').contains(&c)),
        ("0b", |c| c == b'0' || c == b'1'),
    ] {
        if let Some(rest) = body.strip_prefix(prefix) {
            return !rest.is_empty()
                && rest.bytes().any(digit)
                && rest.bytes().all(|c| digit(c) || c == b'_' || c == b',');
        }
    }
    let (mantissa, exponent) = match body.find('e') {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    if let Some(e) = exponent {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    mantissa.bytes().any(|c| c.is_ascii_digit())
        && mantissa
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'_' | b',' | b':' | b'.'))
        && mantissa.bytes().filter(|&c| c == b'.').count() <= 1
}

/// A date or a date and time, as the YAML 1.1 timestamp type (and Psych,
/// which also takes a leading `-`) has them: `2001-12-14`,
/// `2001-12-14t21:59:43.10-05:00`, `2001-12-14 21:59:43.10 -5`. Returns
/// the fields `[year, month, day, hour, minute, second]` (time zeros for
/// a date) when the shape matches, whether or not they are a real date.
fn timestamp(s: &str) -> Option<[u32; 6]> {
    let mut p = Parser(s.strip_prefix('-').unwrap_or(s).as_bytes());
    let year = p.digits(4, 4)?;
    p.byte(b'-')?;
    let month = p.digits(1, 2)?;
    p.byte(b'-')?;
    let day = p.digits(1, 2)?;
    if p.0.is_empty() {
        return Some([year, month, day, 0, 0, 0]);
    }
    if p.byte(b'T').or_else(|| p.byte(b't')).is_none() && p.blanks() == 0 {
        return None;
    }
    let hour = p.digits(1, 2)?;
    p.byte(b':')?;
    let minute = p.digits(2, 2)?;
    p.byte(b':')?;
    let second = p.digits(2, 2)?;
    if p.byte(b'.').is_some() {
        p.digits(0, usize::MAX)?;
    }
    p.blanks();
    if p.byte(b'Z').is_none() && !p.0.is_empty() {
        p.byte(b'+').or_else(|| p.byte(b'-'))?;
        p.digits(1, 2)?;
        p.byte(b':');
        if !p.0.is_empty() {
            p.digits(2, 2)?;
        }
    }
    p.0.is_empty()
        .then_some([year, month, day, hour, minute, second])
}

/// Whether `s` is a timestamp every reader that types it accepts: a real
/// date and time of day in the shape Confluence sends
/// (`2024-01-02T09:00:00.000Z`). A timestamp-shaped string that is not one
/// (month 13) makes PyYAML refuse the whole document, so it is quoted.
pub fn valid_timestamp(s: &str) -> bool {
    let Some([year, month, day, hour, minute, second]) = timestamp(s) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    !s.starts_with('-')
        && (1..=days).contains(&day)
        && year >= 1
        && hour < 24
        && minute < 60
        && second < 60
}

/// A cursor over ASCII bytes for [`timestamp`].
struct Parser<'a>(&'a [u8]);

impl Parser<'_> {
    fn byte(&mut self, b: u8) -> Option<()> {
        let (&first, rest) = self.0.split_first()?;
        (first == b).then(|| self.0 = rest)
    }

    /// Between `min` and `max` digits, as a number (saturating).
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let n = self
            .0
            .iter()
            .take(max)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n < min {
            return None;
        }
        let value = self.0[..n].iter().fold(0u32, |v, c| {
            v.saturating_mul(10).saturating_add(u32::from(c - b'0'))
        });
        self.0 = &self.0[n..];
        Some(value)
    }

    /// Spaces and tabs skipped, counted.
    fn blanks(&mut self) -> usize {
        let n = self
            .0
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t'))
            .count();
        self.0 = &self.0[n..];
        n
    }
}

/// `s` as a quoted YAML scalar: single quotes, or double quotes with
/// escapes when it holds a character single quotes cannot carry.
pub fn quoted(s: &str) -> String {
    if s.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every implicitly typed form of the YAML 1.1 type repository
    /// (yaml.org/type) and the 1.2 core schema, plus Psych's extras.
    pub(crate) const TYPED: &[&str] = &[
        // null
        "",
        "~",
        "null",
        "Null",
        "NULL",
        "nUlL",
        // booleans, YAML 1.1 and 1.2, any case
        "y",
        "Y",
        "n",
        "N",
        "yes",
        "Yes",
        "YES",
        "yEs",
        "no",
        "No",
        "NO",
        "true",
        "True",
        "TRUE",
        "tRUE",
        "false",
        "False",
        "FALSE",
        "on",
        "On",
        "ON",
        "oN",
        "off",
        "Off",
        "OFF",
        // value and merge keys
        "=",
        "<<",
        // integers: decimal, signed, octal, hex, binary, underscores, sexagesimal
        "0",
        "7",
        "42",
        "-1",
        "+1",
        "012",
        "0o17",
        "0O17",
        "0x1F",
        "0xff",
        "-0x1f",
        "0b1010",
        "+0b1_0",
        "1_000",
        "1__0",
        "1,000",
        "-1,000,000",
        "1:30",
        "190:20:30",
        "-1:30",
        // floats: decimal, exponents, underscores, sexagesimal, infinity, not-a-number
        "1.0",
        "1.",
        ".5",
        "-.5",
        "+1.5",
        "1e3",
        "1E3",
        "1e+3",
        "1.5e-3",
        "6.8523015e+5",
        "685.230_15e+03",
        "685_230.15",
        "1_000.5",
        "1,000.5",
        "190:20:30.15",
        "12:30.5",
        ".inf",
        ".Inf",
        ".INF",
        "-.inf",
        "+.inf",
        ".nan",
        ".NaN",
        ".NAN",
        // timestamps and dates
        "2024-01-01",
        "2001-12-14",
        "2024-1-1",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14T21:59:43.10Z",
        "2001-12-14 21:59:43.10 -5",
        "2001-12-15 2:59:43.10",
        "2001-12-14\t21:59:43",
        "2024-01-02T09:00:00.000Z",
        "-2024-01-01",
        "2024-13-45", // typed by the shape, then refused by PyYAML
        "12:30",
        "12:30:00",
        // Ruby symbols
        ":sym",
        ":",
        "::",
    ];

    /// Strings that read back as themselves, so stay unquoted (and
    /// byte-identical to what was written before).
    pub(crate) const PLAIN: &[&str] = &[
        "Demo Home",
        "Release notes",
        "ops",
        "yesterday",
        "nobody",
        "online",
        "Norway",
        "y2k",
        "offset",
        "1st floor",
        "2nd",
        "10:30am",
        "v1.0",
        "1.2.3",
        "10.0.0.1",
        "2024-01-01 Meeting notes",
        "2024-01-01T",
        "Team A",
        "0x",
        "0b",
        "e5",
        "1e",
        "_",
        ".",
        "a=b",
        "<<<",
        "< <",
        "1-2",
        "3 - 4",
        "null island",
        "true story",
        "Ada Lovelace",
        "DEMO",
        "https://x.example/wiki/spaces/DEMO/pages/1",
    ];

    #[test]
    fn every_yaml_1_1_and_1_2_typed_form_is_typed() {
        for s in TYPED {
            assert!(typed_plain(s), "{s:?} should be quoted");
        }
    }

    #[test]
    fn ordinary_strings_are_not() {
        for s in PLAIN {
            assert!(!typed_plain(s), "{s:?} needs no quotes");
        }
    }

    #[test]
    fn only_real_timestamps_are_valid() {
        for s in [
            "2024-01-02T09:00:00.000Z",
            "2024-02-29T23:59:59Z",
            "2026-01-02T03:04:05.000+01:00",
        ] {
            assert!(valid_timestamp(s), "{s}");
        }
        for s in [
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-01-32",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:60Z",
            "-2024-01-01",
            "0000-01-01",
            "yes",
        ] {
            assert!(!valid_timestamp(s), "{s}");
        }
    }

    #[test]
    fn quoting_round_trips() {
        for s in TYPED
            .iter()
            .chain(PLAIN)
            .chain(&["it's", "a\"b\\c", "tab\there"])
        {
            let yaml = format!("k: {}\n", quoted(s));
            let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&yaml).unwrap();
            assert_eq!(v["k"].as_str(), Some(*s), "{yaml}");
        }
    }
}
