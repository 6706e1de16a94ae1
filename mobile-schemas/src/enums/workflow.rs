use crate::code_enum::code_enum;

code_enum! {
    /// A user's role; the scope is a region-code prefix.
    pub enum Role {
        Helper = ("HELPER", "村级信息员"),
        TownshipSupervisor = ("TOWNSHIP_SUPERVISOR", "乡镇审核员"),
        CountyOfficer = ("COUNTY_OFFICER", "县级管理员"),
        PrefectureOfficer = ("PREFECTURE_OFFICER", "州级管理员"),
        Department = ("DEPARTMENT", "行业部门"),
        Admin = ("ADMIN", "系统管理员"),
    }
}

code_enum! {
    /// Whether an entry (member, measure, event, visit, photo) is current. Entries are never
    /// deleted from a household document: removal sets this status.
    pub enum EntryStatus {
        Active = ("ACTIVE", "有效"),
        Removed = ("REMOVED", "已移除"),
    }
}

code_enum! {
    /// What a photo evidences.
    pub enum PhotoSubject {
        Housing = ("HOUSING", "住房安全"),
        Water = ("WATER", "饮水安全"),
        Visit = ("VISIT", "入户走访"),
        Other = ("OTHER", "其他"),
    }
}

code_enum! {
    /// Where a risk clue came from.
    pub enum ClueSource {
        DeptPush = ("DEPT_PUSH", "部门推送"),
        SelfReport = ("SELF_REPORT", "农户自主申报"),
        Visit = ("VISIT", "干部走访排查"),
        Other = ("OTHER", "其他"),
    }
}

code_enum! {
    /// Sector departments that push ledgers and risk clues.
    pub enum Department {
        Education = ("EDUCATION", "教育"),
        MedicalInsurance = ("MEDICAL_INSURANCE", "医保"),
        Health = ("HEALTH", "卫健"),
        Housing = ("HOUSING", "住建"),
        Water = ("WATER", "水利"),
        CivilAffairs = ("CIVIL_AFFAIRS", "民政"),
        HumanResources = ("HUMAN_RESOURCES", "人社"),
        DisabledFederation = ("DISABLED_FEDERATION", "残联"),
        Agriculture = ("AGRICULTURE", "农业农村"),
        DevelopmentReform = ("DEVELOPMENT_REFORM", "发改"),
        Forestry = ("FORESTRY", "林草"),
        AnimalHusbandry = ("ANIMAL_HUSBANDRY", "畜牧"),
        Emergency = ("EMERGENCY", "应急管理"),
        PublicSecurity = ("PUBLIC_SECURITY", "公安"),
    }
}

code_enum! {
    /// Kind of risk clue (风险预警线索).
    pub enum ClueType {
        HighMedicalOop = ("HIGH_MEDICAL_OOP", "医疗自付费用高"),
        NewSeriousIllness = ("NEW_SERIOUS_ILLNESS", "新患大病"),
        Dropout = ("DROPOUT", "辍学"),
        HighEduCost = ("HIGH_EDU_COST", "教育支出高"),
        HouseUnsafe = ("HOUSE_UNSAFE", "住房不安全"),
        WaterAffected = ("WATER_AFFECTED", "饮水受影响"),
        Disaster = ("DISASTER", "受灾"),
        Accident = ("ACCIDENT", "意外事故"),
        JobLoss = ("JOB_LOSS", "失业"),
        IndustryFailure = ("INDUSTRY_FAILURE", "产业失败"),
        NewDisability = ("NEW_DISABILITY", "新增残疾"),
        Death = ("DEATH", "死亡"),
        Other = ("OTHER", "其他"),
    }
}

code_enum! {
    /// Outcome of a township's verification of a risk clue.
    pub enum VerifyStatus {
        Pending = ("PENDING", "待核实"),
        Included = ("INCLUDED", "纳入"),
        NotEligible = ("NOT_ELIGIBLE", "不符合"),
        AlreadyCovered = ("ALREADY_COVERED", "已帮扶"),
    }
}

code_enum! {
    /// Work the server hands to a tablet.
    pub enum TaskKind {
        VerifyRiskClue = ("VERIFY_RISK_CLUE", "核实风险线索"),
        VisitReturned = ("VISIT_RETURNED", "走访退回"),
        VisitDue = ("VISIT_DUE", "季度走访"),
        ResolveConflict = ("RESOLVE_CONFLICT", "数据冲突待处理"),
        CheckIdentification = ("CHECK_IDENTIFICATION", "核查是否纳入监测"),
        PlanMeasures = ("PLAN_MEASURES", "制定帮扶计划"),
        CheckMeasures = ("CHECK_MEASURES", "帮扶措施落实核查"),
    }
}
