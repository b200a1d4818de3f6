//! Windows time-zone ids (what the Maintenance service accepts in `timeZone`) with their
//! standard UTC offset and, where it is modelled, the rule that starts daylight-saving time.
//!
//! Why: a schedule's `startDateTime` is wall-clock time in its zone, and a time that falls in
//! the hour skipped when clocks spring forward does not exist. The service fails such windows
//! at apply time (or silently shifts them); we report them at plan time instead. The rules are
//! written as data for the common zones (US, EU, south-east Australia, New Zealand). Zones whose
//! rules change often or are irregular are listed as valid ids without a gap check.

/// When a zone springs forward: the Sunday of `month` chosen by `which`, at local `hour`:00;
/// the skipped local hour is `hour:00`–`hour:59`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DstStart {
    pub month: u32,
    pub which: Sunday,
    pub hour: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sunday {
    First,
    Second,
    Last,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dst {
    /// No daylight-saving time.
    None,
    Starts(DstStart),
    /// Observes DST under rules not modelled here: no gap check.
    Unmodelled,
}

pub struct Zone {
    pub id: &'static str,
    /// Standard-time offset from UTC in minutes.
    pub offset_minutes: i32,
    pub dst: Dst,
}

/// US and Canada: second Sunday of March, 02:00 local.
const US: Dst = Dst::Starts(DstStart {
    month: 3,
    which: Sunday::Second,
    hour: 2,
});
/// EU: last Sunday of March at 01:00 UTC, i.e. local hour `offset + 1`.
const fn eu(local_hour: u32) -> Dst {
    Dst::Starts(DstStart {
        month: 3,
        which: Sunday::Last,
        hour: local_hour,
    })
}
/// South-east Australia (and Norfolk Island): first Sunday of October, 02:00 local.
const AU: Dst = Dst::Starts(DstStart {
    month: 10,
    which: Sunday::First,
    hour: 2,
});
/// New Zealand: last Sunday of September, 02:00 local.
const NZ: Dst = Dst::Starts(DstStart {
    month: 9,
    which: Sunday::Last,
    hour: 2,
});
const NO: Dst = Dst::None;
const UNMODELLED: Dst = Dst::Unmodelled;

macro_rules! zones {
    ($( $id:literal $offset:literal $dst:expr ),+ $(,)?) => {
        &[$( Zone { id: $id, offset_minutes: $offset, dst: $dst } ),+]
    };
}

pub const ZONES: &[Zone] = zones![
    "Dateline Standard Time" -720 NO,
    "UTC-11" -660 NO,
    "Aleutian Standard Time" -600 US,
    "Hawaiian Standard Time" -600 NO,
    "Marquesas Standard Time" -570 NO,
    "Alaskan Standard Time" -540 US,
    "UTC-09" -540 NO,
    "Pacific Standard Time (Mexico)" -480 US,
    "UTC-08" -480 NO,
    "Pacific Standard Time" -480 US,
    "US Mountain Standard Time" -420 NO,
    "Mountain Standard Time (Mexico)" -420 NO,
    "Mountain Standard Time" -420 US,
    "Yukon Standard Time" -420 NO,
    "Central America Standard Time" -360 NO,
    "Central Standard Time" -360 US,
    "Easter Island Standard Time" -360 UNMODELLED,
    "Central Standard Time (Mexico)" -360 NO,
    "Canada Central Standard Time" -360 NO,
    "SA Pacific Standard Time" -300 NO,
    "Eastern Standard Time (Mexico)" -300 NO,
    "Eastern Standard Time" -300 US,
    "Haiti Standard Time" -300 US,
    "Cuba Standard Time" -300 UNMODELLED,
    "US Eastern Standard Time" -300 US,
    "Turks And Caicos Standard Time" -300 US,
    "Paraguay Standard Time" -240 UNMODELLED,
    "Atlantic Standard Time" -240 US,
    "Venezuela Standard Time" -240 NO,
    "Central Brazilian Standard Time" -240 NO,
    "SA Western Standard Time" -240 NO,
    "Pacific SA Standard Time" -240 UNMODELLED,
    "Newfoundland Standard Time" -210 US,
    "Tocantins Standard Time" -180 NO,
    "E. South America Standard Time" -180 NO,
    "SA Eastern Standard Time" -180 NO,
    "Argentina Standard Time" -180 NO,
    "Greenland Standard Time" -120 UNMODELLED,
    "Montevideo Standard Time" -180 NO,
    "Magallanes Standard Time" -180 NO,
    "Saint Pierre Standard Time" -180 US,
    "Bahia Standard Time" -180 NO,
    "UTC-02" -120 NO,
    "Mid-Atlantic Standard Time" -120 UNMODELLED,
    "Azores Standard Time" -60 eu(0),
    "Cape Verde Standard Time" -60 NO,
    "UTC" 0 NO,
    "GMT Standard Time" 0 eu(1),
    "Greenwich Standard Time" 0 NO,
    "Sao Tome Standard Time" 0 NO,
    "Morocco Standard Time" 60 UNMODELLED,
    "W. Europe Standard Time" 60 eu(2),
    "Central Europe Standard Time" 60 eu(2),
    "Romance Standard Time" 60 eu(2),
    "Central European Standard Time" 60 eu(2),
    "W. Central Africa Standard Time" 60 NO,
    "Jordan Standard Time" 180 NO,
    "GTB Standard Time" 120 eu(3),
    "Middle East Standard Time" 120 UNMODELLED,
    "Egypt Standard Time" 120 UNMODELLED,
    "E. Europe Standard Time" 120 UNMODELLED,
    "Syria Standard Time" 180 NO,
    "West Bank Standard Time" 120 UNMODELLED,
    "South Africa Standard Time" 120 NO,
    "FLE Standard Time" 120 eu(3),
    "Israel Standard Time" 120 UNMODELLED,
    "South Sudan Standard Time" 120 NO,
    "Kaliningrad Standard Time" 120 NO,
    "Sudan Standard Time" 120 NO,
    "Libya Standard Time" 120 NO,
    "Namibia Standard Time" 120 NO,
    "Arabic Standard Time" 180 NO,
    "Turkey Standard Time" 180 NO,
    "Arab Standard Time" 180 NO,
    "Belarus Standard Time" 180 NO,
    "Russian Standard Time" 180 NO,
    "E. Africa Standard Time" 180 NO,
    "Volgograd Standard Time" 180 NO,
    "Iran Standard Time" 210 NO,
    "Arabian Standard Time" 240 NO,
    "Astrakhan Standard Time" 240 NO,
    "Azerbaijan Standard Time" 240 NO,
    "Russia Time Zone 3" 240 NO,
    "Mauritius Standard Time" 240 NO,
    "Saratov Standard Time" 240 NO,
    "Georgian Standard Time" 240 NO,
    "Caucasus Standard Time" 240 NO,
    "Afghanistan Standard Time" 270 NO,
    "West Asia Standard Time" 300 NO,
    "Ekaterinburg Standard Time" 300 NO,
    "Pakistan Standard Time" 300 NO,
    "Qyzylorda Standard Time" 300 NO,
    "India Standard Time" 330 NO,
    "Sri Lanka Standard Time" 330 NO,
    "Nepal Standard Time" 345 NO,
    "Central Asia Standard Time" 360 NO,
    "Bangladesh Standard Time" 360 NO,
    "Omsk Standard Time" 360 NO,
    "Myanmar Standard Time" 390 NO,
    "SE Asia Standard Time" 420 NO,
    "Altai Standard Time" 420 NO,
    "W. Mongolia Standard Time" 420 NO,
    "North Asia Standard Time" 420 NO,
    "N. Central Asia Standard Time" 420 NO,
    "Tomsk Standard Time" 420 NO,
    "China Standard Time" 480 NO,
    "North Asia East Standard Time" 480 NO,
    "Singapore Standard Time" 480 NO,
    "W. Australia Standard Time" 480 NO,
    "Taipei Standard Time" 480 NO,
    "Ulaanbaatar Standard Time" 480 NO,
    "Aus Central W. Standard Time" 525 NO,
    "Transbaikal Standard Time" 540 NO,
    "Tokyo Standard Time" 540 NO,
    "North Korea Standard Time" 540 NO,
    "Korea Standard Time" 540 NO,
    "Yakutsk Standard Time" 540 NO,
    "Cen. Australia Standard Time" 570 AU,
    "AUS Central Standard Time" 570 NO,
    "E. Australia Standard Time" 600 NO,
    "AUS Eastern Standard Time" 600 AU,
    "West Pacific Standard Time" 600 NO,
    "Tasmania Standard Time" 600 AU,
    "Vladivostok Standard Time" 600 NO,
    "Lord Howe Standard Time" 630 UNMODELLED,
    "Bougainville Standard Time" 660 NO,
    "Russia Time Zone 10" 660 NO,
    "Magadan Standard Time" 660 NO,
    "Norfolk Standard Time" 660 AU,
    "Sakhalin Standard Time" 660 NO,
    "Central Pacific Standard Time" 660 NO,
    "Russia Time Zone 11" 720 NO,
    "New Zealand Standard Time" 720 NZ,
    "UTC+12" 720 NO,
    "Fiji Standard Time" 720 NO,
    "Kamchatka Standard Time" 720 NO,
    "Chatham Islands Standard Time" 765 UNMODELLED,
    "UTC+13" 780 NO,
    "Tonga Standard Time" 780 NO,
    "Samoa Standard Time" 780 NO,
    "Line Islands Standard Time" 840 NO,
];

/// The zone with this id (case-insensitive, as the service compares them).
pub fn find(id: &str) -> Option<&'static Zone> {
    ZONES.iter().find(|z| z.id.eq_ignore_ascii_case(id.trim()))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// 0 = Sunday.
fn weekday(y: i64, m: u32, d: u32) -> i64 {
    (days_from_civil(y, m, d) + 4).rem_euclid(7)
}

pub fn days_in_month(y: i64, m: u32) -> u32 {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl DstStart {
    /// Day of the month clocks spring forward in year `y`.
    fn day(&self, y: i64) -> u32 {
        let first_sunday = 1 + (7 - weekday(y, self.month, 1)) as u32 % 7;
        match self.which {
            Sunday::First => first_sunday,
            Sunday::Second => first_sunday + 7,
            Sunday::Last => {
                let last = days_in_month(y, self.month);
                last - weekday(y, self.month, last) as u32
            }
        }
    }
}

impl Zone {
    /// Whether local wall-clock time `y-m-d h:mi` is skipped when this zone springs forward.
    pub fn in_dst_gap(&self, y: i64, m: u32, d: u32, h: u32) -> bool {
        match self.dst {
            Dst::Starts(s) => m == s.month && d == s.day(y) && h == s.hour,
            Dst::None | Dst::Unmodelled => false,
        }
    }

    /// `UTC+01:00` style.
    pub fn utc_offset(&self) -> String {
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let m = self.offset_minutes.abs();
        format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_are_right() {
        assert_eq!(weekday(1970, 1, 1), 4);
        assert_eq!(weekday(2025, 3, 9), 0);
        assert_eq!(weekday(2024, 2, 29), 4);
    }

    #[test]
    fn known_spring_forward_hours() {
        let pst = find("pacific standard time").unwrap();
        assert!(pst.in_dst_gap(2025, 3, 9, 2));
        assert!(!pst.in_dst_gap(2025, 3, 9, 3));
        assert!(!pst.in_dst_gap(2025, 3, 2, 2));
        let cet = find("W. Europe Standard Time").unwrap();
        assert!(cet.in_dst_gap(2025, 3, 30, 2));
        assert!(cet.in_dst_gap(2026, 3, 29, 2));
        assert!(!cet.in_dst_gap(2025, 3, 30, 1));
        let uk = find("GMT Standard Time").unwrap();
        assert!(uk.in_dst_gap(2025, 3, 30, 1));
        let syd = find("AUS Eastern Standard Time").unwrap();
        assert!(syd.in_dst_gap(2025, 10, 5, 2));
        let nz = find("New Zealand Standard Time").unwrap();
        assert!(nz.in_dst_gap(2025, 9, 28, 2));
        let utc = find("UTC").unwrap();
        assert!(!utc.in_dst_gap(2025, 3, 30, 2));
        assert_eq!(
            find("India Standard Time").unwrap().utc_offset(),
            "UTC+05:30"
        );
        assert_eq!(pst.utc_offset(), "UTC-08:00");
        assert!(find("Europe/Berlin").is_none());
    }

    #[test]
    fn ids_are_unique() {
        let mut ids: Vec<String> = ZONES.iter().map(|z| z.id.to_lowercase()).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
