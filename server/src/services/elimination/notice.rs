//! The public notice (公示) of the households nominated for risk elimination, as XLSX to
//! print and post in the village: ID and phone numbers masked (6528**********1234,
//! 138****5678) whatever the role, because the list is public.

use super::life;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::masking::mask_phone;
use crate::state::AppState;
use crate::store::elimination as store;
use rust_xlsxwriter::{Format, Workbook};
use std::collections::BTreeMap;
use zoufang_schemas::id_number::mask_id_number;
use zoufang_schemas::{EliminationMode, Relation};

const HEADERS: [&str; 10] = [
    "乡镇",
    "村",
    "户主姓名",
    "证件号码",
    "联系电话",
    "监测对象类别",
    "消除方式",
    "提名理由",
    "公示开始",
    "公示截止",
];

/// One line of the notice.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeLine {
    /// Cells in the order of the headers.
    pub cells: [String; 10],
}

/// The lines of the notice of a region in the caller's scope: its nominated cases.
pub async fn lines(
    state: &AppState,
    user: &AuthUser,
    region: Option<&str>,
) -> Result<Vec<NoticeLine>, ApiError> {
    user.require(super::READERS)?;
    let scope = crate::services::review::region_in_scope(user, region)?;
    let regions: BTreeMap<String, String> = crate::store::regions::under(&state.db, scope)
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    let name = |code: &str| {
        regions
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    };
    let mut out = Vec::new();
    for case in store::cases_under(&state.db, scope, Some(life::NOMINATED)).await? {
        let Some((_, record)) =
            crate::services::documents::current_record(state, &case.doc_id).await?
        else {
            continue;
        };
        let head = record
            .active_members()
            .find(|(_, m)| m.relation == Relation::Head)
            .map(|(_, m)| m);
        let phone = record
            .household
            .phone
            .clone()
            .or_else(|| head.and_then(|m| m.phone.clone()))
            .unwrap_or_default();
        let township = case.region_code.get(..9).unwrap_or(&case.region_code);
        out.push(NoticeLine {
            cells: [
                name(township),
                name(&case.region_code),
                head.map(|m| m.name.clone()).unwrap_or_default(),
                head.and_then(|m| m.id_number.as_deref())
                    .map(mask_id_number)
                    .unwrap_or_default(),
                if phone.is_empty() {
                    phone
                } else {
                    mask_phone(&phone)
                },
                record
                    .household
                    .monitor_category
                    .map(|c| c.label_zh().to_owned())
                    .unwrap_or_default(),
                EliminationMode::from_code(&case.mode)
                    .map_or_else(|| case.mode.clone(), |m| m.label_zh().to_owned()),
                case.reason.clone(),
                case.nominated_on.clone(),
                case.notice_ends.clone(),
            ],
        });
    }
    out.sort_by(|a, b| a.cells[..3].cmp(&b.cells[..3]));
    Ok(out)
}

/// The notice as XLSX.
pub fn xlsx(lines: &[NoticeLine]) -> Result<Vec<u8>, ApiError> {
    let fail = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("风险消除提名公示").map_err(fail)?;
    let bold = Format::new().set_bold();
    for (c, header) in HEADERS.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *header, &bold)
            .map_err(fail)?;
    }
    for (r, line) in lines.iter().enumerate() {
        for (c, cell) in line.cells.iter().enumerate() {
            sheet
                .write_string(r as u32 + 1, c as u16, cell)
                .map_err(fail)?;
        }
    }
    sheet.set_column_width(3, 22).map_err(fail)?;
    sheet.set_column_width(7, 30).map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}
