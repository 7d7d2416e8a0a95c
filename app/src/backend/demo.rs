//! The demo zone: a realistic Jiangxi inspection-and-testing cluster zone, loaded into an empty
//! database so that every page has something to show. Names are illustrative, not real
//! organisations' data. Deterministic for a given "now" and seed.

use super::Db;
use crate::domain::catalogue::{CustomerCategory, ResourceKind};
use crate::domain::money::Money;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use sqlx::{Any, Transaction};

struct Institution {
    zh: &'static str,
    en: &'static str,
    city_zh: &'static str,
    city_en: &'static str,
    domain: &'static str,
}

const INSTITUTIONS: &[Institution] = &[
    Institution {
        zh: "江西省检验检测认证总院",
        en: "Jiangxi Provincial Institute of Inspection, Testing and Certification",
        city_zh: "南昌",
        city_en: "Nanchang",
        domain: "jxiic.example",
    },
    Institution {
        zh: "国家铜及铜制品质量检验检测中心（鹰潭）",
        en: "National Copper Products Quality Inspection and Testing Center (Yingtan)",
        city_zh: "鹰潭",
        city_en: "Yingtan",
        domain: "cu-yingtan.example",
    },
    Institution {
        zh: "国家锂电产品质量检验检测中心（宜春）",
        en: "National Lithium Battery Products Quality Inspection and Testing Center (Yichun)",
        city_zh: "宜春",
        city_en: "Yichun",
        domain: "li-yichun.example",
    },
    Institution {
        zh: "国家家具产品质量检验检测中心（南康）",
        en: "National Furniture Products Quality Inspection and Testing Center (Nankang)",
        city_zh: "赣州南康",
        city_en: "Nankang, Ganzhou",
        domain: "furniture-nankang.example",
    },
    Institution {
        zh: "国家有机硅产品质量检验检测中心（永修）",
        en: "National Organic Silicon Products Quality Inspection and Testing Center (Yongxiu)",
        city_zh: "九江永修",
        city_en: "Yongxiu, Jiujiang",
        domain: "si-yongxiu.example",
    },
    Institution {
        zh: "国家眼镜产品质量检验检测中心（余江）",
        en: "National Eyewear Products Quality Inspection and Testing Center (Yujiang)",
        city_zh: "鹰潭余江",
        city_en: "Yujiang, Yingtan",
        domain: "eyewear-yujiang.example",
    },
    Institution {
        zh: "京九电子信息产品检测中心（吉安）",
        en: "Beijing–Kowloon Electronics Testing Center (Ji'an)",
        city_zh: "吉安",
        city_en: "Ji'an",
        domain: "emc-jian.example",
    },
];

/// (code, zh, en)
const CATEGORIES: &[(&str, &str, &str)] = &[
    ("battery", "电池性能测试", "Battery testing"),
    ("chromatography", "色谱分析", "Chromatography"),
    ("emc", "电磁兼容", "EMC"),
    ("emission", "有害物质释放", "Emission testing"),
    ("environment", "环境试验", "Environmental chambers"),
    ("mechanical", "力学性能", "Mechanical testing"),
    ("microscopy", "显微分析", "Microscopy"),
    ("optics", "光学测量", "Optical measurement"),
    ("spectrometry", "光谱分析", "Spectrometry"),
];

/// A lab or enterprise that books equipment, with its one demo user.
struct Customer(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Membership,
    Size,
    &'static str,
    &'static str,
);

#[derive(PartialEq)]
enum Membership {
    InZone,
    Outside,
}

#[derive(PartialEq)]
enum Size {
    Sme,
    Large,
}

use Membership::{InZone, Outside};
use Size::{Large, Sme};

/// (zh, en, kind, city_zh, city_en, zone membership, size, user name, email)
const CUSTOMERS: &[Customer] = &[
    Customer(
        "赣州南康木匠家具有限公司",
        "Nankang Craftsman Furniture Co., Ltd.",
        "enterprise",
        "赣州南康",
        "Nankang",
        InZone,
        Sme,
        "刘芳",
        "liu.fang@nk-furniture.example",
    ),
    Customer(
        "宜春锂源新能源科技有限公司",
        "Yichun Lithium Source New Energy Technology Co., Ltd.",
        "enterprise",
        "宜春",
        "Yichun",
        InZone,
        Sme,
        "陈强",
        "chen.qiang@li-source.example",
    ),
    Customer(
        "永修星火硅材料科技有限公司",
        "Yongxiu Spark Silicon Materials Technology Co., Ltd.",
        "enterprise",
        "九江永修",
        "Yongxiu",
        InZone,
        Large,
        "王磊",
        "wang.lei@spark-si.example",
    ),
    Customer(
        "余江明视眼镜有限公司",
        "Yujiang Clear Vision Eyewear Co., Ltd.",
        "enterprise",
        "鹰潭余江",
        "Yujiang",
        InZone,
        Sme,
        "赵敏",
        "zhao.min@clearvision.example",
    ),
    Customer(
        "鹰潭精工铜材有限公司",
        "Yingtan Precision Copper Co., Ltd.",
        "enterprise",
        "鹰潭",
        "Yingtan",
        InZone,
        Sme,
        "孙涛",
        "sun.tao@precision-cu.example",
    ),
    Customer(
        "南昌大学材料科学与工程学院实验室",
        "Nanchang University Materials Science Laboratory",
        "lab",
        "南昌",
        "Nanchang",
        Outside,
        Large,
        "李娜",
        "li.na@ncu-lab.example",
    ),
    Customer(
        "赣州稀土检测服务有限公司",
        "Ganzhou Rare Earth Testing Services Co., Ltd.",
        "lab",
        "赣州",
        "Ganzhou",
        Outside,
        Sme,
        "黄伟",
        "huang.wei@ree-test.example",
    ),
    Customer(
        "吉安京九电子科技有限公司",
        "Ji'an Jingjiu Electronics Technology Co., Ltd.",
        "enterprise",
        "吉安",
        "Ji'an",
        Outside,
        Sme,
        "周杰",
        "zhou.jie@jj-electronics.example",
    ),
    Customer(
        "上饶光学仪器厂",
        "Shangrao Optical Instrument Works",
        "enterprise",
        "上饶",
        "Shangrao",
        Outside,
        Large,
        "吴静",
        "wu.jing@sr-optics.example",
    ),
];

struct DemoResource {
    institution: usize,
    category: &'static str,
    kind: ResourceKind,
    zh: &'static str,
    en: &'static str,
    model: &'static str,
    maker: &'static str,
    /// Original value in units of 10,000 yuan (万元).
    value_wan: i64,
    /// External rate per hour, in yuan.
    rate: i64,
    approval: bool,
    standards: &'static [&'static str],
    spec: (&'static str, &'static str, &'static str),
}

macro_rules! res {
    ($inst:expr, $cat:expr, $kind:ident, $zh:expr, $en:expr, $model:expr, $maker:expr, $wan:expr, $rate:expr, $appr:expr, [$($std:expr),*], ($sl:expr, $se:expr, $sv:expr)) => {
        DemoResource { institution: $inst, category: $cat, kind: ResourceKind::$kind, zh: $zh, en: $en, model: $model, maker: $maker,
            value_wan: $wan, rate: $rate, approval: $appr, standards: &[$($std),*], spec: ($sl, $se, $sv) }
    };
}

const RESOURCES: &[DemoResource] = &[
    res!(
        0,
        "spectrometry",
        Instrument,
        "电感耦合等离子体发射光谱仪",
        "ICP-OES",
        "Avio 550 Max",
        "PerkinElmer",
        98,
        420,
        false,
        ["GB/T 20975.25", "GB 5009.268"],
        ("波长范围", "Wavelength range", "163–782 nm")
    ),
    res!(
        0,
        "spectrometry",
        Instrument,
        "电感耦合等离子体质谱仪",
        "ICP-MS",
        "7900",
        "Agilent",
        185,
        680,
        true,
        ["GB 5009.268", "HJ 700"],
        ("质量范围", "Mass range", "2–260 amu")
    ),
    res!(
        0,
        "chromatography",
        Instrument,
        "气相色谱-质谱联用仪",
        "GC-MS",
        "8890/5977B",
        "Agilent",
        92,
        450,
        false,
        ["GB/T 18204.2", "GB 31604.30"],
        ("质量范围", "Mass range", "1.5–1050 u")
    ),
    res!(
        0,
        "chromatography",
        Instrument,
        "高效液相色谱仪",
        "HPLC",
        "LC-20AD",
        "岛津 Shimadzu",
        45,
        260,
        false,
        ["GB 5009.28"],
        ("最高压力", "Max pressure", "44 MPa")
    ),
    res!(
        0,
        "microscopy",
        Instrument,
        "场发射扫描电子显微镜",
        "Field-emission SEM",
        "Sigma 300",
        "ZEISS",
        420,
        900,
        true,
        ["GB/T 16594"],
        ("分辨率", "Resolution", "1.2 nm @ 15 kV")
    ),
    res!(
        0,
        "mechanical",
        Instrument,
        "电子万能试验机 100 kN",
        "Universal testing machine 100 kN",
        "CMT5105",
        "美特斯 MTS",
        38,
        200,
        false,
        ["GB/T 228.1", "GB/T 1040.2"],
        ("最大试验力", "Max force", "100 kN")
    ),
    res!(
        0,
        "environment",
        Facility,
        "恒温恒湿实验室",
        "Constant temperature and humidity room",
        "HW-20",
        "广州五所 CEPREI",
        60,
        150,
        false,
        ["GB/T 2423.3"],
        ("温湿度", "Conditions", "23±2 °C, 50±5 %RH")
    ),
    res!(
        1,
        "spectrometry",
        Instrument,
        "波长色散X射线荧光光谱仪",
        "WD-XRF spectrometer",
        "ZSX Primus IV",
        "理学 Rigaku",
        260,
        520,
        false,
        ["GB/T 5121.1", "YS/T 482"],
        ("元素范围", "Elements", "Be–U")
    ),
    res!(
        1,
        "spectrometry",
        Instrument,
        "火花直读光谱仪",
        "Spark OES",
        "SPECTROMAXx",
        "SPECTRO",
        85,
        300,
        false,
        ["GB/T 4103.1"],
        ("基体", "Matrices", "Cu, Al, Fe")
    ),
    res!(
        1,
        "microscopy",
        Instrument,
        "金相显微镜",
        "Metallographic microscope",
        "DM2700 M",
        "Leica",
        32,
        160,
        false,
        ["GB/T 3246.1"],
        ("放大倍数", "Magnification", "50–1000×")
    ),
    res!(
        1,
        "mechanical",
        Instrument,
        "电子万能试验机 300 kN",
        "Universal testing machine 300 kN",
        "Z300",
        "ZwickRoell",
        120,
        320,
        false,
        ["GB/T 228.1", "GB/T 34505"],
        ("最大试验力", "Max force", "300 kN")
    ),
    res!(
        1,
        "mechanical",
        Instrument,
        "显微维氏硬度计",
        "Micro Vickers hardness tester",
        "HM-220",
        "三丰 Mitutoyo",
        26,
        120,
        false,
        ["GB/T 4340.1"],
        ("试验力", "Test force", "0.098–19.6 N")
    ),
    res!(
        1,
        "environment",
        Facility,
        "中性盐雾试验室",
        "Neutral salt-spray room",
        "SST-2000",
        "苏试 Suzhou Sushi",
        40,
        90,
        false,
        ["GB/T 10125", "GB/T 2423.17"],
        ("容积", "Volume", "2 m³")
    ),
    res!(
        1,
        "spectrometry",
        Instrument,
        "直流电导率测试仪",
        "Eddy-current conductivity meter",
        "Sigmatest 2.069",
        "Foerster",
        18,
        80,
        false,
        ["GB/T 32791"],
        ("测量范围", "Range", "0.5–65 MS/m")
    ),
    res!(
        2,
        "battery",
        Instrument,
        "电池充放电测试系统（512通道）",
        "Battery cycler (512 channels)",
        "CT-4008Tn",
        "新威 Neware",
        150,
        380,
        false,
        ["GB/T 31484", "GB/T 36276"],
        ("通道", "Channels", "512 × 5 V/6 A")
    ),
    res!(
        2,
        "battery",
        Instrument,
        "动力电池组测试系统",
        "Battery pack tester",
        "BAT-750",
        "Chroma",
        260,
        650,
        true,
        ["GB/T 31467.3", "GB 38031"],
        ("电压/电流", "Voltage/current", "750 V / 500 A")
    ),
    res!(
        2,
        "battery",
        Facility,
        "电池针刺挤压防爆试验室",
        "Nail-penetration and crush explosion-proof bay",
        "ZC-100",
        "东莞众志 Zhongzhi",
        120,
        520,
        true,
        ["GB 38031", "GB/T 31485"],
        ("挤压力", "Crush force", "200 kN")
    ),
    res!(
        2,
        "environment",
        Facility,
        "高低温冲击试验箱",
        "Thermal-shock chamber",
        "TSE-12-A",
        "爱斯佩克 ESPEC",
        68,
        180,
        false,
        ["GB/T 2423.22", "GB/T 31485"],
        ("温度范围", "Temperature", "−65 °C to +200 °C")
    ),
    res!(
        2,
        "environment",
        Facility,
        "步入式高低温湿热试验室",
        "Walk-in climate chamber",
        "EWT-27",
        "爱斯佩克 ESPEC",
        110,
        260,
        false,
        ["GB/T 2423.1", "GB/T 2423.2", "GB/T 2423.3"],
        ("容积", "Volume", "27 m³")
    ),
    res!(
        2,
        "spectrometry",
        Instrument,
        "X射线衍射仪",
        "X-ray diffractometer (XRD)",
        "D8 ADVANCE",
        "Bruker",
        180,
        480,
        false,
        ["GB/T 30835"],
        ("测角仪", "Goniometer", "θ/θ, 250 mm")
    ),
    res!(
        2,
        "microscopy",
        Instrument,
        "台式扫描电子显微镜",
        "Benchtop SEM",
        "Phenom XL G2",
        "Thermo Fisher",
        95,
        380,
        false,
        ["GB/T 16594"],
        ("分辨率", "Resolution", "< 10 nm")
    ),
    res!(
        3,
        "emission",
        Facility,
        "1 m³ 甲醛释放量气候箱",
        "1 m³ formaldehyde-emission chamber",
        "FEC-1000",
        "东莞升微 Shengwei",
        55,
        220,
        true,
        ["GB 18580", "GB/T 31107", "GB 18584"],
        ("容积", "Volume", "1 m³, 23 °C, 45 %RH")
    ),
    res!(
        3,
        "emission",
        Facility,
        "VOC 释放舱（30 m³）",
        "VOC emission chamber (30 m³)",
        "VOC-30",
        "苏州苏信 Suxin",
        140,
        360,
        true,
        ["GB/T 29899"],
        ("容积", "Volume", "30 m³")
    ),
    res!(
        3,
        "mechanical",
        Instrument,
        "家具力学性能综合试验机",
        "Furniture strength and durability tester",
        "JJ-8000",
        "东莞恒科 Hengke",
        48,
        180,
        false,
        ["GB/T 10357.1", "GB/T 10357.3"],
        ("加载点", "Loading points", "8 servo axes")
    ),
    res!(
        3,
        "chromatography",
        Instrument,
        "热脱附-气质联用仪",
        "Thermal desorption GC-MS",
        "TD-100xr / GCMS-QP2020 NX",
        "Markes / 岛津 Shimadzu",
        110,
        420,
        false,
        ["GB/T 18883", "GB 18584"],
        ("吸附管", "Sorbent tubes", "100 positions")
    ),
    res!(
        3,
        "environment",
        Facility,
        "恒温恒湿调湿室",
        "Conditioning room",
        "TH-40",
        "重庆银河 Yinhe",
        35,
        80,
        false,
        ["GB/T 6529"],
        ("温湿度", "Conditions", "20±2 °C, 65±4 %RH")
    ),
    res!(
        3,
        "mechanical",
        Instrument,
        "木材万能力学试验机",
        "Wood universal testing machine",
        "WDW-50",
        "济南试金 Jinan",
        22,
        120,
        false,
        ["GB/T 1927.9"],
        ("最大试验力", "Max force", "50 kN")
    ),
    res!(
        4,
        "chromatography",
        Instrument,
        "凝胶渗透色谱仪",
        "Gel permeation chromatograph (GPC)",
        "1260 Infinity II GPC/SEC",
        "Agilent",
        75,
        300,
        false,
        ["GB/T 21863"],
        ("分子量范围", "Molar mass range", "10²–10⁷ g/mol")
    ),
    res!(
        4,
        "spectrometry",
        Instrument,
        "傅里叶变换红外光谱仪",
        "FTIR spectrometer",
        "Nicolet iS50",
        "Thermo Fisher",
        68,
        240,
        false,
        ["GB/T 6040"],
        ("波数范围", "Range", "7800–350 cm⁻¹")
    ),
    res!(
        4,
        "spectrometry",
        Instrument,
        "核磁共振波谱仪 400 MHz",
        "NMR spectrometer 400 MHz",
        "AVANCE NEO 400",
        "Bruker",
        480,
        980,
        true,
        ["GB/T 38509"],
        ("磁场", "Field", "9.4 T")
    ),
    res!(
        4,
        "mechanical",
        Instrument,
        "旋转流变仪",
        "Rotational rheometer",
        "MCR 302e",
        "Anton Paar",
        88,
        320,
        false,
        ["GB/T 2794"],
        ("扭矩范围", "Torque", "1 nN·m–230 mN·m")
    ),
    res!(
        4,
        "environment",
        Facility,
        "紫外老化试验箱",
        "UV weathering chamber",
        "QUV/spray",
        "Q-Lab",
        30,
        60,
        false,
        ["GB/T 16422.3"],
        ("辐照度", "Irradiance", "0.89 W/m² @ 340 nm")
    ),
    res!(
        4,
        "chromatography",
        Instrument,
        "气相色谱仪（FID/TCD）",
        "Gas chromatograph (FID/TCD)",
        "GC-2030",
        "岛津 Shimadzu",
        36,
        180,
        false,
        ["GB/T 20437"],
        ("检测器", "Detectors", "FID, TCD")
    ),
    res!(
        5,
        "optics",
        Instrument,
        "焦度计（全自动）",
        "Automatic lensmeter",
        "LM-1800P",
        "尼德克 NIDEK",
        12,
        60,
        false,
        ["GB 10810.1", "GB/T 14214"],
        ("测量范围", "Range", "±25 D")
    ),
    res!(
        5,
        "optics",
        Instrument,
        "分光光度计（透射比）",
        "Spectrophotometer (transmittance)",
        "Cary 5000",
        "Agilent",
        85,
        260,
        false,
        ["GB 10810.3", "GB 39552.1"],
        ("波长范围", "Wavelength", "175–3300 nm")
    ),
    res!(
        5,
        "mechanical",
        Instrument,
        "眼镜架耐疲劳试验机",
        "Spectacle frame fatigue tester",
        "EF-2000",
        "上海精密 Shanghai",
        15,
        80,
        false,
        ["GB/T 14214"],
        ("循环", "Cycles", "≤ 60 cycles/min")
    ),
    res!(
        5,
        "environment",
        Facility,
        "耐汗腐蚀试验箱",
        "Artificial sweat corrosion chamber",
        "SW-100",
        "无锡 Wuxi",
        10,
        40,
        false,
        ["GB/T 38004"],
        ("温度", "Temperature", "55 ± 2 °C")
    ),
    res!(
        5,
        "optics",
        Instrument,
        "镜片抗冲击落球试验机",
        "Lens drop-ball impact tester",
        "DB-16",
        "上海精密 Shanghai",
        8,
        50,
        false,
        ["GB 10810.1"],
        ("钢球", "Ball", "16 g, 1.27 m")
    ),
    res!(
        6,
        "emc",
        Facility,
        "10 米法半电波暗室",
        "10 m semi-anechoic EMC chamber",
        "SAC-10",
        "ETS-Lindgren",
        1800,
        2600,
        true,
        ["GB/T 9254.1", "GB/T 17626.3", "IEC 61000-4-3"],
        ("测试距离", "Test distance", "3 m / 10 m")
    ),
    res!(
        6,
        "emc",
        Facility,
        "3 米法全电波暗室",
        "3 m fully anechoic chamber",
        "FAC-3",
        "常州 Changzhou",
        650,
        1200,
        true,
        ["GB/T 17626.3", "IEC 61000-4-3"],
        ("频率范围", "Frequency", "30 MHz–18 GHz")
    ),
    res!(
        6,
        "emc",
        Instrument,
        "静电放电抗扰度测试系统",
        "ESD immunity test system",
        "NSG 438A",
        "Teseq",
        28,
        180,
        false,
        ["GB/T 17626.2", "IEC 61000-4-2"],
        ("放电电压", "Voltage", "±30 kV")
    ),
    res!(
        6,
        "emc",
        Instrument,
        "电快速瞬变脉冲群/浪涌组合发生器",
        "EFT/surge combination generator",
        "NX5",
        "EM TEST",
        46,
        220,
        false,
        ["GB/T 17626.4", "GB/T 17626.5"],
        ("浪涌电压", "Surge", "up to 5 kV")
    ),
    res!(
        6,
        "emc",
        Facility,
        "传导骚扰屏蔽室",
        "Conducted-emission shielded room",
        "SR-6",
        "ETS-Lindgren",
        120,
        400,
        false,
        ["GB/T 9254.1", "CISPR 32"],
        ("屏蔽效能", "Shielding", "≥ 100 dB")
    ),
    res!(
        6,
        "environment",
        Facility,
        "振动试验台（电动）",
        "Electrodynamic vibration table",
        "DC-3000",
        "苏试 Suzhou Sushi",
        95,
        300,
        false,
        ["GB/T 2423.10", "GB/T 2423.56"],
        ("推力", "Force", "30 kN")
    ),
    res!(
        6,
        "spectrometry",
        Instrument,
        "能量色散X射线荧光光谱仪（RoHS）",
        "ED-XRF spectrometer (RoHS)",
        "EDX-7200",
        "岛津 Shimadzu",
        42,
        200,
        false,
        ["GB/T 39560.301", "IEC 62321-3-1"],
        ("元素", "Elements", "Na–U")
    ),
];

/// A small deterministic generator (64-bit LCG), enough for demo data and reproducible everywhere.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Counts of what was loaded, for the log.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    pub institutions: usize,
    pub resources: usize,
    pub bookings: usize,
}

impl Db {
    /// Loads the demo zone when the database holds no zone yet; does nothing otherwise.
    pub async fn seed_demo_if_empty<Tz: TimeZone>(
        &self,
        tz: &Tz,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<DemoSummary>> {
        let (zones,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM zones")
            .fetch_one(self.pool())
            .await?;
        if zones > 0 {
            return Ok(None);
        }
        let hash = super::secrets::hash_password(DEMO_PASSWORD.into())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut tx = self.pool().begin().await?;
        let summary = seed(&mut tx, tz, now).await?;
        // Every demo account signs in with the documented demo password.
        sqlx::query("UPDATE users SET password_hash = $1")
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(summary))
    }
}

/// The password of every account in the demo zone (documented in README.md).
pub const DEMO_PASSWORD: &str = "Demo-2026-labshare";

async fn insert_id(
    tx: &mut Transaction<'_, Any>,
    sql: &str,
    binds: Vec<Bind>,
) -> Result<i64, sqlx::Error> {
    let mut q = sqlx::query_as::<_, (i64,)>(sql);
    for b in binds {
        q = match b {
            Bind::I(v) => q.bind(v),
            Bind::T(v) => q.bind(v),
            Bind::B(v) => q.bind(v),
            Bind::N => q.bind(Option::<i64>::None),
        };
    }
    Ok(q.fetch_one(&mut **tx).await?.0)
}

enum Bind {
    I(i64),
    T(String),
    B(bool),
    N,
}

fn t(s: &str) -> Bind {
    Bind::T(s.to_string())
}

struct Org {
    id: i64,
    zone_member: bool,
    sme: bool,
    user: i64,
}

struct Placed {
    resource_id: i64,
    blocked: (i64, i64),
}

async fn seed<Tz: TimeZone>(
    tx: &mut Transaction<'_, Any>,
    tz: &Tz,
    now: DateTime<Utc>,
) -> anyhow::Result<DemoSummary> {
    use Bind::{B, I, N};
    let ts = now.timestamp();
    let today = now.with_timezone(tz).date_naive();
    let day = |offset: i64| {
        (today + Duration::days(offset))
            .format("%Y-%m-%d")
            .to_string()
    };
    let mut rng = Lcg(0x5eed_2026);

    let zone = insert_id(
        tx,
        "INSERT INTO zones (name_zh, name_en, province, time_zone, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        vec![t("江西检验检测认证高技术服务业集聚区"), t("Jiangxi Inspection, Testing and Certification Cluster Zone"), t("江西省"), t("Asia/Shanghai"), I(ts)],
    )
    .await?;

    let mut institutions = Vec::new();
    for (i, inst) in INSTITUTIONS.iter().enumerate() {
        let id = insert_id(
            tx,
            "INSERT INTO organisations (zone_id, kind, name_zh, name_en, city_zh, city_en, credit_code, is_sme, created_at) \
             VALUES ($1, 'institution', $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            vec![I(zone), t(inst.zh), t(inst.en), t(inst.city_zh), t(inst.city_en), Bind::T(format!("12360000MB{:07}X", 1_000 + i)), B(false), I(ts)],
        )
        .await?;
        let admin = insert_id(
            tx,
            "INSERT INTO users (organisation_id, email, display_name, phone, locale, email_verified_at, created_at) \
             VALUES ($1, $2, $3, $4, 'zh-CN', $5, $5) RETURNING id",
            vec![I(id), Bind::T(format!("admin@{}", inst.domain)), Bind::T(format!("{}管理员", inst.city_zh)), Bind::T(format!("0791-8{:07}", 1_234_500 + i)), I(ts)],
        )
        .await?;
        sqlx::query(
            "INSERT INTO user_roles (user_id, role, scope_id) VALUES ($1, 'institution_admin', $2)",
        )
        .bind(admin)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        institutions.push(Org {
            id,
            zone_member: true,
            sme: false,
            user: admin,
        });
    }

    let mut customers = Vec::new();
    for (i, c) in CUSTOMERS.iter().enumerate() {
        let zone_id = if c.5 == InZone { I(zone) } else { N };
        let id = insert_id(
            tx,
            "INSERT INTO organisations (zone_id, kind, name_zh, name_en, city_zh, city_en, credit_code, is_sme, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            vec![zone_id, t(c.2), t(c.0), t(c.1), t(c.3), t(c.4), Bind::T(format!("91360000MA3{:06}K", 200_000 + i)), B(c.6 == Sme), I(ts)],
        )
        .await?;
        let locale = if i % 4 == 3 { "en" } else { "zh-CN" };
        let user = insert_id(
            tx,
            "INSERT INTO users (organisation_id, email, display_name, phone, locale, email_verified_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            vec![I(id), t(c.8), t(c.7), Bind::T(format!("1397000{:04}", 1_000 + i)), t(locale), I(ts)],
        )
        .await?;
        customers.push(Org {
            id,
            zone_member: c.5 == InZone,
            sme: c.6 == Sme,
            user,
        });
    }

    let manager = insert_id(
        tx,
        "INSERT INTO users (organisation_id, email, display_name, locale, email_verified_at, created_at) \
         VALUES ($1, 'manager@jx-zone.example', '集聚区管理办公室', 'zh-CN', $2, $2) RETURNING id",
        vec![I(institutions[0].id), I(ts)],
    )
    .await?;
    sqlx::query("INSERT INTO user_roles (user_id, role, scope_id) VALUES ($1, 'zone_manager', $2)")
        .bind(manager)
        .bind(zone)
        .execute(&mut **tx)
        .await?;
    let site_admin = insert_id(
        tx,
        "INSERT INTO users (organisation_id, email, display_name, locale, email_verified_at, created_at) \
         VALUES ($1, 'siteadmin@jx-zone.example', '平台运维', 'zh-CN', $2, $2) RETURNING id",
        vec![I(institutions[0].id), I(ts)],
    )
    .await?;
    sqlx::query("INSERT INTO user_roles (user_id, role, scope_id) VALUES ($1, 'site_admin', 0)")
        .bind(site_admin)
        .execute(&mut **tx)
        .await?;

    let mut categories = std::collections::HashMap::new();
    for (code, zh, en) in CATEGORIES {
        let id = insert_id(
            tx,
            "INSERT INTO categories (code, name_zh, name_en) VALUES ($1, $2, $3) RETURNING id",
            vec![t(code), t(zh), t(en)],
        )
        .await?;
        categories.insert(*code, id);
    }

    // Zone-wide closures: New Year's Day and the Spring Festival holiday.
    let holidays = [("2027-01-01", "元旦", "New Year's Day")]
        .into_iter()
        .chain((6..=12).map(|d| {
            (
                [
                    "2027-02-06",
                    "2027-02-07",
                    "2027-02-08",
                    "2027-02-09",
                    "2027-02-10",
                    "2027-02-11",
                    "2027-02-12",
                ][d - 6],
                "春节",
                "Spring Festival",
            )
        }));
    let mut closed_days = Vec::new();
    for (d, zh, en) in holidays {
        sqlx::query("INSERT INTO closure_days (zone_id, resource_id, day, note_zh, note_en) VALUES ($1, NULL, $2, $3, $4)")
            .bind(zone)
            .bind(d)
            .bind(zh)
            .bind(en)
            .execute(&mut **tx)
            .await?;
        closed_days.push(NaiveDate::parse_from_str(d, "%Y-%m-%d")?);
    }

    let mut placed: Vec<Placed> = Vec::new();
    let mut booking_count = 0;
    for (n, r) in RESOURCES.iter().enumerate() {
        let owner = &institutions[r.institution];
        let facility = r.kind == ResourceKind::Facility;
        let (status, reason) = match n {
            9 => (
                "maintenance",
                "物镜更换，预计下周恢复 / Objective being replaced, back next week",
            ),
            31 => ("retired", "设备报废 / Decommissioned"),
            _ => ("available", ""),
        };
        let specs = serde_json::json!([
            { "label_zh": r.spec.0, "label_en": r.spec.1, "value": r.spec.2 },
            { "label_zh": "制造商", "label_en": "Manufacturer", "value": r.maker },
        ])
        .to_string();
        let rid = insert_id(
            tx,
            "INSERT INTO resources (institution_id, category_id, kind, name_zh, name_en, model, manufacturer, serial_number, \
               purchase_year, original_value_fen, building, room, description_zh, description_en, specifications, status, \
               status_reason, contact_name, contact_phone, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20) RETURNING id",
            vec![
                I(owner.id),
                I(categories[r.category]),
                t(r.kind.as_str()),
                t(r.zh),
                t(r.en),
                t(r.model),
                t(r.maker),
                Bind::T(format!("SN{}{:05}", 2015 + n % 10, 31_000 + n * 7)),
                I(2015 + (n as i64 % 10)),
                I(r.value_wan * 10_000 * 100),
                Bind::T(format!("{}号楼", 1 + n % 4)),
                Bind::T(format!("{}{:02}", 1 + n % 5, 1 + n % 20)),
                Bind::T(format!("{}，{}，可对外提供共享服务。", r.zh, INSTITUTIONS[r.institution].zh)),
                Bind::T(format!("{} operated by {}, open for shared use.", r.en, INSTITUTIONS[r.institution].en)),
                Bind::T(specs),
                t(status),
                t(reason),
                Bind::T(format!("{}工程师", ["张", "王", "李", "刘", "陈", "杨", "黄"][r.institution])),
                Bind::T(format!("0791-86{:06}", 100_000 + n * 13)),
                I(ts),
            ],
        )
        .await?;

        // Rules: facilities book in hours with conditioning buffers; instruments in half hours.
        let (slot, min, max, notice, before, after) = if facility {
            (60, 120, 72 * 60, 24 * 60, 60, 30)
        } else {
            (30, 60, 8 * 60, 12 * 60, 0, 15)
        };
        let audience = if n % 11 == 5 { "zone" } else { "everyone" };
        sqlx::query(
            "INSERT INTO booking_rules (resource_id, slot_minutes, min_duration_minutes, max_duration_minutes, min_notice_minutes, \
               max_notice_days, buffer_before_minutes, buffer_after_minutes, approval_required, audience, cancel_cutoff_minutes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(rid)
        .bind(slot)
        .bind(min)
        .bind(max)
        .bind(notice)
        .bind(if facility { 120_i64 } else { 60 })
        .bind(before)
        .bind(after)
        .bind(r.approval)
        .bind(audience)
        .bind(24 * 60_i64)
        .execute(&mut **tx)
        .await?;

        // Opening hours: chambers run round the clock; instruments keep office hours with a lunch break.
        let periods: Vec<(i64, i64, i64)> = if facility && r.category != "emc" {
            (1..=7).map(|d| (d, 0, 1440)).collect()
        } else if facility {
            (1..=6).map(|d| (d, 8 * 60, 20 * 60)).collect()
        } else {
            (1..=5)
                .flat_map(|d| [(d, 8 * 60 + 30, 12 * 60), (d, 13 * 60 + 30, 17 * 60 + 30)])
                .collect()
        };
        for (d, o, c) in &periods {
            sqlx::query("INSERT INTO opening_hours (resource_id, weekday, opens_minute, closes_minute) VALUES ($1, $2, $3, $4)")
                .bind(rid)
                .bind(d)
                .bind(o)
                .bind(c)
                .execute(&mut **tx)
                .await?;
        }

        let rate = Money::yuan(r.rate);
        let rates = [
            (CustomerCategory::External, 100),
            (CustomerCategory::Zone, 80),
            (CustomerCategory::Sme, 60),
            (CustomerCategory::Own, 50),
        ];
        for (cat, pct) in rates {
            let minimum = if facility {
                rate.fen() * pct / 100 * (min / 60)
            } else {
                0
            };
            sqlx::query("INSERT INTO rates (resource_id, customer_category, per_hour_fen, minimum_fen) VALUES ($1, $2, $3, $4)")
                .bind(rid)
                .bind(cat.as_str())
                .bind(rate.fen() * pct / 100)
                .bind(minimum)
                .execute(&mut **tx)
                .await?;
        }

        // Accreditation: CMA for all with standards, CNAS for most; a few expiring soon, one expired.
        if !r.standards.is_empty() {
            let until = match n % 13 {
                3 => day(25),
                7 => day(48),
                11 => day(-30),
                _ => day(365 + (n as i64 * 37) % 700),
            };
            let certs = [
                (
                    "CMA",
                    format!("2023{:02}{:08}", 36, 10_000_000 + r.institution * 1_111),
                ),
                ("CNAS", format!("CNAS L{:04}", 3_100 + r.institution * 17)),
            ];
            for (body, cert) in certs.iter().take(if n % 4 == 0 { 1 } else { 2 }) {
                let aid = insert_id(
                    tx,
                    "INSERT INTO accreditations (resource_id, body, certificate_number, valid_from, valid_until) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    vec![I(rid), t(body), t(cert), Bind::T(day(-900)), Bind::T(until.clone())],
                )
                .await?;
                for code in r.standards {
                    sqlx::query("INSERT INTO accreditation_standards (accreditation_id, code) VALUES ($1, $2)")
                        .bind(aid)
                        .bind(*code)
                        .execute(&mut **tx)
                        .await?;
                }
            }
        }

        // Blackouts: a calibration window next week for every sixth resource, maintenance past.
        let local = |d: NaiveDate, minute: i64| {
            tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
                .earliest()
                .map(|t| t.with_timezone(&Utc).timestamp() + minute * 60)
                .unwrap_or(ts)
        };
        if n % 6 == 0 {
            let next_monday =
                today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()));
            for (d, kind, note) in [
                (
                    next_monday + Duration::days(2),
                    "calibration",
                    "年度计量校准 / Annual calibration",
                ),
                (
                    today - Duration::days(20),
                    "maintenance",
                    "例行维护 / Routine maintenance",
                ),
            ] {
                let (s, e) = (local(d, 8 * 60), local(d, 18 * 60));
                sqlx::query(
                    "INSERT INTO blackouts (resource_id, starts_at, ends_at, reason_kind, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(rid)
                .bind(s)
                .bind(e)
                .bind(kind)
                .bind(note)
                .bind(owner.user)
                .bind(ts)
                .execute(&mut **tx)
                .await?;
                placed.push(Placed {
                    resource_id: rid,
                    blocked: (s, e),
                });
            }
        }
        if status == "retired" {
            continue;
        }

        // Bookings from eight weeks back to four weeks ahead, inside opening hours, never overlapping.
        let wanted = 6 + rng.below(5);
        let mut made = 0;
        for _ in 0..wanted * 6 {
            if made >= wanted {
                break;
            }
            let offset = rng.below(84) as i64 - 56;
            let date = today + Duration::days(offset);
            if closed_days.contains(&date) {
                continue;
            }
            let weekday = i64::from(date.weekday().number_from_monday());
            let todays: Vec<_> = periods.iter().filter(|p| p.0 == weekday).collect();
            let Some(&&(_, opens, closes)) = todays.get(rng.below(todays.len() as u64) as usize)
            else {
                continue;
            };
            let steps = (closes - opens - min) / slot;
            if steps < 0 {
                continue;
            }
            let start_min = opens + slot * rng.below(steps as u64 + 1) as i64;
            let longest = (closes - start_min).min(if facility { 10 * 60 } else { 4 * 60 });
            let duration = min + slot * rng.below(((longest - min) / slot) as u64 + 1) as i64;
            let (start, end) = (local(date, start_min), local(date, start_min + duration));
            let blocked = (start - before * 60, end + after * 60);
            if placed
                .iter()
                .any(|p| p.resource_id == rid && p.blocked.0 < blocked.1 && blocked.0 < p.blocked.1)
            {
                continue;
            }

            let org = if rng.chance(25) {
                owner
            } else {
                &customers[rng.below(customers.len() as u64) as usize]
            };
            let category = if org.id == owner.id {
                CustomerCategory::Own
            } else if org.sme {
                CustomerCategory::Sme
            } else if org.zone_member {
                CustomerCategory::Zone
            } else {
                CustomerCategory::External
            };
            let pct = rates
                .iter()
                .find(|(c, _)| *c == category)
                .map_or(100, |(_, p)| *p);
            let per_hour = Money::from_fen(rate.fen() * pct / 100)?;
            let price = per_hour.for_minutes(duration).fen().max(if facility {
                per_hour.fen() * (min / 60)
            } else {
                0
            });

            let past = end <= ts;
            let roll = rng.below(100);
            let (first, last) = match (past, r.approval) {
                (true, _) if roll < 84 => ("confirmed", "completed"),
                (true, _) if roll < 90 => ("confirmed", "no_show"),
                (true, true) if roll < 94 => ("pending", "rejected"),
                (true, _) => ("confirmed", "cancelled"),
                (false, true) if roll < 45 => ("pending", "pending"),
                (false, true) if roll < 90 => ("pending", "confirmed"),
                (false, false) if roll < 90 => ("confirmed", "confirmed"),
                (false, _) => ("confirmed", "cancelled"),
            };
            let created = start - 86_400 * (2 + rng.below(10) as i64);
            let reason = match last {
                "cancelled" => "计划调整 / Plans changed",
                "rejected" => "样品不符合要求 / Samples do not meet requirements",
                _ => "",
            };
            let bid = insert_id(
                tx,
                "INSERT INTO bookings (resource_id, user_id, organisation_id, starts_at, ends_at, blocked_from, blocked_until, status, \
                   customer_category, price_fen, purpose, sample_description, sample_count, contact_phone, status_reason, sequence, \
                   created_at, updated_at, decided_by, decided_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id",
                vec![
                    I(rid),
                    I(org.user),
                    I(org.id),
                    I(start),
                    I(end),
                    I(blocked.0),
                    I(blocked.1),
                    t(last),
                    t(category.as_str()),
                    I(price),
                    t(["委托检测", "产品研发", "出口认证", "质量抽检", "科研项目"][rng.below(5) as usize]),
                    t(["铜管样品", "锂电池单体", "实木餐椅", "有机硅胶样品", "光学镜片", "电源适配器"][rng.below(6) as usize]),
                    I(1 + rng.below(12) as i64),
                    Bind::T(format!("1397000{:04}", 1_000 + rng.below(9_000))),
                    t(reason),
                    I(if first == last { 0 } else { 1 }),
                    I(created),
                    I(if first == last { created } else { created + 3_600 }),
                    if first == last { N } else { I(owner.user) },
                    if first == last { N } else { I(created + 3_600) },
                ],
            )
            .await?;
            sqlx::query("INSERT INTO booking_events (booking_id, actor_id, at, from_status, to_status, reason) VALUES ($1, $2, $3, NULL, $4, '')")
                .bind(bid)
                .bind(org.user)
                .bind(created)
                .bind(first)
                .execute(&mut **tx)
                .await?;
            if first != last {
                sqlx::query("INSERT INTO booking_events (booking_id, actor_id, at, from_status, to_status, reason) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(bid)
                    .bind(owner.user)
                    .bind(created + 3_600)
                    .bind(first)
                    .bind(last)
                    .bind(reason)
                    .execute(&mut **tx)
                    .await?;
            }
            placed.push(Placed {
                resource_id: rid,
                blocked,
            });
            made += 1;
        }
        booking_count += made as usize;
    }

    Ok(DemoSummary {
        institutions: INSTITUTIONS.len(),
        resources: RESOURCES.len(),
        bookings: booking_count,
    })
}
