//! `synced_at` values: the one place that writes them (the configured form, from the system
//! clock, without a time-zone database: UTC only) and says which forms are accepted.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use regex::Regex;

/// How `synced_at` is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncedAtFormat {
    /// ISO 8601 / RFC 3339 with an explicit UTC offset: `2026-01-23T13:49:17.865498+00:00`.
    Rfc3339,
    /// The naive form earlier tools wrote: `2026-01-23T13:49:17.865498` (UTC, unstated).
    Naive,
}

/// Whether a `synced_at` value has an accepted form: `YYYY-MM-DDTHH:MM:SS`, optional
/// fraction, optional `Z` or `±HH:MM` offset.
pub fn is_valid(s: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$",
        )
        .expect("static regex")
    });
    let Some(c) = re.captures(s) else {
        return false;
    };
    let n = |i: usize| {
        c.get(i)
            .and_then(|m| m.as_str().parse::<u32>().ok())
            .unwrap_or(99)
    };
    (1..=12).contains(&n(2)) && (1..=31).contains(&n(3)) && n(4) < 24 && n(5) < 60 && n(6) < 61
}

/// A `synced_at` written with a space for the `T`, in the configured form; a value
/// without an offset is taken as UTC (what the tools that wrote it meant). `None` when it
/// is not such a value, or when the result would not be accepted.
pub fn normalise(s: &str, form: SyncedAtFormat) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:\d{2})?$",
        )
        .expect("static regex")
    });
    let c = re.captures(s.trim())?;
    let (date, time) = (&c[1], &c[2]);
    let out = match (c.get(3), form) {
        (Some(offset), _) => format!("{date}T{time}{}", offset.as_str()),
        (None, SyncedAtFormat::Rfc3339) => format!("{date}T{time}+00:00"),
        (None, SyncedAtFormat::Naive) => format!("{date}T{time}"),
    };
    is_valid(&out).then_some(out)
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Format a time as `synced_at`.
pub fn format(at: SystemTime, form: SyncedAtFormat) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() as i64;
    let (y, mo, d) = civil(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let base = format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:06}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_micros()
    );
    match form {
        SyncedAtFormat::Rfc3339 => format!("{base}+00:00"),
        SyncedAtFormat::Naive => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn known_instants() {
        let t = UNIX_EPOCH + Duration::from_micros(1_769_176_157_865_498);
        assert_eq!(
            format(t, SyncedAtFormat::Naive),
            "2026-01-23T13:49:17.865498"
        );
        assert_eq!(
            format(t, SyncedAtFormat::Rfc3339),
            "2026-01-23T13:49:17.865498+00:00"
        );
        assert_eq!(
            format(UNIX_EPOCH, SyncedAtFormat::Naive),
            "1970-01-01T00:00:00.000000"
        );
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert!(format(leap, SyncedAtFormat::Naive).starts_with("2000-02-29T"));
    }

    #[test]
    fn accepted_forms() {
        assert!(is_valid("2026-01-23T13:49:17.865498"));
        assert!(is_valid("2026-01-23T13:49:17Z"));
        assert!(is_valid("2026-01-23T13:49:17.1+02:00"));
        assert!(!is_valid("2026-01-14 23:56:58.692029"));
        assert!(!is_valid("2026-13-14T23:56:58"));
        for form in [SyncedAtFormat::Rfc3339, SyncedAtFormat::Naive] {
            assert!(is_valid(&format(SystemTime::now(), form)), "{form:?}");
        }
    }
}
