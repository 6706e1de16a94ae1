//! The county's monthly report of verified risk clues as XLSX (Chinese headers): one row
//! per decided clue of the month in the region, township and village named.

use super::ClueView;
use crate::error::ApiError;
use rust_xlsxwriter::{Format, Workbook};
use std::collections::BTreeMap;
use zoufang_schemas::{ClueType, Department, VerifyStatus};

const HEADERS: [&str; 12] = [
    "月份",
    "乡镇",
    "村",
    "姓名",
    "证件号码",
    "推送部门",
    "线索类型",
    "线索描述",
    "金额(元)",
    "入户核实情况",
    "核实结果",
    "核实说明",
];

/// The report's bytes: decided (or reported) clues of the month; `names` maps a clue's
/// member to a name, `regions` a region code to its name.
pub fn xlsx(
    clues: &[ClueView],
    names: &BTreeMap<(String, String), String>,
    regions: &BTreeMap<String, String>,
) -> Result<Vec<u8>, ApiError> {
    let fail = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("风险线索核实情况").map_err(fail)?;
    let bold = Format::new().set_bold();
    for (c, header) in HEADERS.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *header, &bold)
            .map_err(fail)?;
    }
    let region_name = |code: &str| {
        regions
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    };
    let mut r = 1u32;
    for clue in clues.iter().filter(|c| c.decision.is_some()) {
        let township = clue.region_code.get(..9).unwrap_or(&clue.region_code);
        let cells = [
            clue.month.clone(),
            region_name(township),
            region_name(&clue.region_code),
            names
                .get(&(clue.household.clone(), clue.member.clone()))
                .cloned()
                .unwrap_or_default(),
            clue.id_number.clone(),
            Department::from_code(&clue.department)
                .map_or(clue.department.clone(), |d| d.label_zh().to_owned()),
            ClueType::from_code(&clue.clue_type)
                .map_or(clue.clue_type.clone(), |t| t.label_zh().to_owned()),
            clue.reason.clone(),
            String::new(),
            clue.finding.clone().unwrap_or_default(),
            clue.decision
                .as_deref()
                .and_then(VerifyStatus::from_code)
                .map_or(String::new(), |d| d.label_zh().to_owned()),
            clue.decision_note.clone().unwrap_or_default(),
        ];
        for (c, cell) in cells.iter().enumerate() {
            if c == 8 {
                if let Some(amount) = clue.amount {
                    sheet.write_number(r, c as u16, amount).map_err(fail)?;
                }
                continue;
            }
            sheet.write_string(r, c as u16, cell).map_err(fail)?;
        }
        r += 1;
    }
    sheet.set_column_width(4, 20).map_err(fail)?;
    sheet.set_column_width(7, 30).map_err(fail)?;
    sheet.set_column_width(9, 30).map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}
