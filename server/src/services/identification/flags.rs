//! Which households cross their thresholds: per-capita net income below the monitoring
//! line, compliant out-of-pocket medical spending at or above the medical insurance
//! department's line (lower for a 脱贫户), net education cost above the education
//! department's. Pure; the pass that stores the flags and the village's tasks lives in
//! [`super::scan`].

use super::thresholds::{Effective, ThresholdKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// Why a household is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FlagKind {
    /// Per-capita net income below the monitoring threshold.
    IncomeBelow,
    /// Out-of-pocket medical spending at or above the department's threshold.
    MedicalSpending,
    /// Net education cost above the department's threshold.
    EducationSpending,
}

impl FlagKind {
    /// Every kind.
    pub const ALL: [FlagKind; 3] = [
        FlagKind::IncomeBelow,
        FlagKind::MedicalSpending,
        FlagKind::EducationSpending,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            FlagKind::IncomeBelow => "INCOME_BELOW",
            FlagKind::MedicalSpending => "MEDICAL_SPENDING",
            FlagKind::EducationSpending => "EDUCATION_SPENDING",
        }
    }

    /// Parses a code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            FlagKind::IncomeBelow => "人均纯收入低于监测标准",
            FlagKind::MedicalSpending => "医疗自付支出超过标准",
            FlagKind::EducationSpending => "教育支出超过标准",
        }
    }
}

/// What a household is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Standing {
    /// A 脱贫户 (the medical line is lower).
    pub lifted: bool,
    /// Already monitored and not eliminated: nothing to flag.
    pub monitored: bool,
    /// Per-capita net income, if recorded.
    pub per_capita_net: Option<f64>,
    /// Compliant out-of-pocket medical spending, if recorded.
    pub out_of_pocket: Option<f64>,
    /// Net education cost from the education department's ledger, if any.
    pub education_cost: Option<f64>,
}

/// One crossed threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crossing {
    /// Why.
    pub kind: FlagKind,
    /// The household's value.
    pub value: f64,
    /// The threshold it crossed.
    pub threshold: f64,
}

/// The thresholds `standing` crosses, given those in force where the household lives.
pub fn crossings(
    standing: &Standing,
    thresholds: &BTreeMap<ThresholdKind, Effective>,
) -> Vec<Crossing> {
    if standing.monitored {
        return Vec::new();
    }
    let line = |kind| thresholds.get(&kind).map(|e: &Effective| e.amount);
    let medical = if standing.lifted {
        ThresholdKind::MedicalLifted
    } else {
        ThresholdKind::MedicalOther
    };
    let checks = [
        (
            FlagKind::IncomeBelow,
            standing.per_capita_net,
            line(ThresholdKind::Income),
            (|v, t| v < t) as fn(f64, f64) -> bool,
        ),
        (
            FlagKind::MedicalSpending,
            standing.out_of_pocket,
            line(medical),
            |v, t| v >= t,
        ),
        (
            FlagKind::EducationSpending,
            standing.education_cost,
            line(ThresholdKind::Education),
            |v, t| v > t,
        ),
    ];
    checks
        .into_iter()
        .filter_map(|(kind, value, threshold, crosses)| {
            let (value, threshold) = (value?, threshold?);
            (value.is_finite() && crosses(value, threshold)).then_some(Crossing {
                kind,
                value,
                threshold,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::identification::thresholds::Level;

    fn lines(income: f64) -> BTreeMap<ThresholdKind, Effective> {
        [
            (ThresholdKind::Income, income),
            (ThresholdKind::MedicalLifted, 5000.0),
            (ThresholdKind::MedicalOther, 20000.0),
            (ThresholdKind::Education, 10000.0),
        ]
        .into_iter()
        .map(|(k, amount)| {
            (
                k,
                Effective {
                    amount,
                    level: Level::County,
                },
            )
        })
        .collect()
    }

    fn kinds(standing: Standing) -> Vec<FlagKind> {
        crossings(&standing, &lines(6900.0))
            .into_iter()
            .map(|c| c.kind)
            .collect()
    }

    #[test]
    fn income_at_the_line_is_not_below_it() {
        let at = |v| {
            kinds(Standing {
                per_capita_net: Some(v),
                ..Standing::default()
            })
        };
        assert_eq!(at(6900.0), vec![]);
        assert_eq!(at(6899.99), vec![FlagKind::IncomeBelow]);
        assert_eq!(at(6900.01), vec![]);
        assert_eq!(at(0.0), vec![FlagKind::IncomeBelow]);
        // Not recorded: nothing to judge.
        assert_eq!(kinds(Standing::default()), vec![]);
    }

    #[test]
    fn medical_spending_from_the_line_by_household_type() {
        let spent = |lifted, v| {
            kinds(Standing {
                lifted,
                out_of_pocket: Some(v),
                ..Standing::default()
            })
        };
        assert_eq!(spent(true, 5000.0), vec![FlagKind::MedicalSpending]);
        assert_eq!(spent(true, 4999.99), vec![]);
        assert_eq!(spent(false, 5000.0), vec![]);
        assert_eq!(spent(false, 19999.99), vec![]);
        assert_eq!(spent(false, 20000.0), vec![FlagKind::MedicalSpending]);
    }

    #[test]
    fn education_cost_above_the_line() {
        let cost = |v| {
            kinds(Standing {
                education_cost: Some(v),
                ..Standing::default()
            })
        };
        assert_eq!(cost(10000.0), vec![]);
        assert_eq!(cost(10000.01), vec![FlagKind::EducationSpending]);
    }

    #[test]
    fn a_monitored_household_is_not_flagged_and_crossings_carry_their_figures() {
        let poor = Standing {
            per_capita_net: Some(3000.0),
            out_of_pocket: Some(30000.0),
            education_cost: Some(12000.0),
            ..Standing::default()
        };
        assert_eq!(
            kinds(Standing {
                monitored: true,
                ..poor
            }),
            vec![]
        );
        let all = crossings(&poor, &lines(6900.0));
        assert_eq!(all.len(), 3);
        assert_eq!((all[0].value, all[0].threshold), (3000.0, 6900.0));
        assert_eq!((all[1].value, all[1].threshold), (30000.0, 20000.0));
        assert!(
            crossings(
                &Standing {
                    per_capita_net: Some(f64::NAN),
                    ..Standing::default()
                },
                &lines(6900.0)
            )
            .is_empty()
        );
        for kind in FlagKind::ALL {
            assert_eq!(FlagKind::from_code(kind.code()), Some(kind));
        }
    }
}
