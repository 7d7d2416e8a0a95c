//! Money in CNY, held as whole fen (0.01 yuan) so that sums are exact.

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount is negative")]
    Negative,
    #[error("amount is not a number with at most two decimals")]
    Malformed,
    #[error("amount is too large")]
    TooLarge,
}

/// Upper bound for any single amount: 10 billion yuan, far above any instrument's value.
const MAX_FEN: i64 = 1_000_000_000_000;

impl Money {
    pub fn from_fen(fen: i64) -> Result<Self, MoneyError> {
        match fen {
            f if f < 0 => Err(MoneyError::Negative),
            f if f > MAX_FEN => Err(MoneyError::TooLarge),
            f => Ok(Self(f)),
        }
    }

    pub fn yuan(yuan: i64) -> Self {
        Self(yuan * 100)
    }

    /// Parses "1234", "1,234.5" or "¥1234.50".
    pub fn parse(raw: &str) -> Result<Self, MoneyError> {
        let cleaned: String = raw
            .trim()
            .trim_start_matches(['¥', '￥'])
            .chars()
            .filter(|c| *c != ',')
            .collect();
        if cleaned.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if !digits(whole) || frac.len() > 2 || (!frac.is_empty() && !digits(frac)) {
            return Err(MoneyError::Malformed);
        }
        if whole.len() > 12 {
            return Err(MoneyError::TooLarge);
        }
        let whole: i64 = whole.parse().map_err(|_| MoneyError::Malformed)?;
        let frac: i64 = format!("{frac:0<2}")
            .parse()
            .map_err(|_| MoneyError::Malformed)?;
        Self::from_fen(whole * 100 + frac)
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    /// Charge for `minutes` at this hourly rate, rounded half up to the fen.
    pub fn for_minutes(self, minutes: i64) -> Money {
        Money((self.0 * minutes + 30) / 60)
    }

    /// "1234" or "1234.50": the amount as a form field shows it for editing (what [`Money::parse`]
    /// reads back).
    pub fn plain(self) -> String {
        if self.0 % 100 == 0 {
            (self.0 / 100).to_string()
        } else {
            format!("{}.{:02}", self.0 / 100, self.0 % 100)
        }
    }

    /// "¥1,234.00", the form used throughout the interface in both languages.
    pub fn display(self) -> String {
        let yuan = self.0 / 100;
        let fen = self.0 % 100;
        let digits = yuan.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("¥{grouped}.{fen:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn displays_with_grouping_and_two_decimals() {
        assert_eq!(Money::from_fen(0).unwrap().display(), "¥0.00");
        assert_eq!(Money::from_fen(123_400).unwrap().display(), "¥1,234.00");
        assert_eq!(
            Money::from_fen(123_456_789).unwrap().display(),
            "¥1,234,567.89"
        );
    }

    #[test]
    fn plain_amounts_read_back() {
        for fen in [0, 5, 100, 123_450, 123_456] {
            let money = Money::from_fen(fen).unwrap();
            assert_eq!(Money::parse(&money.plain()).unwrap(), money);
        }
        assert_eq!(Money::from_fen(123_400).unwrap().plain(), "1234");
        assert_eq!(Money::from_fen(123_450).unwrap().plain(), "1234.50");
    }

    #[test]
    fn parses_the_ways_people_write_amounts() {
        assert_eq!(Money::parse("1234").unwrap().fen(), 123_400);
        assert_eq!(Money::parse("¥1,234.5").unwrap().fen(), 123_450);
        assert_eq!(Money::parse("0.05").unwrap().fen(), 5);
        assert_eq!(Money::parse("-1"), Err(MoneyError::Negative));
        assert_eq!(Money::parse("1.234"), Err(MoneyError::Malformed));
        assert_eq!(Money::parse("abc"), Err(MoneyError::Malformed));
        assert_eq!(Money::parse(""), Err(MoneyError::Malformed));
    }

    #[test]
    fn charges_pro_rata_by_the_minute() {
        assert_eq!(Money::yuan(300).for_minutes(90).fen(), 45_000);
        assert_eq!(Money::from_fen(100).unwrap().for_minutes(1).fen(), 2);
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(fen in 0i64..MAX_FEN) {
            let m = Money::from_fen(fen).unwrap();
            prop_assert_eq!(Money::parse(&m.display()).unwrap(), m);
        }
    }
}
