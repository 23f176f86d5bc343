//! Millisecond UTC timestamps: Confluence prints `2024-07-14T05:04:55.106Z` and
//! CQL reads minute-precision dates, so we keep plain `i64` epoch millis.

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Epoch millis from calendar fields (UTC).
pub fn from_parts(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> Millis {
    let days = days_from_civil(y, mo, d);
    ((days * 86400 + h as i64 * 3600 + mi as i64 * 60 + s as i64) * 1000) + ms as i64
}

/// `2024-07-14T05:04:55.106Z`
pub fn iso(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86400);
    let sod = secs.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

/// `2024-07-14` (used in friendly fields and the `time` macro).
pub fn date(ms: Millis) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(86_400_000));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `2024/07/14`: a blog post's posting day, as its URLs and `ri:posting-day` write it.
pub fn posting_day(ms: Millis) -> String {
    date(ms).replace('-', "/")
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses ISO 8601 (`2024-07-14T05:04:55.106Z`, `2024-07-14T05:04:55Z`,
/// `2024-07-14`) as UTC.
pub fn parse_iso(s: &str) -> Option<Millis> {
    let s = s.trim();
    let (date_part, time_part) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut it = date_part.split('-');
    let y = num(it.next()?)? as i64;
    let mo = num(it.next()?)?;
    let d = num(it.next()?)?;
    if it.next().is_some() || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let (mut h, mut mi, mut sec, mut ms) = (0, 0, 0, 0);
    if let Some(t) = time_part {
        let t = t.strip_suffix('Z').unwrap_or(t);
        let (hms, frac) = match t.split_once('.') {
            Some((a, b)) => (a, Some(b)),
            None => (t, None),
        };
        let mut p = hms.split(':');
        h = num(p.next()?)?;
        mi = num(p.next()?)?;
        sec = p.next().map(num).unwrap_or(Some(0))?;
        if let Some(f) = frac {
            let f3: String = f.chars().chain("000".chars()).take(3).collect();
            ms = num(&f3)?;
        }
    }
    Some(from_parts(y, mo, d, h, mi, sec, ms))
}

/// The four CQL date formats: `yyyy/MM/dd HH:mm`, `yyyy-MM-dd HH:mm`,
/// `yyyy/MM/dd`, `yyyy-MM-dd` (minute precision, read as UTC).
pub fn parse_cql_date(s: &str) -> Option<Millis> {
    let s = s.trim();
    let (date_part, time_part) = match s.split_once(' ') {
        Some((d, t)) => (d, Some(t.trim())),
        None => (s, None),
    };
    let sep = if date_part.contains('/') { '/' } else { '-' };
    let mut it = date_part.split(sep);
    let y = num(it.next()?)?;
    let mo = num(it.next()?)?;
    let d = num(it.next()?)?;
    if it.next().is_some() || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let (mut h, mut mi) = (0, 0);
    if let Some(t) = time_part {
        let (a, b) = t.split_once(':')?;
        h = num(a)?;
        mi = num(b)?;
        if h > 23 || mi > 59 {
            return None;
        }
    }
    Some(from_parts(y as i64, mo, d, h, mi, 0, 0))
}

/// Wall-clock now.
pub fn now() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_roundtrip() {
        let ms = parse_iso("2024-07-14T05:04:55.106Z").unwrap();
        assert_eq!(iso(ms), "2024-07-14T05:04:55.106Z");
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            iso(parse_iso("2000-02-29").unwrap()),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn cql_dates() {
        let a = parse_cql_date("2026/01/31 14:05").unwrap();
        assert_eq!(a, parse_cql_date("2026-01-31 14:05").unwrap());
        assert_eq!(iso(a), "2026-01-31T14:05:00.000Z");
        assert_eq!(
            iso(parse_cql_date("2026/01/31").unwrap()),
            "2026-01-31T00:00:00.000Z"
        );
        assert!(parse_cql_date("2026-13-01").is_none());
        assert!(parse_cql_date("yesterday").is_none());
    }
}
