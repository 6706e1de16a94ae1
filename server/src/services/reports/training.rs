//! The plan's training schedule (人员培训): each quarter's month, the counties that hold it
//! and at least two villages each, with the plan's topics, as a calendar.

use crate::error::ApiError;
use crate::state::AppState;
use serde::Serialize;

/// Villages each county trains at least.
pub const MIN_VILLAGES: u64 = 2;

/// The plan's months and counties: March Korla, Bohu, Luntai; June Yanqi, Ruoqiang, Qiemo;
/// September Yuli, Heshuo, Hejing.
pub const SCHEDULE: [(u32, [(&str, &str); 3]); 3] = [
    (
        3,
        [
            ("652801", "库尔勒市"),
            ("652829", "博湖县"),
            ("652822", "轮台县"),
        ],
    ),
    (
        6,
        [
            ("652826", "焉耆回族自治县"),
            ("652824", "若羌县"),
            ("652825", "且末县"),
        ],
    ),
    (
        9,
        [
            ("652823", "尉犁县"),
            ("652828", "和硕县"),
            ("652827", "和静县"),
        ],
    ),
];

/// What the training covers.
pub const TOPICS: [&str; 6] = [
    "乡村人口基础信息采集及自然增加情况",
    "脱贫户、“三类户”帮扶措施的制定",
    "“三类户”风险消除的核实确认",
    "行业部门之间数据比对",
    "政策调整变化及落实情况分析",
    "走访终端数据采集与同步",
];

/// One county's session.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Session {
    /// `2026-03`.
    pub month: String,
    /// County code.
    pub county: String,
    /// County name.
    pub name: String,
    /// Villages to train at least.
    pub min_villages: u64,
    /// Villages the county has in the region tree.
    pub villages: u64,
}

/// A year's calendar.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Calendar {
    /// The year.
    pub year: i32,
    /// Sessions by month.
    pub sessions: Vec<Session>,
    /// The topics.
    pub topics: Vec<String>,
}

/// The year asked for (checked), or this one.
pub fn year_or_this(year: Option<i32>) -> Result<i32, ApiError> {
    match year {
        Some(y) => crate::services::identification::threshold_edits::check_year(y),
        None => crate::services::identification::this_year(),
    }
}

/// The calendar of `year`, the villages counted from the region tree.
pub async fn calendar(state: &AppState, year: i32) -> Result<Calendar, ApiError> {
    let mut sessions = Vec::new();
    for (month, counties) in SCHEDULE {
        for (county, name) in counties {
            let villages = crate::store::regions::under(&state.db, county)
                .await?
                .iter()
                .filter(|r| r.code.len() == 12)
                .count() as u64;
            sessions.push(Session {
                month: format!("{year}-{month:02}"),
                county: county.to_owned(),
                name: name.to_owned(),
                min_villages: MIN_VILLAGES,
                villages,
            });
        }
    }
    Ok(Calendar {
        year,
        sessions,
        topics: TOPICS.iter().map(|t| (*t).to_owned()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_county_of_the_prefecture_trains_once_a_year() {
        let mut counties: Vec<&str> = SCHEDULE
            .iter()
            .flat_map(|(_, c)| c.map(|(code, _)| code))
            .collect();
        counties.sort();
        assert_eq!(
            counties,
            [
                "652801", "652822", "652823", "652824", "652825", "652826", "652827", "652828",
                "652829"
            ]
        );
        assert_eq!(SCHEDULE.map(|(m, _)| m), [3, 6, 9]);
    }
}
