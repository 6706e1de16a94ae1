//! The monitoring thresholds a household is judged by: per year and region, a county's row
//! overriding its prefecture's, which overrides the national row, which overrides the
//! configured default. Resolution is pure; storing a row is audited.

use crate::settings::ThresholdDefaults;
use serde::Serialize;
use std::collections::BTreeMap;

/// What a threshold measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ThresholdKind {
    /// Per-capita net income (人均纯收入) below which a household is flagged.
    Income,
    /// Compliant out-of-pocket medical spending from which a 脱贫户 is flagged.
    MedicalLifted,
    /// The same for every other household.
    MedicalOther,
    /// Net education cost above which a household is flagged.
    Education,
}

impl ThresholdKind {
    /// Every kind.
    pub const ALL: [ThresholdKind; 4] = [
        ThresholdKind::Income,
        ThresholdKind::MedicalLifted,
        ThresholdKind::MedicalOther,
        ThresholdKind::Education,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            ThresholdKind::Income => "INCOME",
            ThresholdKind::MedicalLifted => "MEDICAL_LIFTED",
            ThresholdKind::MedicalOther => "MEDICAL_OTHER",
            ThresholdKind::Education => "EDUCATION",
        }
    }

    /// Parses a code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            ThresholdKind::Income => "监测收入标准（人均纯收入）",
            ThresholdKind::MedicalLifted => "医疗自付支出（脱贫户）",
            ThresholdKind::MedicalOther => "医疗自付支出（其他农户）",
            ThresholdKind::Education => "教育支出",
        }
    }

    fn default_in(self, defaults: &ThresholdDefaults) -> f64 {
        match self {
            ThresholdKind::Income => defaults.income,
            ThresholdKind::MedicalLifted => defaults.medical_lifted,
            ThresholdKind::MedicalOther => defaults.medical_other,
            ThresholdKind::Education => defaults.education,
        }
    }
}

/// Where an effective threshold comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Level {
    /// The county's row.
    County,
    /// The prefecture's row.
    Prefecture,
    /// The national row of the year.
    National,
    /// The server's configured default.
    Default,
}

/// The level a stored row's region code stands for (`""` national, 4 digits a
/// prefecture, 6 a county); other codes hold no thresholds.
pub fn level_of(region: &str) -> Option<Level> {
    if !region.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match region.len() {
        0 => Some(Level::National),
        4 => Some(Level::Prefecture),
        6 => Some(Level::County),
        _ => None,
    }
}

/// A threshold in force, and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Effective {
    /// Yuan.
    pub amount: f64,
    /// Which row set it.
    pub level: Level,
}

/// The stored rows of one year: (region code, kind) → amount.
pub type YearRows = BTreeMap<(String, ThresholdKind), f64>;

/// A year's stored rows as the resolution reads them (rows of unknown kinds are skipped).
pub fn year_rows(rows: &[crate::store::entities::threshold::Model]) -> YearRows {
    rows.iter()
        .filter_map(|r| {
            Some((
                (r.region_code.clone(), ThresholdKind::from_code(&r.kind)?),
                r.amount,
            ))
        })
        .collect()
}

/// The threshold of `kind` in force in `region` (a village, township or county code).
pub fn effective(
    rows: &YearRows,
    region: &str,
    kind: ThresholdKind,
    defaults: &ThresholdDefaults,
) -> Effective {
    let chain = [
        (region.get(..6), Level::County),
        (region.get(..4), Level::Prefecture),
        (Some(""), Level::National),
    ];
    chain
        .into_iter()
        .find_map(|(code, level)| {
            let amount = rows.get(&(code?.to_owned(), kind))?;
            Some(Effective {
                amount: *amount,
                level,
            })
        })
        .unwrap_or(Effective {
            amount: kind.default_in(defaults),
            level: Level::Default,
        })
}

/// Every kind's threshold in force in `region`.
pub fn all_effective(
    rows: &YearRows,
    region: &str,
    defaults: &ThresholdDefaults,
) -> BTreeMap<ThresholdKind, Effective> {
    ThresholdKind::ALL
        .into_iter()
        .map(|k| (k, effective(rows, region, k, defaults)))
        .collect()
}

/// Whether an amount may be stored: finite, not negative, below a billion yuan.
pub fn valid_amount(amount: f64) -> bool {
    amount.is_finite() && (0.0..1e9).contains(&amount)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: ThresholdDefaults = ThresholdDefaults {
        income: 6000.0,
        medical_lifted: 5000.0,
        medical_other: 20000.0,
        education: 10000.0,
    };

    fn rows(entries: &[(&str, ThresholdKind, f64)]) -> YearRows {
        entries
            .iter()
            .map(|(r, k, a)| (((*r).to_owned(), *k), *a))
            .collect()
    }

    #[test]
    fn the_county_overrides_the_prefecture_which_overrides_the_nation() {
        use ThresholdKind::Income;
        let all = rows(&[
            ("", Income, 6500.0),
            ("6528", Income, 6800.0),
            ("652822", Income, 6900.0),
        ]);
        let village = "652822100201";
        assert_eq!(
            effective(&all, village, Income, &DEFAULTS),
            Effective {
                amount: 6900.0,
                level: Level::County
            }
        );
        // Another county of the prefecture gets the prefecture's.
        assert_eq!(
            effective(&all, "652823100201", Income, &DEFAULTS),
            Effective {
                amount: 6800.0,
                level: Level::Prefecture
            }
        );
        // Another prefecture gets the national row.
        assert_eq!(
            effective(&all, "652701100201", Income, &DEFAULTS),
            Effective {
                amount: 6500.0,
                level: Level::National
            }
        );
        // No row at all: the configured default.
        assert_eq!(
            effective(&YearRows::new(), village, Income, &DEFAULTS),
            Effective {
                amount: 6000.0,
                level: Level::Default
            }
        );
        // Kinds do not leak into each other.
        assert_eq!(
            effective(&all, village, ThresholdKind::Education, &DEFAULTS).level,
            Level::Default
        );
    }

    #[test]
    fn levels_and_amounts() {
        assert_eq!(level_of(""), Some(Level::National));
        assert_eq!(level_of("6528"), Some(Level::Prefecture));
        assert_eq!(level_of("652822"), Some(Level::County));
        for bad in ["65", "652822100", "65282a", "652822100201"] {
            assert_eq!(level_of(bad), None, "{bad}");
        }
        assert!(valid_amount(0.0) && valid_amount(6900.0));
        for bad in [-1.0, f64::NAN, f64::INFINITY, 1e9] {
            assert!(!valid_amount(bad), "{bad}");
        }
        for kind in ThresholdKind::ALL {
            assert_eq!(ThresholdKind::from_code(kind.code()), Some(kind));
        }
    }
}
