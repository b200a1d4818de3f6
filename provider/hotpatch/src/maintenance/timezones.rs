//! Windows time-zone ids (what the Maintenance service takes in `timeZone`) and what a
//! wall-clock time means in them.
//!
//! Why: a schedule's `startDateTime` is wall-clock time in its zone. A time that falls in the
//! hour skipped when clocks spring forward does not exist, and a start before now has already
//! gone by; both are reported at plan time instead of costing an ARM write. The rules come
//! from the IANA time-zone database bundled with `jiff` (so they do not depend on the host's
//! zoneinfo), reached from the Windows id through CLDR's Windows-zone table
//! ([`super::windows_zones`]). Nothing about a region's daylight-saving rules is written here.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::Timestamp;

use super::rules::LocalDateTime;
use super::windows_zones::WINDOWS_ZONES;

/// A Windows time-zone id the service accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowsZone {
    /// The id as Windows spells it.
    pub id: &'static str,
    /// The IANA zone with the same rules; None for legacy Windows-only zones.
    pub iana: Option<&'static str>,
}

/// The zone with this id (case-insensitive, as the service compares them).
pub fn find(id: &str) -> Option<WindowsZone> {
    let id = id.trim();
    WINDOWS_ZONES
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(id))
        .map(|&(id, iana)| WindowsZone { id, iana })
}

/// What a local wall-clock time is in a zone.
#[derive(Clone, Debug, PartialEq)]
pub enum LocalTime {
    /// The instant it names (the earlier one when clocks fall back and it occurs twice).
    At(Timestamp),
    /// It is skipped when clocks spring forward: local times from `from` up to (not
    /// including) `to` do not exist that day.
    Skipped {
        from: DateTime,
        to: DateTime,
        before: Offset,
        after: Offset,
    },
    /// The zone's rules are unknown (legacy zone) or the time is outside the supported range.
    Unknown,
}

fn civil(t: LocalDateTime) -> Option<DateTime> {
    let year = i16::try_from(t.year).ok()?;
    let month = i8::try_from(t.month).ok()?;
    let day = i8::try_from(t.day).ok()?;
    let hour = i8::try_from(t.hour).ok()?;
    let minute = i8::try_from(t.minute).ok()?;
    DateTime::new(year, month, day, hour, minute, 0, 0).ok()
}

impl WindowsZone {
    fn rules(&self) -> Option<TimeZone> {
        TimeZone::get(self.iana?).ok()
    }

    /// What `t` (wall-clock time in this zone) is.
    pub fn local_time(&self, t: LocalDateTime) -> LocalTime {
        let (Some(tz), Some(dt)) = (self.rules(), civil(t)) else {
            return LocalTime::Unknown;
        };
        match tz.to_ambiguous_zoned_datetime(dt).offset() {
            AmbiguousOffset::Unambiguous { offset }
            | AmbiguousOffset::Fold { before: offset, .. } => offset
                .to_timestamp(dt)
                .map_or(LocalTime::Unknown, LocalTime::At),
            AmbiguousOffset::Gap { before, after } => {
                // The transition lies after `dt` read with the new offset (the clock had not
                // reached it yet) and no later than `dt` read with the old one.
                let Ok(early) = after.to_timestamp(dt) else {
                    return LocalTime::Unknown;
                };
                let Some(transition) = tz.following(early).next() else {
                    return LocalTime::Unknown;
                };
                let at = transition.timestamp();
                LocalTime::Skipped {
                    from: before.to_datetime(at),
                    to: after.to_datetime(at),
                    before,
                    after,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(year: i64, month: u32, day: u32, hour: u32, minute: u32) -> LocalDateTime {
        LocalDateTime {
            year,
            month,
            day,
            hour,
            minute,
        }
    }

    fn skipped(zone: &str, t: LocalDateTime) -> Option<(String, String)> {
        match find(zone).unwrap().local_time(t) {
            LocalTime::Skipped { from, to, .. } => Some((
                from.strftime("%Y-%m-%d %H:%M").to_string(),
                to.strftime("%H:%M").to_string(),
            )),
            _ => None,
        }
    }

    #[test]
    fn every_windows_zone_has_rules_in_the_bundled_database() {
        for (id, iana) in WINDOWS_ZONES {
            if let Some(iana) = iana {
                assert!(TimeZone::get(iana).is_ok(), "{id} -> {iana}");
            }
        }
        let mut ids: Vec<String> = WINDOWS_ZONES
            .iter()
            .map(|(w, _)| w.to_lowercase())
            .collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "ids are unique");
        assert!(n >= 140, "{n} zones");
    }

    #[test]
    fn spring_forward_gaps_come_from_the_database() {
        let gap = |zone, t| skipped(zone, t);
        let pst = "pacific standard time";
        assert_eq!(
            gap(pst, at(2025, 3, 9, 2, 30)),
            Some(("2025-03-09 02:00".into(), "03:00".into()))
        );
        assert_eq!(gap(pst, at(2025, 3, 9, 3, 0)), None);
        assert_eq!(gap(pst, at(2025, 3, 2, 2, 0)), None);
        assert!(gap("W. Europe Standard Time", at(2030, 3, 31, 2, 0)).is_some());
        assert!(gap("W. Europe Standard Time", at(2030, 3, 31, 1, 59)).is_none());
        assert!(gap("GMT Standard Time", at(2025, 3, 30, 1, 15)).is_some());
        assert!(gap("AUS Eastern Standard Time", at(2025, 10, 5, 2, 0)).is_some());
        assert!(gap("New Zealand Standard Time", at(2025, 9, 28, 2, 0)).is_some());
        // Zones the old hand-written table could not check: Chile, Lord Howe (30-minute
        // shift), Chatham Islands (02:45).
        assert!(gap("Pacific SA Standard Time", at(2025, 9, 7, 0, 0)).is_some());
        assert_eq!(
            gap("Lord Howe Standard Time", at(2025, 10, 5, 2, 15)),
            Some(("2025-10-05 02:00".into(), "02:30".into()))
        );
        assert!(gap("Chatham Islands Standard Time", at(2025, 9, 28, 3, 0)).is_some());
        // No daylight-saving time at all.
        assert!(gap("UTC", at(2025, 3, 30, 2, 0)).is_none());
        assert!(gap("India Standard Time", at(2025, 3, 30, 2, 0)).is_none());
    }

    #[test]
    fn local_times_name_instants_and_legacy_zones_are_unchecked() {
        let pst = find("Pacific Standard Time").unwrap();
        assert_eq!(pst.iana, Some("America/Los_Angeles"));
        assert_eq!(
            pst.local_time(at(2030, 1, 1, 2, 0)),
            LocalTime::At("2030-01-01T10:00:00Z".parse().unwrap())
        );
        // Falling back: 01:30 happens twice; the earlier one counts.
        assert_eq!(
            pst.local_time(at(2025, 11, 2, 1, 30)),
            LocalTime::At("2025-11-02T08:30:00Z".parse().unwrap())
        );
        let legacy = find("Mid-Atlantic Standard Time").unwrap();
        assert_eq!(legacy.local_time(at(2030, 1, 1, 2, 0)), LocalTime::Unknown);
        assert!(find("Europe/Berlin").is_none());
        assert_eq!(find(" utc ").map(|z| z.id), Some("UTC"));
    }
}
