use crate::code_enum::code_enum;

code_enum! {
    /// Household type (户类型).
    pub enum HouseholdType {
        General = ("GENERAL", "一般户"),
        Lifted = ("LIFTED", "脱贫户"),
    }
}

code_enum! {
    /// Monitoring category: the 三类户.
    pub enum MonitorCategory {
        UnstableLifted = ("UNSTABLE_LIFTED", "脱贫不稳定户"),
        Marginal = ("MARGINAL", "边缘易致贫户"),
        SuddenHardship = ("SUDDEN_HARDSHIP", "突发严重困难户"),
    }
}

code_enum! {
    /// Risk of falling (back) into poverty (致贫返贫风险). A household has at most five.
    pub enum RiskType {
        Illness = ("ILLNESS", "因病"),
        Disability = ("DISABILITY", "因残"),
        Education = ("EDUCATION", "因学"),
        Disaster = ("DISASTER", "因自然灾害"),
        Accident = ("ACCIDENT", "因意外事故"),
        IndustryFailure = ("INDUSTRY_FAILURE", "因产业项目失败"),
        EmploymentUnstable = ("EMPLOYMENT_UNSTABLE", "因务工就业不稳"),
        LackLabor = ("LACK_LABOR", "缺劳动力"),
        HousingUnsafe = ("HOUSING_UNSAFE", "住房安全"),
        WaterUnsafe = ("WATER_UNSAFE", "饮水安全"),
        Other = ("OTHER", "其他"),
    }
}

code_enum! {
    /// The twelve assistance measures (帮扶措施).
    pub enum MeasureKind {
        Industry = ("INDUSTRY", "产业帮扶"),
        Finance = ("FINANCE", "金融帮扶"),
        Employment = ("EMPLOYMENT", "就业帮扶"),
        Housing = ("HOUSING", "安全住房保障"),
        Water = ("WATER", "饮水安全保障"),
        Health = ("HEALTH", "健康帮扶"),
        Education = ("EDUCATION", "教育帮扶"),
        Social = ("SOCIAL", "社会帮扶"),
        Relocation = ("RELOCATION", "搬迁"),
        SocialSecurity = ("SOCIAL_SECURITY", "综合保障兜底"),
        DedicatedHelper = ("DEDICATED_HELPER", "专人帮扶"),
        RiskFund = ("RISK_FUND", "防贫风险基金"),
    }
}

impl MeasureKind {
    /// Developmental measures: what a household with labour is expected to receive.
    pub const fn is_developmental(self) -> bool {
        matches!(
            self,
            MeasureKind::Industry | MeasureKind::Employment | MeasureKind::Finance
        )
    }
}

code_enum! {
    /// How far an assistance measure has been carried out.
    pub enum MeasureStatus {
        Planned = ("PLANNED", "计划中"),
        InProgress = ("IN_PROGRESS", "实施中"),
        Done = ("DONE", "已完成"),
    }
}

code_enum! {
    /// Natural increase / decrease (自然增减) of a household's members.
    pub enum NaturalChangeKind {
        Birth = ("BIRTH", "出生"),
        MarryIn = ("MARRY_IN", "婚入"),
        MoveIn = ("MOVE_IN", "迁入"),
        Death = ("DEATH", "死亡"),
        MarryOut = ("MARRY_OUT", "婚出"),
        MoveOut = ("MOVE_OUT", "迁出"),
        Other = ("OTHER", "其他"),
    }
}

impl NaturalChangeKind {
    /// Adds a member to the household.
    pub const fn is_increase(self) -> bool {
        matches!(self, Self::Birth | Self::MarryIn | Self::MoveIn)
    }
    /// Removes a member from the household.
    pub const fn is_decrease(self) -> bool {
        matches!(self, Self::Death | Self::MarryOut | Self::MoveOut)
    }
}

code_enum! {
    /// House danger grade from a safety appraisal; C and D are unsafe.
    pub enum DangerGrade {
        A = ("A", "A级"),
        B = ("B", "B级"),
        C = ("C", "C级(局部危房)"),
        D = ("D", "D级(整栋危房)"),
    }
}

impl DangerGrade {
    /// C and D need a housing measure.
    pub const fn is_unsafe(self) -> bool {
        matches!(self, DangerGrade::C | DangerGrade::D)
    }
}

code_enum! {
    /// Drinking-water supply.
    pub enum WaterSupply {
        Central = ("CENTRAL", "集中供水"),
        Dispersed = ("DISPERSED", "分散供水"),
    }
}

code_enum! {
    /// Road to the house.
    pub enum RoadType {
        Cement = ("CEMENT", "水泥路"),
        Asphalt = ("ASPHALT", "沥青路"),
        Gravel = ("GRAVEL", "砂石路"),
        Dirt = ("DIRT", "泥土路"),
        None = ("NONE", "无"),
    }
}

code_enum! {
    /// Whether a benefit (低保, 特困) is rural, urban, or not received.
    pub enum AssistanceScope {
        Rural = ("RURAL", "农村"),
        Urban = ("URBAN", "城市"),
        None = ("NONE", "否"),
    }
}

code_enum! {
    /// How a household's risk was eliminated.
    pub enum EliminationMode {
        Assisted = ("ASSISTED", "帮扶消除"),
        Natural = ("NATURAL", "自然消除"),
    }
}
