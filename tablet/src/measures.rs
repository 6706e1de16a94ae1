//! Assistance measures recorded door to door: a measure of the twelve kinds added with its
//! department, months, funds and progress; its progress and the quarter's implementation
//! check written later. Each edit is one change signed with the tablet's actor.

use crate::error::TabletError;
use crate::store::now;
use crate::tablet::Tablet;
use zoufang_schemas::{
    Department, EntryId, Measure, MeasureKind, MeasureStatus, Quarter, YearMonth,
};
use zoufang_sync::{DocPath, EntrySection};

/// Longest description or check note the form takes.
const MAX_TEXT: usize = 500;

/// A new measure.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureInput {
    /// Which of the twelve.
    pub kind: MeasureKind,
    /// Planned, in progress or done.
    pub progress: MeasureStatus,
    /// What is done.
    pub description: Option<String>,
    /// The department responsible.
    pub department: Option<Department>,
    /// Funds in yuan.
    pub funds: Option<f64>,
    /// Month it started.
    pub start_month: Option<YearMonth>,
    /// Month it is planned to end.
    pub planned_end: Option<YearMonth>,
}

fn short(text: Option<&str>, what: &str) -> Result<Option<String>, TabletError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) if t.chars().count() > MAX_TEXT => Err(TabletError::Invalid(format!(
            "the {what} takes at most {MAX_TEXT} characters"
        ))),
        other => Ok(other.map(str::to_owned)),
    }
}

impl Tablet {
    /// Adds a measure to a household; returns its id.
    pub async fn add_measure(
        &self,
        household: &str,
        input: &MeasureInput,
    ) -> Result<EntryId, TabletError> {
        if input.funds.is_some_and(|f| !f.is_finite() || f < 0.0) {
            return Err(TabletError::Invalid("funds are yuan, not negative".into()));
        }
        let measure = Measure {
            description: short(input.description.as_deref(), "description")?,
            funds: input.funds,
            start_month: input.start_month.clone(),
            planned_end: input.planned_end.clone(),
            department: input.department,
            ..Measure::new(input.kind, input.progress)
        };
        let id = EntryId::from_random_bits(uuid::Uuid::new_v4().as_u128());
        self.edit_doc(household, |doc| {
            doc.edit(now(), |e| {
                e.insert_entry(EntrySection::Measures, id.as_str(), &measure)
            })?;
            Ok(())
        })
        .await?;
        Ok(id)
    }

    /// Records the quarter's implementation check of a measure: carried out or not, and
    /// what was found.
    pub async fn check_measure(
        &self,
        household: &str,
        measure: &str,
        quarter: &Quarter,
        carried_out: bool,
        note: Option<&str>,
    ) -> Result<(), TabletError> {
        let key = EntryId::parse(measure).map_err(|e| TabletError::Invalid(e.to_string()))?;
        let note = short(note, "note")?;
        let field = |name: &str| DocPath::from_keys(["measures", key.as_str(), name]);
        self.edit_doc(household, |doc| {
            let record = doc.read()?;
            if !record.measures.get(&key).is_some_and(Measure::is_active) {
                return Err(TabletError::Invalid(format!(
                    "the household has no measure {measure}"
                )));
            }
            doc.edit(now(), |e| {
                e.put(&field("checked_quarter"), quarter)?;
                e.put(&field("carried_out"), &carried_out)?;
                match &note {
                    Some(n) => e.put(&field("check_note"), n),
                    None => Ok(()),
                }
            })?;
            Ok(())
        })
        .await?;
        Ok(())
    }
}
