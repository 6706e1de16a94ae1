use crate::code_enum::code_enum;

code_enum! {
    /// Relation to the head of household (与户主关系).
    pub enum Relation {
        Head = ("SELF", "户主"),
        Spouse = ("SPOUSE", "配偶"),
        Son = ("SON", "之子"),
        Daughter = ("DAUGHTER", "之女"),
        DaughterInLaw = ("DAUGHTER_IN_LAW", "之儿媳"),
        SonInLaw = ("SON_IN_LAW", "之女婿"),
        Grandson = ("GRANDSON", "之孙子"),
        Granddaughter = ("GRANDDAUGHTER", "之孙女"),
        Father = ("FATHER", "之父"),
        Mother = ("MOTHER", "之母"),
        ParentInLaw = ("PARENT_IN_LAW", "之岳父母/公婆"),
        Grandparent = ("GRANDPARENT", "之祖父母"),
        Sibling = ("SIBLING", "之兄弟姐妹"),
        SiblingInLaw = ("SIBLING_IN_LAW", "之兄弟姐妹配偶"),
        GreatGrandchild = ("GREAT_GRANDCHILD", "之曾孙子女"),
        Nephew = ("NEPHEW", "之侄子/外甥"),
        Niece = ("NIECE", "之侄女/外甥女"),
        Uncle = ("UNCLE", "之叔伯舅"),
        Other = ("OTHER", "其他"),
    }
}

code_enum! {
    /// Sex as recorded on the ID card.
    pub enum Sex {
        Male = ("MALE", "男"),
        Female = ("FEMALE", "女"),
    }
}

code_enum! {
    /// Identity document type (证件类型).
    pub enum IdType {
        ResidentId = ("RESIDENT_ID", "居民身份证"),
        DisabilityCert = ("DISABILITY_CERT", "残疾人证"),
        Military = ("MILITARY", "军人证件"),
    }
}

code_enum! {
    /// Health status; a member may have several.
    pub enum Health {
        Healthy = ("HEALTHY", "健康"),
        Chronic = ("CHRONIC", "长期慢性病"),
        SeriousIllness = ("SERIOUS_ILLNESS", "患有大病"),
        Disabled = ("DISABLED", "残疾"),
    }
}

code_enum! {
    /// Labour skill (劳动技能).
    pub enum LabourSkill {
        Ordinary = ("ORDINARY", "普通劳动力"),
        Skilled = ("SKILLED", "技能劳动力"),
        Weak = ("WEAK", "弱劳动力或半劳动力"),
        Lost = ("LOST", "丧失劳动力"),
        None = ("NONE", "无劳动力"),
    }
}

impl LabourSkill {
    /// Counts as labour force for the consistency rules.
    pub const fn is_labour(self) -> bool {
        matches!(
            self,
            LabourSkill::Ordinary | LabourSkill::Skilled | LabourSkill::Weak
        )
    }
}

code_enum! {
    /// Highest education completed (文化程度), for members no longer in school.
    pub enum Education {
        Illiterate = ("ILLITERATE", "文盲或半文盲"),
        Primary = ("PRIMARY", "小学"),
        Junior = ("JUNIOR", "初中"),
        Senior = ("SENIOR", "高中"),
        Vocational = ("VOCATIONAL", "中专/中职"),
        College = ("COLLEGE", "大专及以上"),
    }
}

code_enum! {
    /// Current school stage (在校生状况), for members in school.
    pub enum SchoolStatus {
        Preschool = ("PRESCHOOL", "学前教育"),
        PrimarySchool = ("PRIMARY_SCHOOL", "小学"),
        JuniorSchool = ("JUNIOR_SCHOOL", "初中"),
        SeniorSchool = ("SENIOR_SCHOOL", "普通高中"),
        SecondaryVocational = ("SECONDARY_VOCATIONAL", "中职"),
        HigherVocational = ("HIGHER_VOCATIONAL", "高职"),
        Undergraduate = ("UNDERGRADUATE", "本科"),
        Postgraduate = ("POSTGRADUATE", "研究生"),
    }
}

code_enum! {
    /// Disability category (残疾类别).
    pub enum DisabilityCategory {
        Visual = ("VISUAL", "视力残疾"),
        Hearing = ("HEARING", "听力残疾"),
        Speech = ("SPEECH", "言语残疾"),
        Physical = ("PHYSICAL", "肢体残疾"),
        Intellectual = ("INTELLECTUAL", "智力残疾"),
        Mental = ("MENTAL", "精神残疾"),
        Multiple = ("MULTIPLE", "多重残疾"),
    }
}

code_enum! {
    /// Political status (政治面貌).
    pub enum PoliticalStatus {
        CpcMember = ("CPC_MEMBER", "中共党员"),
        CpcProbationary = ("CPC_PROBATIONARY", "中共预备党员"),
        CylMember = ("CYL_MEMBER", "共青团员"),
        OtherParty = ("OTHER_PARTY", "民主党派"),
        Masses = ("MASSES", "群众"),
    }
}

code_enum! {
    /// Insurance a member holds.
    pub enum Insurance {
        ResidentMedical = ("RESIDENT_MEDICAL", "城乡居民基本医疗保险"),
        EmployeeMedical = ("EMPLOYEE_MEDICAL", "职工基本医疗保险"),
        CriticalIllness = ("CRITICAL_ILLNESS", "大病保险"),
        Commercial = ("COMMERCIAL", "商业补充医疗保险"),
        ResidentPension = ("RESIDENT_PENSION", "城乡居民基本养老保险"),
        EmployeePension = ("EMPLOYEE_PENSION", "职工基本养老保险"),
    }
}

impl Insurance {
    /// Counts as basic medical insurance (基本医疗保险) for the four guarantees.
    pub const fn is_basic_medical(self) -> bool {
        matches!(
            self,
            Insurance::ResidentMedical | Insurance::EmployeeMedical
        )
    }
}
