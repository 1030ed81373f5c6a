//! Word lists for demo data: Chinese names, streets, makers and their models.

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

/// Chinese makers and joint ventures with their WMI.
pub(crate) const MAKERS: [Maker; 10] = [
    Maker {
        wmi: "LSV",
        brand: "上汽大众",
        weight: 14,
        models: &[
            m("朗逸", "AB41K", false, 5),
            m("帕萨特", "AC43R", false, 3),
            m("途观L", "AD45T", false, 3),
            m("ID.4 X", "AE4EV", true, 1),
        ],
    },
    Maker {
        wmi: "LFV",
        brand: "一汽-大众",
        weight: 14,
        models: &[
            m("速腾", "2A31J", false, 5),
            m("迈腾", "3A48C", false, 3),
            m("探岳", "5A4TY", false, 3),
            m("ID.4 CROZZ", "6AEV4", true, 1),
        ],
    },
    Maker {
        wmi: "LGX",
        brand: "比亚迪",
        weight: 20,
        models: &[
            m("秦PLUS", "CC4H2", true, 4),
            m("汉", "FD4H3", true, 2),
            m("宋PLUS", "DE4S1", true, 3),
            m("元PLUS", "EA4Y5", true, 2),
            m("海豚", "HA4D1", true, 2),
        ],
    },
    Maker {
        wmi: "LSG",
        brand: "上汽通用别克",
        weight: 10,
        models: &[
            m("英朗", "PE5SK", false, 4),
            m("君威", "ZS5SB", false, 2),
            m("昂科威", "XA5SU", false, 3),
            m("微蓝6", "EV6B2", true, 1),
        ],
    },
    Maker {
        wmi: "LVS",
        brand: "长安福特",
        weight: 6,
        models: &[
            m("福克斯", "HFC4F", false, 3),
            m("蒙迪欧", "HMD4M", false, 2),
            m("锐际", "HEY4E", false, 2),
            m("Mustang Mach-E", "HME7E", true, 1),
        ],
    },
    Maker {
        wmi: "LBV",
        brand: "华晨宝马",
        weight: 5,
        models: &[
            m("3系", "8E180", false, 3),
            m("5系", "5R310", false, 2),
            m("X3", "TX310", false, 2),
            m("iX3", "EX3E1", true, 1),
        ],
    },
    Maker {
        wmi: "LDC",
        brand: "东风",
        weight: 5,
        models: &[
            m("风神AX7", "943R4", false, 2),
            m("奕炫", "653K2", false, 2),
            m("风神E70", "E70V1", true, 1),
        ],
    },
    Maker {
        wmi: "LGB",
        brand: "东风日产",
        weight: 10,
        models: &[
            m("轩逸", "F2B12", false, 5),
            m("天籁", "A4L33", false, 2),
            m("奇骏", "T3T32", false, 2),
            m("艾睿雅", "FE0AR", true, 1),
        ],
    },
    Maker {
        wmi: "LHG",
        brand: "广汽本田",
        weight: 8,
        models: &[
            m("雅阁", "CV165", false, 4),
            m("飞度", "GR935", false, 2),
            m("皓影", "RW185", false, 2),
            m("e:NP2", "ENP2E", true, 1),
        ],
    },
    Maker {
        wmi: "LVG",
        brand: "广汽丰田",
        weight: 8,
        models: &[
            m("凯美瑞", "BA3HK", false, 4),
            m("雷凌", "BE1HZ", false, 3),
            m("汉兰达", "BH4FV", false, 2),
            m("bZ4X", "BZ4XE", true, 1),
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
        assert_eq!(year_code(2026), 'T');
        assert_eq!(year_code(2015), 'F');
    }
}
