use crate::code_enum::code_enum;

code_enum! {
    /// Ethnic group (民族) per GB/T 3304; [`Ethnicity::gb3304`] gives the two-digit number.
    pub enum Ethnicity {
        Han = ("HAN", "汉族"),
        Mongol = ("MONGOL", "蒙古族"),
        Hui = ("HUI", "回族"),
        Tibetan = ("TIBETAN", "藏族"),
        Uyghur = ("UYGHUR", "维吾尔族"),
        Miao = ("MIAO", "苗族"),
        Yi = ("YI", "彝族"),
        Zhuang = ("ZHUANG", "壮族"),
        Bouyei = ("BOUYEI", "布依族"),
        Korean = ("KOREAN", "朝鲜族"),
        Manchu = ("MANCHU", "满族"),
        Dong = ("DONG", "侗族"),
        Yao = ("YAO", "瑶族"),
        Bai = ("BAI", "白族"),
        Tujia = ("TUJIA", "土家族"),
        Hani = ("HANI", "哈尼族"),
        Kazakh = ("KAZAKH", "哈萨克族"),
        Dai = ("DAI", "傣族"),
        Li = ("LI", "黎族"),
        Lisu = ("LISU", "傈僳族"),
        Va = ("VA", "佤族"),
        She = ("SHE", "畲族"),
        Gaoshan = ("GAOSHAN", "高山族"),
        Lahu = ("LAHU", "拉祜族"),
        Shui = ("SHUI", "水族"),
        Dongxiang = ("DONGXIANG", "东乡族"),
        Naxi = ("NAXI", "纳西族"),
        Jingpo = ("JINGPO", "景颇族"),
        Kyrgyz = ("KYRGYZ", "柯尔克孜族"),
        Tu = ("TU", "土族"),
        Daur = ("DAUR", "达斡尔族"),
        Mulao = ("MULAO", "仫佬族"),
        Qiang = ("QIANG", "羌族"),
        Blang = ("BLANG", "布朗族"),
        Salar = ("SALAR", "撒拉族"),
        Maonan = ("MAONAN", "毛南族"),
        Gelao = ("GELAO", "仡佬族"),
        Xibe = ("XIBE", "锡伯族"),
        Achang = ("ACHANG", "阿昌族"),
        Pumi = ("PUMI", "普米族"),
        Tajik = ("TAJIK", "塔吉克族"),
        Nu = ("NU", "怒族"),
        Uzbek = ("UZBEK", "乌孜别克族"),
        Russian = ("RUSSIAN", "俄罗斯族"),
        Evenki = ("EVENKI", "鄂温克族"),
        Deang = ("DEANG", "德昂族"),
        Bonan = ("BONAN", "保安族"),
        Yugur = ("YUGUR", "裕固族"),
        Gin = ("GIN", "京族"),
        Tatar = ("TATAR", "塔塔尔族"),
        Derung = ("DERUNG", "独龙族"),
        Oroqen = ("OROQEN", "鄂伦春族"),
        Hezhen = ("HEZHEN", "赫哲族"),
        Monba = ("MONBA", "门巴族"),
        Lhoba = ("LHOBA", "珞巴族"),
        Jino = ("JINO", "基诺族"),
        Other = ("OTHER", "其他"),
        ForeignOrigin = ("FOREIGN_ORIGIN", "外国血统中国籍人士"),
    }
}

impl Ethnicity {
    /// The two-digit GB/T 3304 number ("01" 汉族 … "56" 基诺族, "97" 其他, "98" 外国血统).
    pub fn gb3304(self) -> String {
        match self {
            Ethnicity::Other => "97".to_owned(),
            Ethnicity::ForeignOrigin => "98".to_owned(),
            other => {
                let index = Self::ALL.iter().position(|e| *e == other).unwrap_or(0);
                format!("{:02}", index + 1)
            }
        }
    }

    /// Parses a GB/T 3304 number.
    pub fn from_gb3304(number: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.gb3304() == number)
    }
}
