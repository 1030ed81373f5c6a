//! Word lists for demo data: Chinese names, streets, the maker's brand and models.

use rand::Rng;
use rand::rngs::StdRng;

/// Common family names, most frequent first.
pub(crate) const FAMILY: [&str; 100] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯",
    "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "覃", "武", "戴",
    "莫", "孔", "欧阳", "司马",
];

/// Characters common in given names.
pub(crate) const GIVEN: [&str; 80] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "霞", "平", "刚", "辉", "鹏", "飞", "玲", "婷", "颖", "慧", "鑫", "宁", "斌", "凯", "琳",
    "雪", "梅", "红", "兰", "燕", "倩", "阳", "亮", "成", "林", "峰", "波", "龙", "东", "晓", "云",
    "春", "华", "建", "国", "志", "海", "文", "博", "晨", "雨", "思", "嘉", "子", "浩", "宇", "轩",
    "欣", "怡", "梓", "涵", "佳", "俊", "一", "诺", "泽", "睿", "瑶", "萱", "铭", "昊", "然", "彤",
];

/// A random Chinese name: a family name (weighted to the common ones) and one or two
/// given-name characters.
pub(crate) fn person(rng: &mut StdRng) -> String {
    // Squaring a uniform number favours the front of the list, as real frequencies do.
    let u: f64 = rng.random();
    let family = FAMILY[((u * u) * FAMILY.len() as f64) as usize % FAMILY.len()];
    let mut s = String::with_capacity(12);
    s.push_str(family);
    s.push_str(GIVEN[rng.random_range(0..GIVEN.len())]);
    if rng.random_bool(0.7) {
        s.push_str(GIVEN[rng.random_range(0..GIVEN.len())]);
    }
    s
}

/// Prefixes of Chinese mobile numbers in use.
pub(crate) const MOBILE_PREFIXES: [u32; 24] = [
    130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 156, 157, 158, 159, 176, 177,
    180, 181, 186, 187, 189,
];

/// A random Chinese mobile number (11 digits), not necessarily unique.
pub(crate) fn mobile(rng: &mut StdRng) -> String {
    let p = MOBILE_PREFIXES[rng.random_range(0..MOBILE_PREFIXES.len())];
    format!("+86{p}{:08}", rng.random_range(0..100_000_000u32))
}

/// Street names for addresses.
pub(crate) const STREETS: [&str; 16] = [
    "人民路",
    "解放路",
    "建设大道",
    "中山路",
    "长江路",
    "汽车城路",
    "迎宾大道",
    "工业园路",
    "科技大道",
    "新华路",
    "滨江大道",
    "环城东路",
    "环城西路",
    "世纪大道",
    "和平路",
    "经济开发区纬二路",
];

/// Neighbourhood words used when a city has no district list.
pub(crate) const AREAS: [&str; 8] = [
    "城东", "城西", "城南", "城北", "高新", "经开", "新区", "中心",
];

/// One model of a maker: name, five VIN descriptor characters, electric or not, weight.
pub(crate) struct Model {
    pub name: &'static str,
    pub vds: &'static str,
    pub ev: bool,
    pub weight: u32,
}

/// A maker: world manufacturer identifier, brand, weight and models.
pub(crate) struct Maker {
    pub wmi: &'static str,
    pub brand: &'static str,
    pub weight: u32,
    pub models: &'static [Model],
}

const fn m(name: &'static str, vds: &'static str, ev: bool, weight: u32) -> Model {
    Model {
        name,
        vds,
        ev,
        weight,
    }
}

/// The one (fictional) maker the demo network serves: the platform belongs to a car
/// maker, so every demo vehicle is of its brand. Its two world manufacturer
/// identifiers split the line-up the way Chinese makers do: the petrol plant (sedans
/// and SUVs) and the new-energy plant (an EV line and a plug-in hybrid). Plates of
/// new-energy models are green (longer) ones.
pub(crate) const BRAND: &str = "岚际";

/// The maker's plants with their WMI and models.
pub(crate) const MAKERS: [Maker; 2] = [
    Maker {
        wmi: "LHZ",
        brand: BRAND,
        weight: 7,
        models: &[
            m("S5 轿车", "SA5B1", false, 5),
            m("S7 轿车", "SA7B2", false, 3),
            m("X3 SUV", "XB3C1", false, 4),
            m("X5 SUV", "XB5C2", false, 3),
            m("X7 SUV", "XB7C3", false, 1),
        ],
    },
    Maker {
        wmi: "LHN",
        brand: BRAND,
        weight: 3,
        models: &[
            m("E5 纯电", "EA5D1", true, 3),
            m("E7 纯电", "EA7D2", true, 1),
            m("X5 插混", "PB5C2", true, 2),
        ],
    },
];

/// Model-year character (VIN position 10) for 2015–2026.
pub(crate) fn year_code(year: i64) -> char {
    const CODES: [char; 12] = ['F', 'G', 'H', 'J', 'K', 'L', 'M', 'N', 'P', 'R', 'S', 'T'];
    CODES[(year - 2015).clamp(0, 11) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::vin::Vin;

    #[test]
    fn every_model_makes_valid_vins() {
        for mk in &MAKERS {
            assert_eq!(mk.wmi.len(), 3);
            for md in mk.models {
                let first8 = format!("{}{}", mk.wmi, md.vds);
                let v = Vin::with_check_digit(&first8, "TA123456");
                assert!(v.is_ok(), "{first8}: {v:?}");
            }
        }
        assert!(MAKERS.iter().all(|mk| mk.brand == BRAND));
        assert!(MAKERS.iter().flat_map(|mk| mk.models).any(|md| md.ev));
        assert_eq!(year_code(2026), 'T');
        assert_eq!(year_code(2015), 'F');
    }
}
