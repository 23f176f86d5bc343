//! A time as the server wrote it, held in 16 bytes.
//!
//! Every listed page carries two (its version's date and its creation
//! date): as `String`s with their text that was 48 bytes each, ~10 MB of a
//! 100,000-page listing. The forms servers send (`2024-05-01T09:00:00.000Z`
//! from Cloud, `…000+02:00` from Data Center) are packed into one number
//! and written back byte for byte; any other text is kept as it came.

use std::borrow::Cow;
use std::fmt;

/// A server's ISO 8601 time, read and written as the exact text it came as.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Timestamp(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    /// `YYYY-MM-DDTHH:MM:SS.mmm` and a zone (`Z` or `±HH:MM`), packed.
    Packed(u64),
    /// Any other text, verbatim (boxed twice: the packed form sets the
    /// size, and few times take this one).
    Text(Box<Box<str>>),
}

/// The packed fields' ranges, lowest first: milliseconds, second (a leap
/// second is written as 60), minute, hour, day, month, year, then the
/// zone's minutes and hours, its sign (1 for `-`), and whether it is an
/// offset at all (0 for `Z`). Their product is below 2^61.
const LIMITS: [u64; 11] = [1000, 61, 60, 24, 32, 13, 10000, 60, 16, 2, 2];

impl Timestamp {
    /// The time `text` says; kept as text when it is not in a packed form.
    pub fn new(text: &str) -> Self {
        match pack(text) {
            Some(n) => Timestamp(Repr::Packed(n)),
            None => Timestamp(Repr::Text(Box::new(text.into()))),
        }
    }

    /// The text, as it came.
    pub fn text(&self) -> Cow<'_, str> {
        match &self.0 {
            Repr::Packed(n) => {
                let mut s = String::with_capacity(29);
                let _ = unpack(*n, &mut s);
                Cow::Owned(s)
            }
            Repr::Text(t) => Cow::Borrowed(t),
        }
    }

    /// Whether there is no text (a listing that carried no date).
    pub fn is_empty(&self) -> bool {
        matches!(&self.0, Repr::Text(t) if t.is_empty())
    }
}

impl Default for Timestamp {
    fn default() -> Self {
        Timestamp::new("")
    }
}

impl From<String> for Timestamp {
    fn from(s: String) -> Self {
        match pack(&s) {
            Some(n) => Timestamp(Repr::Packed(n)),
            None => Timestamp(Repr::Text(Box::new(s.into_boxed_str()))),
        }
    }
}

impl From<&str> for Timestamp {
    fn from(s: &str) -> Self {
        Timestamp::new(s)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written straight out: a packed time becomes no `String` (the
        // answers hash writes every child page's date).
        match &self.0 {
            Repr::Packed(n) => unpack(*n, f),
            Repr::Text(t) => f.write_str(t),
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text(), f)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TimestampVisitor)
    }
}

/// Reads the text where it lies when the reader lends it (JSON without
/// escapes): a packed time then never becomes a `String`.
struct TimestampVisitor;

impl serde::de::Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a date and time")
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Timestamp, E> {
        Ok(Timestamp::new(s))
    }
    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Timestamp, E> {
        Ok(Timestamp::from(s))
    }
}

/// The packed form of `text`, when it is `YYYY-MM-DDTHH:MM:SS.mmm` then `Z`
/// or `±HH:MM`, each field in range (so the text written back is `text`).
fn pack(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let zone = match b.len() {
        24 if b[23] == b'Z' => None,
        29 if matches!(b[23], b'+' | b'-') && b[26] == b':' => Some(&b[23..]),
        _ => return None,
    };
    let seps = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
    ];
    if seps.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let num = |from: usize, digits: usize| -> Option<u64> {
        b[from..from + digits].iter().try_fold(0u64, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0'))
        })
    };
    let (sign, zh, zm, offset) = match zone {
        None => (0, 0, 0, 0),
        Some(z) => (u64::from(z[0] == b'-'), num(24, 2)?, num(27, 2)?, 1),
    };
    let values = [
        num(20, 3)?,
        num(17, 2)?,
        num(14, 2)?,
        num(11, 2)?,
        num(8, 2)?,
        num(5, 2)?,
        num(0, 4)?,
        zm,
        zh,
        sign,
        offset,
    ];
    let mut packed = 0u64;
    for (limit, v) in LIMITS.iter().zip(values).rev() {
        if v >= *limit {
            return None;
        }
        packed = packed * limit + v;
    }
    Some(packed)
}

/// The text [`pack`] packed.
fn unpack(mut packed: u64, out: &mut impl fmt::Write) -> fmt::Result {
    let mut v = [0u64; LIMITS.len()];
    for (slot, limit) in v.iter_mut().zip(LIMITS) {
        *slot = packed % limit;
        packed /= limit;
    }
    let [ms, s, mi, h, d, mo, y, zm, zh, sign, offset] = v;
    write!(out, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}")?;
    if offset == 0 {
        out.write_char('Z')
    } else {
        let sign = if sign == 1 { '-' } else { '+' };
        write!(out, "{sign}{zh:02}:{zm:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_sixteen_bytes_and_an_option_of_it_too() {
        assert_eq!(std::mem::size_of::<Timestamp>(), 16);
        assert_eq!(std::mem::size_of::<Option<Timestamp>>(), 16);
    }

    #[test]
    fn every_text_reads_back_as_it_came() {
        for text in [
            "2024-05-01T09:00:00.000Z",
            "0000-00-00T00:00:00.000Z",
            "9999-12-31T23:59:60.999Z",
            "2013-03-12T10:36:45.023-07:00",
            "2013-03-12T10:36:45.023+00:00",
            "2013-03-12T10:36:45.023-00:00",
            "2013-03-12T10:36:45.023+14:45",
            // Not packed: other forms, fields out of range, junk.
            "",
            "2024-05-01T09:00:00Z",
            "2024-05-01T09:00:00.000000Z",
            "2024-05-01 09:00:00.000Z",
            "2024-13-01T09:00:00.000Z",
            "2024-05-01T24:00:00.000Z",
            "2024-05-01T09:00:00.000+16:00",
            "2024-05-01T09:00:00.000+02-00",
            "2024-05-01T09:00:00.000z",
            "２０２４-05-01T09:00:00.000Z",
            "yesterday",
            "2024-05-01T09:00:00.000Z\n",
        ] {
            let t = Timestamp::new(text);
            assert_eq!(t.text(), text, "{text:?}");
            assert_eq!(t.to_string(), text);
            assert_eq!(Timestamp::from(text.to_owned()), t);
            let json = serde_json::to_string(text).unwrap();
            assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
            // Read from an owned value too (no text to lend).
            let value = serde_json::Value::String(text.to_owned());
            assert_eq!(serde_json::from_value::<Timestamp>(value).unwrap(), t);
        }
    }

    #[test]
    fn the_forms_servers_send_are_packed_and_others_are_not() {
        let packed = |s: &str| matches!(Timestamp::new(s).0, Repr::Packed(_));
        assert!(packed("2024-05-01T09:00:00.000Z"));
        assert!(packed("2013-03-12T10:36:45.023-07:00"));
        assert!(!packed("2024-05-01T09:00:00Z"));
        assert!(!packed("2024-02-31T09:00:00.000+24:00"));
        assert!(Timestamp::default().is_empty());
        assert!(!Timestamp::new("2024-05-01T09:00:00.000Z").is_empty());
    }

    #[test]
    fn a_date_that_is_not_text_is_an_error() {
        assert!(serde_json::from_str::<Timestamp>("20240501").is_err());
        assert!(
            serde_json::from_str::<Option<Timestamp>>("null")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn different_texts_stay_different() {
        let a = Timestamp::new("2024-05-01T09:00:00.000+00:00");
        let b = Timestamp::new("2024-05-01T09:00:00.000-00:00");
        let c = Timestamp::new("2024-05-01T09:00:00.000Z");
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(b, c);
    }
}
