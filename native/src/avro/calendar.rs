//! Proleptic Gregorian calendar arithmetic (days since 1970-01-01), as Python's datetime counts.

/// Days from 1970-01-01 to ``year-month-day``.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// ``(year, month, day)`` of a day counted from 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u8, day as u8)
}

/// Days from 1970-01-01 of ``date.min`` and ``date.max`` (0001-01-01 and 9999-12-31).
pub const FIRST_DAY: i64 = -719_162;
pub const LAST_DAY: i64 = 2_932_896;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_day_python_can_hold() {
        for days in (FIRST_DAY..=LAST_DAY).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, i64::from(m), i64::from(d)), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(FIRST_DAY), (1, 1, 1));
        assert_eq!(civil_from_days(LAST_DAY), (9999, 12, 31));
        assert_eq!(days_from_civil(2000, 2, 29), 11_016);
    }
}
