//! The console's words in Chinese (first) and English. Pages take a [`Words`] map and use
//! its keys; a page shows a key itself when a word is missing, so a gap is visible, never
//! fatal.

use std::collections::BTreeMap;

/// A language of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 中文.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The language a cookie value names (Chinese unless it says `en`).
    pub fn from_cookie(value: Option<&str>) -> Self {
        match value {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    /// Its code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The other language.
    pub fn other(self) -> Self {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}

/// The words of one language, by key.
pub type Words = BTreeMap<&'static str, &'static str>;

const WORDS: &[(&str, &str, &str)] = &[
    (
        "title",
        "走访 · 防止返贫监测",
        "Zoufang · poverty-relapse monitoring",
    ),
    ("switch", "English", "中文"),
    ("login", "登录", "Sign in"),
    ("logout", "退出", "Sign out"),
    ("username", "用户名", "Username"),
    ("password", "密码", "Password"),
    (
        "login_failed",
        "用户名或密码错误",
        "Wrong username or password",
    ),
    (
        "login_throttled",
        "尝试次数过多,请稍后再试",
        "Too many attempts; try again later",
    ),
    ("conflicts", "数据冲突", "Conflicts"),
    ("reviews", "走访审核", "Visit review"),
    ("coverage", "走访进度", "Coverage"),
    ("findings", "疑点数据", "Doubtful data"),
    ("accounts", "账号与设备", "Accounts and devices"),
    ("exports", "数据导出", "Exports"),
    ("households", "农户", "Households"),
    ("household", "农户", "Household"),
    ("field", "字段", "Field"),
    ("before", "原值", "Before"),
    ("candidate", "候选值", "Candidate"),
    ("value", "值", "Value"),
    ("who", "录入人", "Who"),
    ("device", "设备", "Device"),
    ("when", "时间", "When"),
    ("choose", "采用此值", "Choose this value"),
    ("enter_value", "录入新值", "Enter a value"),
    ("resolve", "确定", "Resolve"),
    ("no_conflicts", "没有待处理的冲突", "No open conflicts"),
    ("round", "季度", "Round"),
    ("region", "区划", "Region"),
    ("state", "状态", "State"),
    ("actions", "操作", "Actions"),
    ("village_review", "村级审核", "Village review"),
    ("township_verify", "乡镇核实", "Verify"),
    ("county_accept", "县级确认", "Accept"),
    ("return", "退回", "Return"),
    ("reason", "退回原因", "Reason"),
    ("whole_village", "整村批量", "Whole village"),
    ("apply", "执行", "Apply"),
    (
        "changed_since",
        "核实后有改动",
        "Changed since verification",
    ),
    ("households_total", "户数", "Households"),
    ("visited", "已走访", "Visited"),
    ("returned", "已退回", "Returned"),
    ("verified", "已核实", "Verified"),
    ("accepted", "已确认", "Accepted"),
    ("severity", "类别", "Severity"),
    ("code", "代码", "Code"),
    ("path", "位置", "Path"),
    ("message", "说明", "Message"),
    ("error", "错误", "Error"),
    ("warning", "疑点", "Warning"),
    ("photos", "照片", "Photos"),
    ("taken_at", "拍摄时间", "Taken"),
    ("gps", "位置", "GPS"),
    ("history", "修改记录", "History"),
    ("change", "修改", "Change"),
    (
        "masked_note",
        "个人信息已按权限隐藏",
        "Personal numbers are masked for your role",
    ),
    ("download", "下载", "Download"),
    ("format", "格式", "Format"),
    ("users", "账号", "Users"),
    ("role", "角色", "Role"),
    ("department", "行业部门", "Department"),
    ("scope", "管辖范围", "Scope"),
    ("disabled", "已停用", "Disabled"),
    ("disable", "停用", "Disable"),
    ("add_user", "新增账号", "Add a user"),
    ("add", "新增", "Add"),
    ("devices", "设备", "Devices"),
    ("owner", "使用人", "Owner"),
    ("revoked", "已注销", "Revoked"),
    ("revoke", "注销", "Revoke"),
    ("last_sync", "最近同步", "Last sync"),
    ("active", "正常", "Active"),
    ("done", "已完成", "Done"),
    ("refused", "未通过", "Refused"),
    ("not_found", "未找到", "Not found"),
    ("forbidden", "无权进行此操作", "Not allowed"),
    ("show", "查看", "Show"),
    ("section_household", "基本信息", "Household"),
    ("section_members", "家庭成员", "Members"),
    ("section_income", "收入情况", "Income"),
    ("section_guarantees", "两不愁三保障", "Guarantees"),
    ("section_housing", "住房", "Housing"),
    ("section_water", "饮水", "Drinking water"),
    ("section_monitoring", "监测状态", "Monitoring"),
    ("section_measures", "帮扶措施", "Measures"),
    ("section_events", "自然增减", "Natural changes"),
    ("section_visits", "走访记录", "Visits"),
    ("not_uploaded", "照片尚未上传", "Not uploaded yet"),
    ("camera", "相机", "Camera"),
    ("size", "尺寸", "Size"),
    ("outcome", "结果", "Outcome"),
    ("acknowledge", "核实无误", "Checked, correct"),
    ("imports", "数据导入", "Imports"),
    ("import_kind", "导入内容", "What"),
    ("regions", "行政区划", "Regions"),
    ("file", "文件", "File"),
    ("import_start", "开始导入", "Import"),
    (
        "import_note",
        "CSV 或 XLSX,首行为中文表头;同一文件重复导入不会改变数据;未导入的行可下载。",
        "CSV or XLSX with Chinese headers in the first row; importing the same file again changes nothing; refused rows can be downloaded.",
    ),
    ("rows", "行数", "Rows"),
    ("clues", "风险线索", "Risk clues"),
    ("departments", "部门数据", "Department data"),
    ("month", "月份", "Month"),
    ("as_of", "截至", "As of"),
    ("period", "期间", "Period"),
    ("ledger", "实名政策台账(季度)", "Policy ledger (quarter)"),
    ("clue_file", "风险线索(月度)", "Risk clues (month)"),
    ("upload", "上传", "Upload"),
    (
        "upload_note",
        "CSV 或 XLSX,首行为中文表头,须有证件号码列;同一文件重复上传不会改变数据。",
        "CSV or XLSX with Chinese headers and an ID number column; uploading the same file again changes nothing.",
    ),
    ("matched", "已匹配", "Matched"),
    ("unmatched", "未匹配", "Unmatched"),
    ("clue_type", "线索类型", "Kind"),
    ("clue_reason", "线索描述", "Reason"),
    ("finding", "入户核实情况", "Found at the door"),
    ("suggestion", "建议", "Suggested"),
    ("decision", "核实结果", "Decision"),
    ("decide", "确定", "Decide"),
    ("note", "说明", "Note"),
    ("overdue", "逾期", "Overdue"),
    (
        "overdue_verify",
        "逾期未核实(20日)",
        "Not verified by the 20th",
    ),
    (
        "overdue_report",
        "逾期未上报(25日)",
        "Not reported by the 25th",
    ),
    (
        "departments_missing",
        "未推送的部门(5日)",
        "Departments that pushed nothing by the 5th",
    ),
    (
        "report_month",
        "上报本月已核实线索",
        "Report the month's decided clues",
    ),
    (
        "monthly_xlsx",
        "月度线索核实表 XLSX",
        "Monthly clue report XLSX",
    ),
    ("created", "新增", "Created"),
    ("updated", "更新", "Updated"),
    ("unchanged", "未变", "Unchanged"),
    ("absent", "文件中缺少", "Not in the file"),
    ("resume_from", "从此行继续", "resume from row"),
    ("acknowledged", "已核实无误", "Checked"),
    ("scale_report", "规模统计表", "Scale statistics table"),
    ("identification", "监测对象识别", "Identification"),
    ("thresholds", "监测标准", "Monitoring thresholds"),
    ("threshold_kind", "标准", "Threshold"),
    ("amount", "金额(元)", "Amount (yuan)"),
    ("set_by", "来源", "Set by"),
    ("level_COUNTY", "本县", "County"),
    ("level_PREFECTURE", "自治州", "Prefecture"),
    ("level_NATIONAL", "国家", "National"),
    ("level_DEFAULT", "默认", "Default"),
    (
        "amount_blank_removes",
        "留空则删除本级标准",
        "Blank removes this level's row",
    ),
    ("save", "保存", "Save"),
    ("scan_now", "立即比对", "Check households now"),
    ("flagged", "自动预警农户", "Households flagged"),
    ("flag_reason", "预警原因", "Why"),
    ("propose", "提出纳入监测", "Propose for monitoring"),
    ("monitor_category", "监测对象类别", "Monitoring category"),
    ("risk_types", "风险类型", "Risk types"),
    ("proposal_reason", "理由", "Reason"),
    ("proposed_by", "提出人", "Proposed by"),
    ("approve_identification", "认定纳入", "Identify"),
    ("reject_identification", "不予纳入", "Do not identify"),
    ("withdraw", "撤回", "Withdraw"),
    ("elimination", "风险消除", "Risk elimination"),
    (
        "elimination_note",
        "提名公示 → 核查核准(公示期满后)→ 核实确认 → 公告标注;整户无劳动能力的不标注风险消除。",
        "Nomination and public notice → verification (after the notice) → confirmation → announcement and marking; a household without labour force is not marked.",
    ),
    ("notice_xlsx", "公示名单 XLSX", "Public notice XLSX"),
    ("nominate", "提名风险消除", "Nominate"),
    ("elimination_mode", "消除方式", "Mode"),
    ("notice_days", "公示天数", "Days of notice"),
    ("notice_period", "公示期", "Notice"),
    ("step_verify", "核查核准", "Verify"),
    ("step_confirm", "核实确认", "Confirm"),
    ("step_mark", "公告标注", "Mark eliminated"),
    ("step_rollback", "返回监测", "Roll back"),
    ("natural_changes", "自然增减台账", "Natural changes"),
    (
        "village_or_township",
        "填写村或乡镇区划代码",
        "A village or township code",
    ),
    ("increase", "增加(人)", "Increase (people)"),
    ("decrease", "减少(人)", "Decrease (people)"),
    ("member", "成员", "Member"),
    ("change_kind", "变动类型", "Change"),
    ("date", "日期", "Date"),
    ("recorded_by", "登记人", "Recorded by"),
    ("edit_measures", "维护帮扶措施", "Edit measures"),
    ("planned_end", "计划完成(年-月)", "Planned end (YYYY-MM)"),
    ("start_month", "开始(年-月)", "Start (YYYY-MM)"),
    ("description", "措施内容", "Description"),
    ("add_measure", "新增措施", "Add a measure"),
    ("training", "人员培训计划", "Training calendar"),
    ("county", "县市", "County"),
    ("villages_to_train", "培训村数", "Villages to train"),
    ("villages_known", "辖区村数", "Villages in the county"),
    ("training_topics", "培训内容", "Topics"),
    ("plans", "帮扶计划", "Assistance plans"),
    ("plans_open", "待制定措施", "Waiting for measures"),
    ("plan_kind", "计划", "Plan"),
    (
        "plan_CONSOLIDATION",
        "脱贫户年度巩固计划",
        "Annual consolidation plan",
    ),
    (
        "plan_MONITORING",
        "三类户一户一册",
        "Monitored household's plan",
    ),
    ("plan_OPEN", "待制定", "Waiting"),
    ("plan_DRAWN", "已制定", "Drawn up"),
    (
        "reports_due",
        "季度报表报送期限(季度结束后5个工作日):",
        "Quarterly reports due (5 working days after the quarter):",
    ),
];

/// The words of `lang`.
pub fn words(lang: Lang) -> Words {
    WORDS
        .iter()
        .map(|(key, zh, en)| (*key, if lang == Lang::Zh { *zh } else { *en }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_has_both_languages_and_keys_are_unique() {
        let keys: std::collections::BTreeSet<&str> = WORDS.iter().map(|(k, _, _)| *k).collect();
        assert_eq!(keys.len(), WORDS.len());
        assert!(
            WORDS
                .iter()
                .all(|(_, zh, en)| !zh.is_empty() && !en.is_empty())
        );
        assert_eq!(words(Lang::Zh)["login"], "登录");
        assert_eq!(words(Lang::En)["login"], "Sign in");
        assert_eq!(Lang::from_cookie(Some("en")), Lang::En);
        assert_eq!(Lang::from_cookie(Some("fr")), Lang::Zh);
    }
}
