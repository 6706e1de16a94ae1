//! Bringing households into the states the workflow tests start from.

use crate::TestApp;
use serde_json::json;
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{EntryId, LabourSkill, Measure, MeasureKind, MeasureStatus, Relation};
use zoufang_sync::{DocPath, EntrySection};

fn path(p: &str) -> DocPath {
    DocPath::parse(p).unwrap()
}

/// Gives the household's head labour, optionally a measure carried out, and makes it
/// monitored (a helper proposes, the county approves).
pub async fn monitored(app: &TestApp, doc: &DocId, labour: bool, measure_done: bool) {
    let mut tablet = app.tablet("helper_a").await;
    tablet.sync().await.unwrap();
    let record = tablet.tablet.doc(doc).unwrap().read().unwrap();
    let head = record
        .active_members()
        .find(|(_, m)| m.relation == Relation::Head)
        .unwrap()
        .0
        .clone();
    let skill = if labour {
        LabourSkill::Ordinary
    } else {
        LabourSkill::Lost
    };
    tablet
        .tablet
        .edit(doc, 1_800_000_001, |e| {
            e.put(
                &path(&format!("members.{}.labour_skill", head.as_str())),
                &skill,
            )?;
            e.put(&path("household.no_labour"), &!labour)
        })
        .unwrap();
    if measure_done {
        let measure = Measure {
            description: Some("公益性岗位".into()),
            funds: Some(6000.0),
            ..Measure::new(MeasureKind::Employment, MeasureStatus::Done)
        };
        let key = EntryId::from_random_bits(u128::from(doc.0[0]) + 7);
        tablet
            .tablet
            .edit(doc, 1_800_000_002, |e| {
                e.insert_entry(EntrySection::Measures, key.as_str(), &measure)
            })
            .unwrap();
    }
    tablet.sync().await.unwrap();
    assert!(
        tablet.tablet.refused.is_empty(),
        "{:?}",
        tablet.tablet.refused
    );
    let helper = app.token("helper_a").await;
    let (status, proposal) = app.post(&helper, "/api/v1/identifications", &json!({
        "household": doc.to_string(), "category": "UNSTABLE_LIFTED", "risk_types": ["ILLNESS"], "reason": "因病"
    })).await;
    assert_eq!(status, 201, "{proposal}");
    let county = app.token("county").await;
    let (status, decided) = app
        .post(
            &county,
            &format!("/api/v1/identifications/{}/decision", proposal["id"]),
            &json!({ "decision": "APPROVED" }),
        )
        .await;
    assert_eq!(status, 200, "{decided}");
}
