//! Places for demo stations: provinces, their regions, and prefecture cities read from
//! the administrative-division CSV, or a small built-in table when no file is found.

use std::path::{Path, PathBuf};

/// One demo region (大区): code, Chinese and English name.
pub(crate) const REGIONS: [(&str, &str, &str); 8] = [
    ("NORTH", "华北大区", "North China"),
    ("NORTHEAST", "东北大区", "Northeast China"),
    ("EAST1", "华东一区", "East China I"),
    ("EAST2", "华东二区", "East China II"),
    ("CENTRAL", "华中大区", "Central China"),
    ("SOUTH", "华南大区", "South China"),
    ("SOUTHWEST", "西南大区", "Southwest China"),
    ("NORTHWEST", "西北大区", "Northwest China"),
];

/// A mainland province: full name, plate character, letter code, English
/// name and index into [`REGIONS`].
pub(crate) struct Province {
    pub full: &'static str,
    pub plate: char,
    pub code: &'static str,
    pub en: &'static str,
    pub region: usize,
}

const fn p(
    full: &'static str,
    plate: char,
    code: &'static str,
    en: &'static str,
    region: usize,
) -> Province {
    Province {
        full,
        plate,
        code,
        en,
        region,
    }
}

/// The 31 mainland provinces (Hong Kong, Macao and Taiwan have no stations here).
pub(crate) const PROVINCES: [Province; 31] = [
    p("北京市", '京', "BJ", "Beijing", 0),
    p("天津市", '津', "TJ", "Tianjin", 0),
    p("河北省", '冀', "HE", "Hebei", 0),
    p("山西省", '晋', "SX", "Shanxi", 0),
    p("内蒙古自治区", '蒙', "NM", "Inner Mongolia", 0),
    p("辽宁省", '辽', "LN", "Liaoning", 1),
    p("吉林省", '吉', "JL", "Jilin", 1),
    p("黑龙江省", '黑', "HL", "Heilongjiang", 1),
    p("上海市", '沪', "SH", "Shanghai", 2),
    p("江苏省", '苏', "JS", "Jiangsu", 2),
    p("浙江省", '浙', "ZJ", "Zhejiang", 2),
    p("安徽省", '皖', "AH", "Anhui", 3),
    p("福建省", '闽', "FJ", "Fujian", 3),
    p("江西省", '赣', "JX", "Jiangxi", 3),
    p("山东省", '鲁', "SD", "Shandong", 3),
    p("河南省", '豫', "HA", "Henan", 4),
    p("湖北省", '鄂', "HB", "Hubei", 4),
    p("湖南省", '湘', "HN", "Hunan", 4),
    p("广东省", '粤', "GD", "Guangdong", 5),
    p("广西壮族自治区", '桂', "GX", "Guangxi", 5),
    p("海南省", '琼', "HI", "Hainan", 5),
    p("重庆市", '渝', "CQ", "Chongqing", 6),
    p("四川省", '川', "SC", "Sichuan", 6),
    p("贵州省", '贵', "GZ", "Guizhou", 6),
    p("云南省", '云', "YN", "Yunnan", 6),
    p("西藏自治区", '藏', "XZ", "Tibet", 6),
    p("陕西省", '陕', "SN", "Shaanxi", 7),
    p("甘肃省", '甘', "GS", "Gansu", 7),
    p("青海省", '青', "QH", "Qinghai", 7),
    p("宁夏回族自治区", '宁', "NX", "Ningxia", 7),
    p("新疆维吾尔自治区", '新', "XJ", "Xinjiang", 7),
];

/// Big cities that get more stations (short names).
const BIG: [&str; 4] = ["北京", "上海", "广州", "深圳"];
const LARGE: [&str; 16] = [
    "重庆", "天津", "成都", "杭州", "武汉", "西安", "苏州", "南京", "郑州", "长沙", "东莞", "沈阳",
    "青岛", "合肥", "佛山", "宁波",
];

/// A district of a city, for station names and positions.
#[derive(Debug, Clone)]
pub(crate) struct District {
    pub short: String,
    pub full: String,
    pub lon: f64,
    pub lat: f64,
}

/// A prefecture-level city.
#[derive(Debug, Clone)]
pub(crate) struct City {
    pub full: String,
    pub short: String,
    pub province: usize,
    pub adcode: String,
    pub lon: f64,
    pub lat: f64,
    pub districts: Vec<District>,
    /// The plate letter of this city within its province.
    pub plate_letter: char,
    /// How many stations a city of this size plausibly has, relatively.
    pub weight: f64,
}

/// Built-in cities used when no CSV is found: name, province, adcode, longitude, latitude.
const BUILTIN: [(&str, &str, &str, f64, f64); 41] = [
    ("北京市", "北京市", "110100", 116.407394, 39.904211),
    ("天津市", "天津市", "120100", 117.200983, 39.084158),
    ("石家庄市", "河北省", "130100", 114.514793, 38.042228),
    ("唐山市", "河北省", "130200", 118.180193, 39.630867),
    ("太原市", "山西省", "140100", 112.548879, 37.870590),
    (
        "呼和浩特市",
        "内蒙古自治区",
        "150100",
        111.749180,
        40.842585,
    ),
    ("沈阳市", "辽宁省", "210100", 123.431475, 41.805698),
    ("大连市", "辽宁省", "210200", 121.614682, 38.914003),
    ("长春市", "吉林省", "220100", 125.323544, 43.817071),
    ("哈尔滨市", "黑龙江省", "230100", 126.534967, 45.803775),
    ("上海市", "上海市", "310100", 121.473662, 31.230372),
    ("南京市", "江苏省", "320100", 118.796877, 32.060255),
    ("无锡市", "江苏省", "320200", 120.311910, 31.491169),
    ("苏州市", "江苏省", "320500", 120.585315, 31.298886),
    ("杭州市", "浙江省", "330100", 120.155070, 30.274084),
    ("宁波市", "浙江省", "330200", 121.550357, 29.874556),
    ("合肥市", "安徽省", "340100", 117.227239, 31.820586),
    ("福州市", "福建省", "350100", 119.296494, 26.074507),
    ("厦门市", "福建省", "350200", 118.089425, 24.479833),
    ("南昌市", "江西省", "360100", 115.858197, 28.682892),
    ("济南市", "山东省", "370100", 117.120000, 36.651216),
    ("青岛市", "山东省", "370200", 120.382640, 36.067082),
    ("郑州市", "河南省", "410100", 113.625368, 34.746599),
    ("武汉市", "湖北省", "420100", 114.305393, 30.593099),
    ("长沙市", "湖南省", "430100", 112.938814, 28.228209),
    ("广州市", "广东省", "440100", 113.264385, 23.129112),
    ("深圳市", "广东省", "440300", 114.057868, 22.543099),
    ("佛山市", "广东省", "440600", 113.121416, 23.021548),
    ("东莞市", "广东省", "441900", 113.751765, 23.020536),
    ("南宁市", "广西壮族自治区", "450100", 108.366543, 22.817002),
    ("海口市", "海南省", "460100", 110.198293, 20.044001),
    ("重庆市", "重庆市", "500100", 106.551643, 29.562849),
    ("成都市", "四川省", "510100", 104.066541, 30.572269),
    ("贵阳市", "贵州省", "520100", 106.630153, 26.647661),
    ("昆明市", "云南省", "530100", 102.832891, 24.880095),
    ("拉萨市", "西藏自治区", "540100", 91.140856, 29.645554),
    ("西安市", "陕西省", "610100", 108.939770, 34.341574),
    ("兰州市", "甘肃省", "620100", 103.834303, 36.061089),
    ("西宁市", "青海省", "630100", 101.778228, 36.617144),
    ("银川市", "宁夏回族自治区", "640100", 106.230909, 38.487193),
    (
        "乌鲁木齐市",
        "新疆维吾尔自治区",
        "650100",
        87.616848,
        43.825592,
    ),
];

/// Suffixes dropped to get a city's everyday name (longest first).
const CITY_SUFFIXES: [&str; 22] = [
    "土家族苗族自治州",
    "苗族侗族自治州",
    "布依族苗族自治州",
    "哈尼族彝族自治州",
    "壮族苗族自治州",
    "傣族景颇族自治州",
    "藏族羌族自治州",
    "蒙古族藏族自治州",
    "朝鲜族自治州",
    "柯尔克孜自治州",
    "哈萨克自治州",
    "傈僳族自治州",
    "藏族自治州",
    "彝族自治州",
    "傣族自治州",
    "白族自治州",
    "回族自治州",
    "蒙古自治州",
    "自治州",
    "地区",
    "盟",
    "市",
];

fn city_short(full: &str) -> String {
    for s in CITY_SUFFIXES {
        if let Some(rest) = full.strip_suffix(s)
            && rest.chars().count() >= 2
        {
            return rest.to_string();
        }
    }
    full.to_string()
}

fn district_short(full: &str) -> String {
    for s in ["自治县", "区", "县", "市", "旗"] {
        if let Some(rest) = full.strip_suffix(s)
            && rest.chars().count() >= 2
        {
            return rest.to_string();
        }
    }
    full.to_string()
}

fn province_of(name: &str) -> Option<usize> {
    PROVINCES.iter().position(|p| p.full == name)
}

/// The CSV to read: the given one, or the shared data file next to the repository.
fn csv_path(given: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = given {
        return Some(p.to_path_buf());
    }
    [
        "../shared/data/china_geo/china_admin_divisions_with_coords.csv",
        "shared/data/china_geo/china_admin_divisions_with_coords.csv",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
}

/// Prefecture cities with coordinates, ordered by adcode. Reads the CSV at `given` (an
/// error if it cannot be read), else the shared data file if present, else the
/// built-in table.
pub(crate) fn load_cities(given: Option<&Path>) -> Result<Vec<City>, String> {
    let mut cities = match csv_path(given) {
        Some(path) => read_csv(&path)?,
        None => Vec::new(),
    };
    if cities.is_empty() {
        cities = BUILTIN
            .iter()
            .filter_map(|(name, prov, adcode, lon, lat)| {
                let province = province_of(prov)?;
                Some(City {
                    full: (*name).to_string(),
                    short: city_short(name),
                    province,
                    adcode: (*adcode).to_string(),
                    lon: *lon,
                    lat: *lat,
                    districts: Vec::new(),
                    plate_letter: 'A',
                    weight: 1.0,
                })
            })
            .collect();
    }
    cities.sort_by(|a, b| a.adcode.cmp(&b.adcode));
    finish(&mut cities);
    Ok(cities)
}

fn read_csv(path: &Path) -> Result<Vec<City>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut cities: Vec<City> = Vec::new();
    let mut districts: Vec<(String, District)> = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let (adcode, level, province, name) = (get(0), get(2), get(3), get(5));
        let (Ok(lon), Ok(lat)) = (get(6).parse::<f64>(), get(7).parse::<f64>()) else {
            continue;
        };
        let Some(pi) = province_of(province) else {
            continue;
        };
        if adcode.len() != 6 {
            continue;
        }
        match level {
            "city" if name != "县" => {
                let full = if name == "市辖区" {
                    province.to_string()
                } else {
                    name.to_string()
                };
                cities.push(City {
                    short: city_short(&full),
                    full,
                    province: pi,
                    adcode: adcode.to_string(),
                    lon,
                    lat,
                    districts: Vec::new(),
                    plate_letter: 'A',
                    weight: 1.0,
                });
            }
            "district" if name != "市辖区" => districts.push((
                adcode[..4].to_string(),
                District {
                    short: district_short(name),
                    full: name.to_string(),
                    lon,
                    lat,
                },
            )),
            _ => {}
        }
    }
    for (prefix, d) in districts {
        if let Some(c) = cities.iter_mut().find(|c| c.adcode.starts_with(&prefix)) {
            c.districts.push(d);
        }
    }
    Ok(cities)
}

/// Sets plate letters and weights.
fn finish(cities: &mut [City]) {
    let mut seen = [0usize; PROVINCES.len()];
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    for c in cities.iter_mut() {
        let k = seen[c.province];
        seen[c.province] += 1;
        c.plate_letter = LETTERS[k % LETTERS.len()] as char;
        let capital = c.adcode.ends_with("0100");
        let remote = matches!(PROVINCES[c.province].code, "XZ" | "QH" | "XJ" | "NM");
        let east = matches!(PROVINCES[c.province].region, 0 | 2 | 3 | 4 | 5);
        c.weight = if BIG.contains(&c.short.as_str()) {
            14.0
        } else if LARGE.contains(&c.short.as_str()) {
            8.0
        } else if capital {
            5.0
        } else if remote {
            0.4
        } else if east {
            1.6
        } else {
            1.0
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names() {
        assert_eq!(city_short("延边朝鲜族自治州"), "延边");
        assert_eq!(city_short("阿克苏地区"), "阿克苏");
        assert_eq!(city_short("石家庄市"), "石家庄");
        assert_eq!(district_short("朝阳区"), "朝阳");
        assert_eq!(district_short("城区"), "城区");
    }

    #[test]
    fn builtin_table_is_used_without_a_file() {
        let cities = load_cities(Some(Path::new("/nonexistent/file.csv")));
        assert!(cities.is_err());
        let all = BUILTIN.iter().all(|(_, p, ..)| province_of(p).is_some());
        assert!(all);
    }
}
