//! Realistic petitions for the demo data (`xinfang demo`) and for benchmarks.
//!
//! Pure and deterministic: no I/O, no clock, and the same seed with the same sequence of calls
//! gives the same petitions. Every [`RegistrationInput`] made by [`Generator::visit`] passes
//! [`xinfang_domain::registration::parse_registration`] with a `now` not earlier than the visit:
//! GB 11643 ID numbers with a real county-level address code, a birth date from 1940 to 2004 and
//! the sex in the parity of the sequence; GB/T 3304 ethnicity codes; 13x / 15x / 18x mobile numbers;
//! the place where the matter arose is a county inside the bureau's region; purpose, category
//! and class codes from [`xinfang_domain::catalog`].
//!
//! The matters read like a county's daily intake: wage arrears, land requisition compensation,
//! house expropriation, property fees, noise and pollution, subsistence allowance, village
//! affairs, pensions, homestead disputes, school fees, and so on. Each comes from a template
//! whose placeholders (`{town}`, `{company:建筑工程}`, `{yuan:8000:96000}`, `{months_ago:2:6}`,
//! …) are filled once per petition, so that the summary, the requests and the proposal agree.

// The generator picks from its own constant tables and fixed dates: an `expect` here states
// an invariant of those tables, never of anything a user sent.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use xinfang_domain::region::{self, Region, RegionLevel};
use xinfang_domain::registration::{PetitionerInput, RegistrationInput};
use xinfang_domain::resident_id;

/// Share of visits that are collective (5 or more people).
const COLLECTIVE_SHARE: f64 = 0.05;
/// Office hours of the reception hall.
const OPENS: (u32, u32) = (8, 30);
const CLOSES: (u32, u32) = (17, 30);
/// Birth years of generated petitioners.
const BORN_FROM: i32 = 1940;
const BORN_UNTIL: i32 = 2004;

/// Where and how to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorConfig {
    pub seed: u64,
    /// The bureau's region, a GB/T 2260 code, e.g. `110105`. A county gives matters in that
    /// county; a prefecture or province spreads them over its counties. An unknown code falls
    /// back to counties nationwide.
    pub bureau_region: String,
    /// Local township / street-office names used in addresses and matters (`建外街道`,
    /// `城关镇`, …). Empty: a handful of generic names.
    pub township_names: Vec<String>,
}

/// A seeded source of petitions. See the module documentation.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: StdRng,
    /// County-level divisions inside the bureau's region: where matters arise and most
    /// petitioners' ID numbers come from.
    local: Vec<&'static Region>,
    /// Every current county-level division: where other petitioners' ID numbers come from.
    nationwide: Vec<&'static Region>,
    townships: Vec<String>,
}

impl Generator {
    pub fn new(cfg: GeneratorConfig) -> Self {
        let nationwide: Vec<&'static Region> = region::all()
            .iter()
            .filter(|r| r.level == RegionLevel::County)
            .collect();
        let local = counties_within(cfg.bureau_region.trim());
        let local = if local.is_empty() {
            nationwide.clone()
        } else {
            local
        };
        let mut townships: Vec<String> = cfg
            .township_names
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if townships.is_empty() {
            townships = DEFAULT_TOWNSHIPS.iter().map(|s| s.to_string()).collect();
        }
        Self {
            rng: StdRng::seed_from_u64(cfg.seed),
            local,
            nationwide,
            townships,
        }
    }

    /// One visit (channel `visit`) registered at `at` (China Standard Time), `visited_at` to the
    /// minute:
    /// - `at` within office hours (08:30–17:30): `at` itself;
    /// - a bare date (midnight) or an evening time: a time drawn within that day's office hours,
    ///   never later than `at` for an evening time;
    /// - early morning (before 08:30, after midnight): `at` itself, so that passing the current
    ///   time never gives a visit in the future.
    ///
    /// About 5 % are collective visits: 5–40 people, 1–5 representatives registered as
    /// petitioners with `is_representative = true`.
    pub fn visit(&mut self, at: NaiveDateTime) -> RegistrationInput {
        let visited_at = self.office_time(at);
        let collective = self.rng.random_bool(COLLECTIVE_SHARE);
        let template = self.template(collective);
        let county: &'static Region = pick(&mut self.rng, &self.local);
        let town = self.township();

        let visitor_count: i64 = if collective {
            self.rng.random_range(5..=40)
        } else {
            weighted(&mut self.rng, &[(1, 85), (2, 12), (3, 3)])
        };
        let registered = if collective {
            self.rng.random_range(1..=5)
        } else {
            visitor_count as usize
        };
        let mut petitioners: Vec<PetitionerInput> = Vec::with_capacity(registered);
        // Family members who came together share a household; workmates do not.
        let family = !collective && !template.migrant && self.rng.random_bool(0.6);
        let mut household: Option<(&'static Region, String)> = None;
        for _ in 0..registered {
            let mut p = match (&household, family) {
                (Some((home, address)), true) => {
                    let (home, address) = (*home, address.clone());
                    self.person_with(template.born, template.occupations, home, address)
                }
                _ => self.person(
                    template.born,
                    template.occupations,
                    template.migrant,
                    county,
                    &town,
                ),
            };
            if household.is_none() {
                let home =
                    region::lookup(p.id_number.get(..6).unwrap_or_default()).unwrap_or(county);
                household = Some((home, p.address.clone()));
            }
            p.is_representative = collective;
            petitioners.push(p);
        }
        let people_involved = if collective {
            Some(visitor_count + self.rng.random_range(0..=visitor_count * 5))
        } else if self.rng.random_bool(0.25) {
            Some(visitor_count + self.rng.random_range(1..=4))
        } else {
            None
        };

        let mut scene = Scene {
            date: visited_at.date(),
            values: HashMap::new(),
        };
        let first = petitioners.first().map_or("", |p| p.name.as_str());
        let (who, they, their) = match (collective, visitor_count) {
            (true, n) => (format!("{first}等{n}人集体来访"), "他们", "他们的"),
            (false, 1) => ("来访人".to_string(), "其", "其"),
            (false, n) => (format!("{first}等{n}人"), "他们", "他们的"),
        };
        let wages = if collective {
            let each = self.rng.random_range(80..=400) * 100;
            visitor_count * each
        } else {
            self.rng.random_range(80..=960) * 100
        };
        // Land and houses: one household's, or those of all the households that came together.
        let households = if collective {
            self.rng.random_range(visitor_count / 2..=visitor_count)
        } else {
            1
        };
        let land: i64 = (0..households)
            .map(|_| self.rng.random_range(10..=60))
            .sum();
        let floor: i64 = (0..households)
            .map(|_| self.rng.random_range(60..=180))
            .sum();
        let (plots, floor_area) = if collective {
            (
                format!("合计{}亩", tenths(land)),
                format!("涉及{households}户，建筑面积合计{floor}平方米"),
            )
        } else {
            (
                format!("{}亩", tenths(land)),
                format!("建筑面积{floor}平方米"),
            )
        };
        let town_short = short_name(&town, &["街道办事处", "街道", "地区", "镇", "乡"]);
        let town_gov = if town.ends_with("街道") {
            format!("{town}办事处")
        } else {
            format!("{town}人民政府")
        };
        for (key, value) in [
            ("who", who),
            ("they", they.to_string()),
            ("their", their.to_string()),
            ("wages", format!("{wages}元")),
            ("plots", plots),
            ("floor_area", floor_area),
            ("town", town.clone()),
            ("town_short", town_short),
            ("town_gov", town_gov),
            ("county", county.name.to_string()),
            (
                "county_short",
                short_name(county.name, &["自治县", "自治旗", "区", "县", "市", "旗"]),
            ),
        ] {
            scene.values.insert(key.to_string(), value);
        }
        let handler = self.expand(template.handler, &mut scene);
        scene.values.insert("handler".to_string(), handler);

        let summary = self.expand(template.summary, &mut scene);
        let requests = self.expand(template.requests, &mut scene);
        let proposal = if self.rng.random_bool(0.8) {
            let text = self.proposal(template, collective);
            self.expand(text, &mut scene)
        } else {
            String::new()
        };

        // The township of the matter as a statistical code: the county's six digits and the
        // township's place in the bureau's list (the generator knows names, not unit ids).
        let township = format!(
            "{}{:03}",
            county.code,
            self.townships.iter().position(|t| *t == town).unwrap_or(0) + 1
        );
        RegistrationInput {
            channel: "visit".to_string(),
            township,
            visited_at: visited_at.format("%Y-%m-%dT%H:%M").to_string(),
            petitioners,
            visitor_count: Some(visitor_count),
            people_involved,
            issue_region: county.code.to_string(),
            summary,
            requests,
            proposal,
            purpose: template.purpose.to_string(),
            category: template.category.to_string(),
            petition_class: class_of(template.purpose).to_string(),
            anonymous: false,
            consent_to_publish: !template.confidential && self.rng.random_bool(0.2),
            major_urgent: collective && visitor_count >= 30 && self.rng.random_bool(0.3),
            confidential: template.confidential,
            ..RegistrationInput::default()
        }
    }

    /// One petitioner on their own: a resident of the bureau's region (now and then of elsewhere),
    /// with a checked ID number, ethnicity, address, mobile phone and occupation;
    /// `is_representative` is false.
    pub fn petitioner(&mut self) -> PetitionerInput {
        let county: &'static Region = pick(&mut self.rng, &self.local);
        let town = self.township();
        self.person((BORN_FROM, BORN_UNTIL), &[], false, county, &town)
    }

    /// A realistic name: a common surname, weighted by frequency (王 李 张 刘 陈 杨 黄 赵 吴 周 …),
    /// and a one- or two-character given name; 2 or 3 characters in all.
    pub fn chinese_name(&mut self) -> String {
        let male = self.rng.random_bool(0.5);
        let year = self.rng.random_range(BORN_FROM..=BORN_UNTIL);
        self.name_for(male, year)
    }

    // ---- people ------------------------------------------------------------------------------

    fn person(
        &mut self,
        born: (i32, i32),
        occupations: &[&'static str],
        migrant: bool,
        county: &'static Region,
        town: &str,
    ) -> PetitionerInput {
        let from_elsewhere = self.rng.random_bool(if migrant { 0.55 } else { 0.1 });
        let (home, address) = if from_elsewhere {
            let home: &'static Region = pick(&mut self.rng, &self.nationwide);
            let address = if self.rng.random_bool(0.5) {
                self.hometown_address(home)
            } else {
                let town = self.township();
                self.local_address(&town)
            };
            (home, address)
        } else {
            let home: &'static Region = if self.rng.random_bool(0.7) {
                county
            } else {
                pick(&mut self.rng, &self.local)
            };
            let town = if self.rng.random_bool(0.7) {
                town.to_string()
            } else {
                self.township()
            };
            (home, self.local_address(&town))
        };
        self.person_with(born, occupations, home, address)
    }

    fn person_with(
        &mut self,
        born: (i32, i32),
        occupations: &[&'static str],
        home: &'static Region,
        address: String,
    ) -> PetitionerInput {
        let male = self.rng.random_bool(0.6);
        let from = born.0.clamp(BORN_FROM, BORN_UNTIL);
        let until = born.1.clamp(from, BORN_UNTIL);
        let year = self.rng.random_range(from..=until);
        let days_in_year = if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
            366
        } else {
            365
        };
        let birth = NaiveDate::from_yo_opt(year, self.rng.random_range(1..=days_in_year))
            .expect("a day of the year");
        let id_number = self.id_number(home.code, birth, male);
        let ethnicity = self.ethnicity(home.code);
        let name = self.name_of(male, year, ethnicity);
        let phone = self.mobile();
        let occupation = match occupations.choose(&mut self.rng) {
            Some(o) => *o,
            None if year <= 1963 => weighted(&mut self.rng, OCCUPATIONS_RETIRED_AGE),
            None => weighted(&mut self.rng, OCCUPATIONS_WORKING_AGE),
        };
        PetitionerInput {
            name,
            id_type: "resident_id".to_string(),
            id_number,
            ethnicity: ethnicity.to_string(),
            address,
            phone,
            occupation: occupation.to_string(),
            ..PetitionerInput::default()
        }
    }

    fn surname(&mut self) -> &'static str {
        match weighted(&mut self.rng, SURNAMES) {
            "" => pick(&mut self.rng, SURNAME_TAIL),
            common => common,
        }
    }

    /// A name as the petitioner's ethnic group gives them: Uyghur and Kazakh names with the
    /// father's name after a middle dot (买买提·艾力), Tibetan names without a surname (扎西次仁),
    /// Mongolian names half of the time (巴特尔); everyone else a Han-style name.
    fn name_of(&mut self, male: bool, year: i32, ethnicity: &str) -> String {
        let (own, fathers): (&[&str], &[&str]) = match (ethnicity, male) {
            ("05", true) => (UYGHUR_MALE, UYGHUR_MALE),
            ("05", false) => (UYGHUR_FEMALE, UYGHUR_MALE),
            ("17", true) => (KAZAKH_MALE, KAZAKH_MALE),
            ("17", false) => (KAZAKH_FEMALE, KAZAKH_MALE),
            ("04", _) => {
                let first = pick(&mut self.rng, TIBETAN_COMMON);
                let second = if male { TIBETAN_MALE } else { TIBETAN_FEMALE };
                let second = pick(&mut self.rng, second);
                return if self.rng.random_bool(0.4) || first == second {
                    second.to_string()
                } else {
                    format!("{first}{second}")
                };
            }
            ("02", _) if self.rng.random_bool(0.5) => {
                let pool = if male { MONGOL_MALE } else { MONGOL_FEMALE };
                return pick(&mut self.rng, pool).to_string();
            }
            _ => return self.name_for(male, year),
        };
        let given = pick(&mut self.rng, own);
        let father = pick(&mut self.rng, fathers);
        format!("{given}·{father}")
    }

    fn name_for(&mut self, male: bool, year: i32) -> String {
        let surname = self.surname();
        let pool: &[&str] = match (male, year) {
            (true, ..1965) => GIVEN_MALE_OLDER,
            (true, 1965..1988) => GIVEN_MALE_MIDDLE,
            (true, _) => GIVEN_MALE_YOUNGER,
            (false, ..1965) => GIVEN_FEMALE_OLDER,
            (false, 1965..1988) => GIVEN_FEMALE_MIDDLE,
            (false, _) => GIVEN_FEMALE_YOUNGER,
        };
        let given = if surname.chars().count() > 1 {
            // A compound surname takes a one-character given name: 欧阳明.
            let single: Vec<&str> = pool
                .iter()
                .copied()
                .filter(|g| g.chars().count() == 1)
                .collect();
            pick(&mut self.rng, &single)
        } else {
            pick(&mut self.rng, pool)
        };
        format!("{surname}{given}")
    }

    /// A GB 11643 number: address code, birth date, a sequence whose last digit is odd for men
    /// and even for women, and the check character.
    fn id_number(&mut self, address_code: &str, birth: NaiveDate, male: bool) -> String {
        let sequence = self.rng.random_range(1..500u32) * 2 + u32::from(male);
        let first17 = format!("{address_code}{}{sequence:03}", birth.format("%Y%m%d"));
        let check = resident_id::check_char(&first17).expect("17 ASCII digits");
        format!("{first17}{check}")
    }

    /// Mostly 01 汉族; the minorities of the province where the ID was issued in roughly their
    /// real proportions.
    fn ethnicity(&mut self, address_code: &str) -> &'static str {
        let minorities = MINORITIES_BY_PROVINCE
            .iter()
            .find(|(p, _)| address_code.starts_with(p))
            .map_or(MINORITIES_ELSEWHERE, |(_, m)| *m);
        let roll = self.rng.random_range(0..1000u32);
        let mut acc = 0;
        for &(code, per_mille) in minorities {
            acc += per_mille;
            if roll < acc {
                return code;
            }
        }
        "01"
    }

    fn mobile(&mut self) -> String {
        let prefix = pick(&mut self.rng, MOBILE_PREFIXES);
        format!("{prefix}{:08}", self.rng.random_range(0..100_000_000u32))
    }

    // ---- places ------------------------------------------------------------------------------

    fn township(&mut self) -> String {
        self.townships
            .choose(&mut self.rng)
            .expect("at least one township")
            .clone()
    }

    /// `城关镇王庄村3组12号`, `建外街道建设路128号3号楼2单元502室`, `建外街道阳光花园5号楼1单元302室`.
    fn local_address(&mut self, town: &str) -> String {
        let urban = if town.ends_with("街道") { 0.9 } else { 0.3 };
        if !self.rng.random_bool(urban) {
            let village = self.village();
            let group = self.rng.random_range(1..=12);
            let number = self.rng.random_range(1..=160);
            return format!("{town}{village}村{group}组{number}号");
        }
        let building = self.rng.random_range(1..=24);
        let unit = self.rng.random_range(1..=6);
        let room = self.rng.random_range(1..=18) * 100 + self.rng.random_range(1..=4);
        match self.rng.random_range(0..3) {
            0 => {
                let street = self.street();
                let number = self.rng.random_range(1..=300);
                format!("{town}{street}{number}号{unit}单元{room}室")
            }
            1 => {
                let street = self.street();
                let number = self.rng.random_range(1..=300);
                format!("{town}{street}{number}号{building}号楼{unit}单元{room}室")
            }
            _ => {
                let estate = self.estate();
                format!("{town}{estate}{building}号楼{unit}单元{room}室")
            }
        }
    }

    /// `河南省周口市太康县王集镇李庄村4组`, or a street address in an urban district.
    fn hometown_address(&mut self, home: &Region) -> String {
        if home.name.ends_with('区') {
            // An urban district: a street address.
            let street = self.street();
            let number = self.rng.random_range(1..=300);
            let building = self.rng.random_range(1..=24);
            let unit = self.rng.random_range(1..=6);
            let room = self.rng.random_range(1..=18) * 100 + self.rng.random_range(1..=4);
            return format!(
                "{}{street}{number}号{building}号楼{unit}单元{room}室",
                home.full_name
            );
        }
        let stem = self.village();
        let kind = if self.rng.random_bool(0.6) {
            "镇"
        } else {
            "乡"
        };
        let village = self.village();
        let group = self.rng.random_range(1..=12);
        format!("{}{stem}{kind}{village}村{group}组", home.full_name)
    }

    /// A village name without 村: 王庄, 李家湾, 东河, 红星.
    fn village(&mut self) -> String {
        match self.rng.random_range(0..100) {
            0..45 => {
                let surname = pick(&mut self.rng, VILLAGE_SURNAMES);
                let suffix = pick(&mut self.rng, VILLAGE_SUFFIXES);
                format!("{surname}{suffix}")
            }
            45..80 => {
                let head = pick(&mut self.rng, VILLAGE_HEADS);
                let tail = pick(&mut self.rng, VILLAGE_TAILS);
                format!("{head}{tail}")
            }
            _ => pick(&mut self.rng, VILLAGE_NAMES).to_string(),
        }
    }

    /// A street with its suffix: 建设路, 人民大街.
    fn street(&mut self) -> String {
        let head = pick(&mut self.rng, STREET_HEADS);
        let tail = pick(&mut self.rng, STREET_TAILS);
        format!("{head}{tail}")
    }

    /// A residential compound: 阳光花园, 锦绣华庭.
    fn estate(&mut self) -> String {
        let head = pick(&mut self.rng, ESTATE_HEADS);
        let tail = pick(&mut self.rng, ESTATE_TAILS);
        format!("{head}{tail}")
    }

    /// `{place}{word}{kind}有限公司`, the place being the county's or the township's short name.
    fn company(&mut self, kind: &str, scene: &Scene) -> String {
        let place = match self.rng.random_range(0..100) {
            0..45 => scene.get("county_short"),
            45..80 => scene.get("town_short"),
            _ => "",
        };
        let word = pick(&mut self.rng, COMPANY_WORDS);
        let form = if self.rng.random_bool(0.85) {
            "有限公司"
        } else {
            "有限责任公司"
        };
        format!("{place}{word}{kind}{form}")
    }

    /// A third party as registrars write them: 王某, 李某某.
    fn someone(&mut self) -> String {
        let surname = self.surname();
        let mask = if self.rng.random_bool(0.7) {
            "某"
        } else {
            "某某"
        };
        format!("{surname}{mask}")
    }

    // ---- matters -----------------------------------------------------------------------------

    fn template(&mut self, collective: bool) -> &'static Template {
        let total: u32 = TEMPLATES
            .iter()
            .filter(|t| t.collective || !collective)
            .map(|t| t.weight)
            .sum();
        let mut roll = self.rng.random_range(0..total);
        for t in TEMPLATES.iter().filter(|t| t.collective || !collective) {
            if roll < t.weight {
                return t;
            }
            roll -= t.weight;
        }
        &TEMPLATES[0]
    }

    fn proposal(&mut self, t: &Template, collective: bool) -> &'static str {
        let options: &[&'static str] = match (t.purpose, collective) {
            ("04", _) => &[
                "建议转{handler}依规依纪依法调查处理，注意对信访人个人信息严格保密。",
                "拟转{handler}核查，查实后依法处理，并做好对信访人的保护工作。",
            ],
            (_, true) => &[
                "集体访，建议报分管领导阅示后交{handler}牵头处理，及时做好政策解释和矛盾化解工作。",
                "涉及人数较多，建议由{handler}牵头会同相关部门联合接谈，限期拿出化解方案。",
            ],
            ("03", _) => &["建议转{handler}研究办理，并将采纳情况告知来访人。"],
            ("05", _) => &["已当场作政策解释，建议告知来访人向{handler}进一步咨询办理。"],
            _ => &[
                "建议转{handler}调查核实，依法依规处理，并在规定期限内书面答复来访人。",
                "拟交办{handler}办理，限期反馈办理结果。",
                "建议由{handler}牵头调查处理，{county}信访局跟踪督办。",
            ],
        };
        pick(&mut self.rng, options)
    }

    fn office_time(&mut self, at: NaiveDateTime) -> NaiveDateTime {
        let opens = NaiveTime::from_hms_opt(OPENS.0, OPENS.1, 0).expect("valid time");
        let closes = NaiveTime::from_hms_opt(CLOSES.0, CLOSES.1, 0).expect("valid time");
        let time = NaiveTime::from_hms_opt(at.hour(), at.minute(), 0).expect("valid time");
        let midnight = at.time() == NaiveTime::MIN;
        if (opens..=closes).contains(&time) || (time < opens && !midnight) {
            return at.date().and_time(time);
        }
        let span = (closes - opens).num_minutes();
        at.date()
            .and_time(opens + Duration::minutes(self.rng.random_range(0..=span)))
    }

    /// Fills every `{key}` of `text`; a key already filled in this petition keeps its value.
    fn expand(&mut self, text: &str, scene: &mut Scene) -> String {
        let mut out = String::with_capacity(text.len() + 64);
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return out;
            };
            let key = &after[..end];
            let value = match scene.values.get(key) {
                Some(v) => v.clone(),
                None => {
                    let v = self.fresh(key, scene);
                    scene.values.insert(key.to_string(), v.clone());
                    v
                }
            };
            out.push_str(&value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// A new value for a placeholder. Kinds (a trailing digit makes a second, independent
    /// value: `{someone2}`):
    /// - `int:a:b` an integer; `sqm:a:b` square metres; `yuan:a:b` yuan, rounded;
    /// - `wan:a:b` 万元 and `mu:a:b` 亩 with one decimal (bounds in whole units); `dec:a:b` a
    ///   decimal with bounds in tenths (`dec:8:15` is 0.8 to 1.5);
    /// - `years_ago:a:b`, `months_ago:a:b`, `days_ago:a:b` before the visit: `2024年`,
    ///   `2025年3月`, `2026年9月12日`;
    /// - `company:KIND` a company of that trade; `village`, `street`, `estate`, `someone`,
    ///   `town2` (another township);
    /// - a name from [`LISTS`], itself expanded.
    fn fresh(&mut self, key: &str, scene: &mut Scene) -> String {
        if let Some(kind) = key.strip_prefix("company:") {
            return self.company(kind, scene);
        }
        let mut parts = key.split(':');
        let kind = parts.next().unwrap_or_default();
        let bounds: Vec<i64> = parts.filter_map(|p| p.parse().ok()).collect();
        let lo = bounds.first().copied().unwrap_or(0);
        let hi = bounds.get(1).copied().unwrap_or(lo).max(lo);
        let base = kind.trim_end_matches(|c: char| c.is_ascii_digit());
        match base {
            "int" => self.rng.random_range(lo..=hi).to_string(),
            "sqm" => format!("{}平方米", self.rng.random_range(lo..=hi)),
            "yuan" => {
                let n = self.rng.random_range(lo..=hi);
                let step = if n >= 10_000 { 100 } else { 10 };
                format!("{}元", (n / step) * step)
            }
            "wan" => format!("{}万元", tenths(self.rng.random_range(lo * 10..=hi * 10))),
            "mu" => format!("{}亩", tenths(self.rng.random_range(lo * 10..=hi * 10))),
            "dec" => tenths(self.rng.random_range(lo..=hi)),
            "years_ago" => {
                let n = self.rng.random_range(lo..=hi) as i32;
                format!("{}年", scene.date.year() - n)
            }
            "months_ago" => {
                let n = self.rng.random_range(lo..=hi) as i32;
                let months = scene.date.year() * 12 + scene.date.month0() as i32 - n;
                format!("{}年{}月", months.div_euclid(12), months.rem_euclid(12) + 1)
            }
            "days_ago" => {
                let d = scene.date - Duration::days(self.rng.random_range(lo..=hi));
                format!("{}年{}月{}日", d.year(), d.month(), d.day())
            }
            "village" => self.village(),
            "street" => self.street(),
            "estate" => self.estate(),
            "someone" => self.someone(),
            "town" => {
                let current = scene.get("town").to_string();
                let others: Vec<&String> =
                    self.townships.iter().filter(|t| **t != current).collect();
                match others.choose(&mut self.rng) {
                    Some(t) => (*t).clone(),
                    None => format!("邻近的{}", self.village()),
                }
            }
            _ => match LISTS.iter().find(|(name, _)| *name == base) {
                Some((_, items)) => {
                    let item = pick(&mut self.rng, items);
                    self.expand(item, scene)
                }
                None => format!("{{{key}}}"),
            },
        }
    }
}

/// The values of one petition's placeholders, so that the summary, requests and proposal agree.
struct Scene {
    date: NaiveDate,
    values: HashMap<String, String>,
}

impl Scene {
    fn get(&self, key: &str) -> &str {
        self.values.get(key).map_or("", String::as_str)
    }
}

fn counties_within(code: &str) -> Vec<&'static Region> {
    let Some(bureau) = region::lookup(code) else {
        return Vec::new();
    };
    let prefix = match bureau.level {
        RegionLevel::Province => &bureau.code[..2],
        RegionLevel::Prefecture => &bureau.code[..4],
        RegionLevel::County => return vec![bureau],
    };
    let counties: Vec<&'static Region> = region::all()
        .iter()
        .filter(|r| r.level == RegionLevel::County && r.code.starts_with(prefix))
        .collect();
    if counties.is_empty() {
        // A prefecture-level city without counties (东莞市): the city itself.
        vec![bureau]
    } else {
        counties
    }
}

/// The 2022 class that goes with a purpose: 揭发控告 → 检举控告类; 意见建议 and 咨询 →
/// 建议意见类; 求决, 申诉 and the rest → 申诉求决类.
fn class_of(purpose: &str) -> &'static str {
    match purpose {
        "04" => "accusation",
        "03" | "05" => "suggestion",
        _ => "claim",
    }
}

/// `朝阳区` → `朝阳`, `城关镇` → `城关`; a name that would drop to one character stays whole.
fn short_name(name: &str, suffixes: &[&str]) -> String {
    suffixes
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .filter(|stem| stem.chars().count() >= 2)
        .unwrap_or(name)
        .to_string()
}

/// 25 → `2.5`, 30 → `3`.
fn tenths(n: i64) -> String {
    if n % 10 == 0 {
        (n / 10).to_string()
    } else {
        format!("{}.{}", n / 10, n % 10)
    }
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    *items.choose(rng).expect("a non-empty list")
}

fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for &(item, w) in items {
        if roll < w {
            return item;
        }
        roll -= w;
    }
    items[items.len() - 1].0
}

// ---- matter templates ----------------------------------------------------------------------

/// One kind of matter: what the registrar writes and how it is coded.
#[derive(Debug, Clone, Copy)]
struct Template {
    /// Relative frequency.
    weight: u32,
    /// 内容分类 code.
    category: &'static str,
    /// 信访目的 code; the class follows from it ([`class_of`]).
    purpose: &'static str,
    /// The unit the matter would go to, for the proposal.
    handler: &'static str,
    summary: &'static str,
    requests: &'static str,
    /// May come as a collective visit (the summary then starts with `{who}`).
    collective: bool,
    /// Accusations: the accuser's identity is kept confidential.
    confidential: bool,
    /// Petitioners are often from other provinces (migrant workers).
    migrant: bool,
    /// Birth years of the people who bring it.
    born: (i32, i32),
    /// Their occupations; empty: by age.
    occupations: &'static [&'static str],
}

const fn matter(
    weight: u32,
    category: &'static str,
    purpose: &'static str,
    handler: &'static str,
    summary: &'static str,
    requests: &'static str,
) -> Template {
    Template {
        weight,
        category,
        purpose,
        handler,
        summary,
        requests,
        collective: false,
        confidential: false,
        migrant: false,
        born: (BORN_FROM, BORN_UNTIL),
        occupations: &[],
    }
}

impl Template {
    const fn collective(mut self) -> Self {
        self.collective = true;
        self
    }

    const fn confidential(mut self) -> Self {
        self.confidential = true;
        self
    }

    const fn migrant(mut self) -> Self {
        self.migrant = true;
        self
    }

    const fn born(mut self, from: i32, until: i32) -> Self {
        self.born = (from, until);
        self
    }

    const fn occupations(mut self, occupations: &'static [&'static str]) -> Self {
        self.occupations = occupations;
        self
    }
}

const FARMERS: &[&str] = &["农民"];
const CONSTRUCTION_WORKERS: &[&str] = &["农民工", "建筑工人", "农民", "进城务工人员"];
const FACTORY_WORKERS: &[&str] = &["企业职工", "农民工", "进城务工人员"];
const RETIREES: &[&str] = &["退休职工"];
const PARENTS: &[&str] = &[
    "个体经营者",
    "企业职工",
    "农民",
    "进城务工人员",
    "公司职员",
    "灵活就业人员",
];
const HARDSHIP: &[&str] = &["无业", "农民", "灵活就业人员"];

static TEMPLATES: &[Template] = &[
    // 劳动社保
    matter(
        12,
        "060101",
        "01",
        "{county}人力资源和社会保障局",
        "{who}反映：{they}自{months_ago:10:20}起在{company:建筑工程}承建的{town}{estate}项目从事{trade}工作，工程已于{months_ago:2:6}主体完工。包工头{someone}以开发商未拨付工程款为由，至今拖欠{they}工资共计{wages}。{they}多次到项目部讨要未果，拨打12345热线后劳动保障监察大队曾到现场协调，但问题仍未解决。",
        "要求督促{company:建筑工程}及总承包单位依法足额支付拖欠的工资{wages}，在春节前结清。",
    )
    .collective()
    .migrant()
    .born(1960, 1998)
    .occupations(CONSTRUCTION_WORKERS),
    matter(
        6,
        "060101",
        "01",
        "{county}人力资源和社会保障局",
        "{who}反映：{they}原在{town}{company:服装}从事缝纫、包装等工作。{months_ago:3:10}工厂突然停产，法定代表人{someone}去向不明，拖欠{they}{int:2:6}个月工资共计{wages}未付。{they}已向{county}劳动人事争议仲裁委员会申请仲裁并胜诉，但企业已无可供执行的财产。",
        "要求有关部门依法追讨欠薪，对恶意欠薪行为移送公安机关处理，并协调启动欠薪应急周转金先行垫付。",
    )
    .collective()
    .born(1965, 2000)
    .occupations(FACTORY_WORKERS),
    matter(
        4,
        "060102",
        "01",
        "{county}人力资源和社会保障局",
        "来访人反映：其于{years_ago:3:9}入职{company:机械制造}，从事{job}工作，双方签订了无固定期限劳动合同。{months_ago:1:5}，公司以“经营困难、岗位调整”为由单方面解除劳动合同，既未提前三十日书面通知，也未支付经济补偿。其在职期间公司还存在未足额缴纳社会保险的问题。",
        "要求公司依法支付解除劳动合同的经济补偿金{yuan:12000:60000}，并补缴{int:6:30}个月的社会保险费。",
    )
    .born(1970, 2000)
    .occupations(&["企业职工"]),
    matter(
        3,
        "060100",
        "01",
        "{county}人力资源和社会保障局",
        "来访人反映：其在{company:建材}工作期间，于{days_ago:120:400}{injury}，经劳动能力鉴定为{grade}级伤残。公司未为其缴纳工伤保险，出院后仅支付了部分医疗费，拒绝支付一次性伤残补助金、停工留薪期工资等工伤待遇。",
        "要求用人单位依法支付各项工伤保险待遇共计{yuan:50000:260000}。",
    )
    .migrant()
    .born(1965, 2000)
    .occupations(FACTORY_WORKERS),
    matter(
        5,
        "060201",
        "01",
        "{county}社会保险事业管理中心",
        "来访人反映：其原系{county}{company:机械制造}职工（原国营企业，{years_ago:15:25}改制），{years_ago:1:5}办理退休手续，社保经办机构核定的基本养老金为每月{int:1800:3200}元。其认为{pension_issue}，导致养老金明显偏低。",
        "要求重新核定其缴费年限和基本养老金待遇，补发少发的养老金。",
    )
    .born(1958, 1968)
    .occupations(RETIREES),
    matter(
        3,
        "060201",
        "01",
        "{county}人力资源和社会保障局",
        "{who}反映：{their}承包地于{years_ago:6:12}被征收后已无地可种，按政策应纳入被征地农民基本养老保障，但{village}村至今仍有{int:20:80}人未被纳入；已纳入的人员每月仅领取{int:300:900}元，难以维持基本生活。",
        "要求落实被征地农民社会保障政策，将符合条件的人员全部纳入，并适当提高保障待遇。",
    )
    .collective()
    .born(1945, 1970)
    .occupations(FARMERS),
    matter(
        3,
        "060201",
        "05",
        "{county}社会保险事业管理中心",
        "来访人咨询：其{years_ago:22:30}至{years_ago:12:18}在{company:纺织}工作期间，单位未为其缴纳养老保险，现已临近退休年龄，{consult_q}。",
        "希望有关部门明确答复养老保险补缴政策和办理途径。",
    )
    .born(1962, 1975),
    matter(
        3,
        "060202",
        "01",
        "{county}医疗保障局",
        "来访人反映：其{relative}因{ill}在{hospital}住院治疗{int:15:60}天，花费医疗费用{yuan:30000:180000}。出院结算时，医保部门以部分药品和耗材不在医保目录内、转诊手续不全等理由核减了{yuan:8000:26000}，其认为住院前已按医院要求办理了转诊备案手续。",
        "要求医疗保障部门重新审核，按规定报销医疗费用。",
    ),
    // 土地征收
    matter(
        9,
        "140101",
        "01",
        "{county}自然资源局",
        "{who}反映：{years_ago:1:4}，{town}{village}村共{int:80:420}亩集体土地被征收用于{project}建设，其中{their}承包地{plots}被征收。补偿标准为每亩{wan:3:8}，明显低于相邻{town2}同类地块的补偿水平，青苗和地上附着物补偿至今未兑现。征地前未组织听证，补偿安置方案也未在村内公示。",
        "要求按照现行征地区片综合地价标准重新核算补偿，兑现青苗及地上附着物补偿，公开征地批准文件和补偿安置方案。",
    )
    .collective()
    .born(1945, 1990)
    .occupations(FARMERS),
    matter(
        3,
        "130102",
        "04",
        "{county}纪委监委",
        "{who}反映：{village}村在{project}征地过程中，村委会收到上级拨付的土地补偿费约{wan:80:400}，但只向村民分配了一部分，剩余约{wan:20:70}去向不明。村党支部书记{someone}拒绝公开账目，村民代表要求查账时遭到推诿。",
        "要求对该村征地补偿款的收支和分配情况进行审计，查处截留、挪用补偿款的行为，并将剩余款项依法分配到户。",
    )
    .collective()
    .confidential()
    .born(1945, 1990)
    .occupations(FARMERS),
    // 房屋征收
    matter(
        6,
        "150100",
        "01",
        "{county}房屋征收与补偿办公室",
        "{who}反映：{their}房屋位于{town}{street}，被列入{renewal}征收范围，{floor_area}。评估机构出具的评估价格为每平方米{int:3200:9800}元，明显低于周边同类房屋市场价格，申请复核评估后结果未变。征收工作人员多次上门催签协议，并称逾期将申请强制执行。",
        "要求重新委托有资质的评估机构进行评估，按照市场价格给予补偿；在未达成补偿协议前不得强制拆除。",
    )
    .collective()
    .born(1945, 1990),
    matter(
        5,
        "150100",
        "01",
        "{county}房屋征收与补偿办公室",
        "{who}反映：{their}房屋于{years_ago:3:6}因{renewal}被征收，当时选择产权调换，协议约定安置房{int:24:36}个月内交付。目前过渡期已满，{town}{estate}安置小区仍未竣工，临时安置补助费自{months_ago:3:12}起停发，{they}只能长期租房居住。",
        "要求尽快交付安置房，补发停发的临时安置补助费，逾期交付期间按协议约定标准支付过渡费。",
    )
    .collective()
    .born(1945, 1990),
    matter(
        2,
        "150100",
        "01",
        "{county}住房和城乡建设局",
        "{who}反映：{they}所分配的{town}{estate}安置房交付不到{int:1:3}年，即出现外墙瓷砖脱落、卫生间和屋顶渗水、墙体开裂等质量问题。{they}多次向施工单位{company:建筑工程}和{town_gov}反映，仅作了简单修补，问题反复出现。",
        "要求组织房屋质量检测，责令施工单位彻底维修，并追究安置房质量问题相关责任。",
    )
    .collective(),
    matter(
        2,
        "150100",
        "01",
        "{town_gov}",
        "来访人反映：{days_ago:20:200}，在其未签订征收补偿协议、也未收到人民法院强制执行裁定的情况下，{town}组织人员将其位于{village}村的{int:2:5}间房屋强行拆除，屋内家具、家电等物品未及清点即被掩埋。",
        "要求确认强制拆除行为违法，赔偿房屋及室内物品损失，依法追究相关人员责任。",
    )
    .born(1945, 1985),
    // 物业、住房
    matter(
        8,
        "150201",
        "01",
        "{county}住房和城乡建设局",
        "{who}反映：{they}所住的{town}{estate}小区物业服务企业{company:物业服务}自{months_ago:2:8}起将物业费由每月每平方米{dec:8:15}元上调至{dec:18:30}元，调价前未经业主大会表决，也未进行公示。同时小区电梯经常停运、公共区域卫生无人清扫、门禁长期损坏，服务质量与收费明显不符。",
        "要求住房和城乡建设部门核查物业收费是否合规，责令物业企业恢复原收费标准并整改服务质量，支持业主依法成立业主委员会。",
    )
    .collective()
    .born(1950, 1995),
    matter(
        3,
        "150200",
        "01",
        "{county}住房和城乡建设局",
        "{who}反映：{town}{estate}小区地下停车位租金、电梯广告位及快递柜场地费等公共收益，长期由{company:物业服务}收取，从未向业主公示收支情况。业主要求查看账目被拒，物业公司还以欠费为由限制部分业主车辆进出小区。",
        "要求公开近{int:3:6}年小区公共收益收支明细，公共收益归全体业主所有；停止以限制出入等方式催缴物业费。",
    )
    .collective()
    .born(1950, 1995),
    matter(
        3,
        "150000",
        "01",
        "{county}住房和城乡建设局",
        "{who}反映：{town}{estate}小区今年入冬以来供暖不达标，室内温度长期在{int:10:15}℃左右，家中老人孩子受冻。{they}多次向{company:热力}和物业公司反映，对方称二次管网老化无法解决。",
        "要求供热单位检修管网，保证室温达到18℃，并按规定退还供暖不达标期间的部分采暖费。",
    )
    .collective()
    .born(1945, 1995),
    matter(
        4,
        "150000",
        "01",
        "{county}住房和城乡建设局",
        "{who}反映：{they}于{years_ago:4:8}购买了{company:房地产开发}开发的{town}{estate}商品房，已交房入住{int:2:4}年，但因开发商欠缴土地出让金、项目未通过竣工验收备案，至今无法办理不动产权证，孩子上学、落户都受到影响。",
        "要求督促开发商补缴相关费用、完善手续，尽快为业主办理不动产权证。",
    )
    .collective()
    .born(1965, 1998),
    matter(
        3,
        "150000",
        "01",
        "{county}住房和城乡建设局",
        "{who}反映：{they}购买的{company:房地产开发}开发的{estate}项目，购房合同约定{months_ago:8:24}交房，目前项目已停工{int:6:18}个月，工地无人施工，{they}仍在按月偿还房贷。",
        "要求督促项目尽快复工续建、按期交付，并加强对预售资金使用情况的监管。",
    )
    .collective()
    .born(1965, 1998),
    matter(
        2,
        "150300",
        "01",
        "{county}住房和城乡建设局",
        "来访人反映：其家庭人均收入和住房面积均符合公共租赁住房保障条件，于{years_ago:2:4}提交申请并通过审核，轮候至今仍未分配，目前一家{int:3:5}口租住在约{sqm:20:35}的平房内。",
        "要求公开公共租赁住房轮候排序情况，尽快为其分配公租房。",
    )
    .occupations(HARDSHIP),
    matter(
        3,
        "150400",
        "01",
        "{county}城市管理综合执法局",
        "来访人反映：其所住的{town}{estate}小区{int:1:20}号楼一楼住户{someone}在楼前公共绿地上违法搭建约{sqm:15:60}的彩钢房，影响采光和消防通道。城管部门立案后下达了限期拆除通知，但至今未拆除。",
        "要求城市管理部门依法拆除违法建筑，恢复公共绿地。",
    ),
    matter(
        1,
        "150400",
        "03",
        "{county}城市管理综合执法局",
        "来访人反映：{town}{street}农贸市场周边占道经营问题突出，早晚高峰摊贩沿路摆摊，车辆和行人通行困难，收摊后垃圾无人清理。",
        "建议城管部门加强日常管理，在附近划定临时疏导摊点区域。",
    ),
    // 环境保护
    matter(
        5,
        "110102",
        "01",
        "{county}城市管理综合执法局",
        "{who}反映：{town}{estate}小区东侧{company:建筑工程}承建的工地长期在夜间施工，每天晚上十点以后仍有打桩机、混凝土泵车作业，渣土车通宵进出，噪声严重影响周边居民休息。{they}多次拨打12345热线和报警，施工单位只停工一两天便恢复夜间作业。",
        "要求责令该工地停止夜间违规施工，依法查处噪声扰民行为；确需夜间连续作业的应依法办理手续并提前公示。",
    )
    .collective()
    .born(1945, 2000),
    matter(
        4,
        "110102",
        "01",
        "{county}城市管理综合执法局",
        "来访人反映：其居住的{town}{street}{int:10:180}号楼下{someone}经营的{shop}每天营业至凌晨两三点，食客喧哗、音响声和排风机噪声不断，油烟直排，严重影响其一家休息。其多次与店主协商无果，向城管和派出所反映后仅短期有所改善。",
        "要求有关部门依法查处噪声及油烟扰民问题，规范该店经营时间。",
    ),
    matter(
        2,
        "110102",
        "03",
        "{town_gov}",
        "来访人反映：{town}{park}每天早晚有多支广场舞队伍使用大功率音响，音量过大，周边居民尤其是老人和备考学生深受影响。",
        "建议有关部门划定广场舞活动区域和时段，限制音响音量。",
    ),
    matter(
        4,
        "110101",
        "01",
        "{county}生态环境分局",
        "{who}反映：{town}{village}村附近的{company:化工}经常在夜间排放废气，气味刺鼻，周边村民出现咳嗽、头晕、胸闷等症状，庄稼叶片发黄枯萎。{they}向环保部门举报后，企业白天停产应付检查，夜间照常生产。",
        "要求生态环境部门对该企业开展突击监测，依法查处超标排放行为，必要时责令停产整治，并对受损农作物给予赔偿。",
    )
    .collective()
    .occupations(FARMERS),
    matter(
        3,
        "110101",
        "01",
        "{county}自然资源局",
        "{who}反映：{village}村后山的{company:石材}开山采石、破碎砂石，粉尘弥漫，运输车辆超载撒漏，村道被压坏，晴天扬尘、雨天泥泞。村民房屋因爆破出现裂缝{int:10:40}余处。",
        "要求核查该企业采矿手续是否合法，落实抑尘降噪措施，修复被压坏的道路并赔偿房屋损失。",
    )
    .collective()
    .occupations(FARMERS),
    matter(
        3,
        "110103",
        "01",
        "{county}生态环境分局",
        "{who}反映：{town}{village}村{someone}经营的养猪场存栏生猪{int:500:3000}余头，粪污未经处理直接排入{river}，河水发黑发臭，下游{int:100:600}亩农田灌溉受到影响，部分村民家中井水出现异味。",
        "要求责令养殖场停止直排，限期建设粪污处理设施，对污染的河道和农田进行治理。",
    )
    .collective()
    .occupations(FARMERS),
    matter(
        2,
        "110103",
        "01",
        "{county}生态环境分局",
        "来访人反映：其在{town}{village}村承包鱼塘{mu:5:40}，{days_ago:15:90}上游{company:食品}排放污水后，鱼塘出现大面积死鱼，损失约{yuan:30000:200000}。其向企业索赔，企业否认排污。",
        "要求对污染源进行监测认定，责令企业赔偿养殖损失。",
    )
    .occupations(FARMERS),
    matter(
        2,
        "110100",
        "01",
        "{county}城市管理综合执法局",
        "{who}反映：{town}在{estate}小区南侧约{int:30:80}米处新建垃圾中转站，选址未征求周边居民意见，投入使用后臭味严重、蚊蝇滋生，垃圾车夜间作业噪声扰民。",
        "要求重新论证垃圾中转站选址，落实密闭除臭措施，调整垃圾清运作业时间。",
    )
    .collective(),
    // 民政
    matter(
        5,
        "120101",
        "01",
        "{county}民政局",
        "来访人反映：其{hardship}，家庭生活十分困难。其自{years_ago:2:5}起享受最低生活保障，{months_ago:2:8}年度复核时被{town}取消低保，理由是家中有人在外务工、收入超标。其认为{family_note}，村（社区）入户调查时未如实核算家庭收入。",
        "要求重新核查其家庭经济状况，恢复低保待遇并补发停发期间的低保金。",
    )
    .born(1945, 1985)
    .occupations(HARDSHIP),
    matter(
        3,
        "120101",
        "04",
        "{county}纪委监委",
        "来访人反映：{village}村村委会主任{someone}的亲属家中{asset}，却多年享受低保；村里部分残疾、重病的困难家庭多次申请均未获批准。低保评议会议未按规定召开，评议结果也未张榜公示。",
        "要求核查该村低保对象名单，清退不符合条件的人员，查处优亲厚友问题，并为符合条件的困难家庭办理低保。",
    )
    .confidential(),
    matter(
        2,
        "120100",
        "01",
        "{county}民政局",
        "来访人反映：其{relative}系{severe}级残疾人，持有残疾人证，按规定应享受困难残疾人生活补贴和重度残疾人护理补贴，但自{months_ago:4:14}起两项补贴停发，{town}民政办称系统比对未通过，未说明具体原因。",
        "要求核查停发原因，恢复并补发两项补贴。",
    ),
    matter(
        2,
        "120000",
        "01",
        "{county}退役军人事务局",
        "来访人反映：其系{years_ago:36:48}入伍的退役军人，{veteran_issue}。",
        "要求退役军人事务部门核实其身份和经历，落实相应的优抚待遇。",
    )
    .born(1955, 1972)
    .occupations(&["农民", "退休职工", "无业"]),
    // 农村农业
    matter(
        5,
        "130101",
        "01",
        "{town_gov}",
        "{who}反映：{village}村近{int:3:6}年来{village_asset}等收支情况从未公开，村务公开栏长期空白。村民代表多次书面要求查看账目，均被村委会以各种理由拒绝。",
        "要求{town_gov}督促该村依法落实村务、财务公开，对村集体近年账目进行专项审计。",
    )
    .collective()
    .occupations(FARMERS),
    matter(
        4,
        "130102",
        "04",
        "{county}纪委监委",
        "来访人反映：{village}村党支部书记{someone}利用职务便利，在{village_project}中虚报工程量、套取项目资金约{wan:10:80}；还将村集体{mu:20:200}机动地以明显低于市场的价格长期发包给其亲属。",
        "要求纪检监察机关调查核实，依纪依法严肃处理，追回流失的集体资金和资产。",
    )
    .confidential()
    .occupations(FARMERS),
    matter(
        2,
        "130100",
        "04",
        "{town_gov}",
        "{who}反映：{village}村在{years_ago:0:1}村“两委”换届选举中，候选人{someone}通过宴请、发放购物卡等方式拉票贿选，投票时还存在代写选票、流动票箱无人监督等问题。",
        "要求调查选举中的违法违纪行为，依法确认选举结果无效并重新组织选举。",
    )
    .collective()
    .confidential()
    .occupations(FARMERS),
    matter(
        4,
        "130200",
        "01",
        "{county}农业农村局",
        "来访人反映：其系{town}{village}村村民，{land_issue}。其多次找村委会和{town}农经站反映，至今未得到解决。",
        "要求依法保障其土地承包经营权，恢复承包地或给予合理补偿。",
    )
    .occupations(FARMERS),
    matter(
        2,
        "130000",
        "01",
        "{county}农业农村局",
        "{who}反映：{they}今年春季从{town}{someone}经营的农资店购买{crop}种子，种植{mu:20:300}后出苗率不足五成，部分地块结实率明显偏低，预计减产{int:3:6}成。经销商以天气原因为由拒绝赔偿。",
        "要求农业农村和市场监管部门对种子质量进行鉴定，责令经销商赔偿损失。",
    )
    .collective()
    .occupations(FARMERS),
    matter(
        2,
        "130000",
        "01",
        "{county}水务局",
        "{who}反映：{village}村自来水自{months_ago:2:6}以来经常停水，来水时水质浑浊、有异味。村里称供水管网老化、水源井出水量不足，一直未予解决，村民只能外出拉水。",
        "要求尽快维修改造供水设施，保障村民安全饮水。",
    )
    .collective()
    .occupations(FARMERS),
    // 国土
    matter(
        5,
        "140000",
        "01",
        "{town_gov}",
        "来访人反映：其与邻居{someone}因宅基地边界发生纠纷。{years_ago:1:2}{someone}翻建房屋时，将院墙向其家一侧外移约{int:1:3}米，占用其宅基地约{sqm:8:30}。村委会和{town}司法所多次调解未果，对方仍在继续施工。",
        "要求{town_gov}依法确认双方宅基地使用权界址，责令对方拆除侵占部分并恢复原状。",
    )
    .born(1945, 1990)
    .occupations(FARMERS),
    matter(
        2,
        "140000",
        "01",
        "{town_gov}",
        "来访人反映：其家{int:4:7}口人，长期居住在{int:40:60}年前建的土坯房内，属于住房困难户。其于{years_ago:2:4}向{village}村提出宅基地申请，村里已同意并上报，但至今未获{town}审批，也未收到书面答复。",
        "要求按照“一户一宅”政策依法审批其宅基地申请。",
    )
    .born(1965, 1995)
    .occupations(FARMERS),
    // 教育
    matter(
        4,
        "070000",
        "01",
        "{county}教育局",
        "{who}反映：{school}以“{fee_name}”名义向每名学生收取{int:300:1800}元，未出具正规收费票据；学校还要求学生统一在指定书店购买教辅资料，并变相强制参加课后托管。家长对此有意见，但担心孩子受影响不敢当面提出。",
        "要求教育部门核查学校收费问题，清退违规收取的费用，规范教辅征订和课后服务收费。",
    )
    .collective()
    .born(1978, 1996)
    .occupations(PARENTS),
    matter(
        2,
        "070000",
        "01",
        "{county}教育局",
        "来访人反映：其在{county}务工已{int:4:10}年，在{town}租房居住并连续缴纳社会保险，孩子今年{age_step}，向{school}申请入学时被告知学位已满，让其回户籍地就读。",
        "要求教育部门按照随迁子女入学政策，统筹安排其孩子就近入学。",
    )
    .migrant()
    .born(1980, 1996)
    .occupations(PARENTS),
    matter(
        1,
        "070000",
        "01",
        "{county}教育局",
        "来访人反映：其系{school}教师，{teacher_issue}。",
        "要求教育部门按政策落实教师待遇，补发应发未发的部分。",
    )
    .born(1965, 1998)
    .occupations(&["教师"]),
    // 卫生
    matter(
        2,
        "080000",
        "01",
        "{county}卫生健康局",
        "来访人反映：其{relative}于{days_ago:60:300}在{hospital}接受{surgery}手术，{outcome}。其认为医院在术前检查和术后观察中存在过错，双方协商赔偿未果。",
        "要求卫生健康部门组织医疗事故技术鉴定，督促医院依法赔偿。",
    ),
    // 政法
    matter(
        3,
        "050100",
        "01",
        "{county}公安分局",
        "来访人反映：其于{days_ago:20:180}在{town}{street}与{someone}发生纠纷，被对方殴打致伤，已向{town}派出所报案并做了伤情鉴定。派出所至今未作出处理决定，对方也未赔偿其医疗费等损失{yuan:3000:30000}。",
        "要求公安机关依法及时处理，追究打人者的法律责任并赔偿其损失。",
    ),
    matter(
        3,
        "050300",
        "02",
        "{county}人民法院",
        "来访人反映：其与{someone}民间借贷纠纷一案，经{county}人民法院判决对方偿还借款本金{wan:5:60}及利息，判决已生效{int:1:4}年，法院以被执行人无可供执行财产为由终结本次执行程序。其认为对方名下有车辆和经营收入，执行不到位。",
        "要求法院加大执行力度，查控被执行人财产，依法将其纳入失信被执行人名单。",
    ),
    matter(
        2,
        "040200",
        "04",
        "{county}纪委监委",
        "来访人反映：其在办理{service}过程中，{town}{office}工作人员{someone}多次以材料不全为由拖延办理，暗示需要“打点”，其被迫先后送去现金{yuan:2000:20000}后才办结。",
        "要求查处相关人员吃拿卡要行为，退还其被索取的钱款。",
    )
    .confidential(),
    // 交通
    matter(
        2,
        "110200",
        "03",
        "{county}交通运输局",
        "来访人反映：{town}至{county}城区的公交线路每天仅有{int:4:8}个班次，末班车下午{int:4:5}点即停运，沿线{int:6:15}个村的群众就医、上学出行很不方便。",
        "建议增加班次、延长末班车运营时间，并在{village}村增设停靠站点。",
    ),
    matter(
        3,
        "110200",
        "03",
        "{county}交通运输局",
        "来访人反映：{village}村至{town}驻地的通村公路修建于{years_ago:15:20}，现路面坑洼破损严重，雨天积水无法通行，村里学生上学、农产品外运十分不便。",
        "建议将该路段列入农村公路提档升级计划，尽快修缮。",
    )
    .occupations(FARMERS),
    matter(
        1,
        "110200",
        "03",
        "{county}公安分局交通警察大队",
        "来访人反映：{town}{street}与{street2}交叉路口没有信号灯和人行横道，附近有{school}，上下学时段车流人流交织，今年以来已发生多起交通事故。",
        "建议公安交管部门在该路口增设信号灯、减速带和人行横道。",
    ),
    // 商贸、经济
    matter(
        2,
        "170000",
        "01",
        "{county}市场监督管理局",
        "{who}反映：{company:教育咨询}在{town}{street}开设的培训机构于{months_ago:1:4}突然闭店，负责人{someone}失联。{they}此前为孩子预交的课时费共计{yuan:8000:150000}尚未消费，机构拒不退费。",
        "要求有关部门督促退还预付费用，依法查处违规预收费和卷款跑路行为。",
    )
    .collective()
    .born(1978, 1996)
    .occupations(PARENTS),
    matter(
        1,
        "020000",
        "03",
        "{town_gov}",
        "来访人反映：{town}{street}一带没有规范的农贸市场，群众买菜要到{int:3:6}公里外的集镇，十分不便。{idle}长期闲置。",
        "建议{town_gov}研究利用闲置场地改建便民农贸市场。",
    ),
];

/// Named lists for `{name}` placeholders; items may hold placeholders of their own.
static LISTS: &[(&str, &[&str])] = &[
    (
        "trade",
        &[
            "钢筋工",
            "木工",
            "瓦工",
            "水电安装",
            "架子工",
            "油漆工",
            "抹灰工",
            "混凝土浇筑",
        ],
    ),
    (
        "project",
        &[
            "工业园区",
            "物流园区",
            "高速公路连接线",
            "污水处理厂",
            "安置小区",
            "产业园",
            "城市主干道",
            "高铁站前广场",
        ],
    ),
    (
        "renewal",
        &[
            "老城区棚户区改造项目",
            "城中村改造项目",
            "{street}拓宽改造工程",
            "旧城更新片区",
        ],
    ),
    (
        "job",
        &[
            "车间操作工",
            "仓库管理员",
            "质检员",
            "叉车司机",
            "电焊工",
            "销售",
            "出纳",
        ],
    ),
    (
        "injury",
        &[
            "在操作搅拌机时右手被卷入受伤",
            "在高处作业时坠落受伤",
            "在搬运货物时被倒塌的货架砸伤",
            "在切割石料时左眼被碎屑击伤",
        ],
    ),
    ("grade", &["七", "八", "九", "十"]),
    ("severe", &["一", "二"]),
    ("shop", &["烧烤店", "KTV", "夜宵大排档", "棋牌室", "酒吧"]),
    (
        "park",
        &["滨河公园", "人民广场", "{street}街心公园", "文化广场"],
    ),
    (
        "river",
        &[
            "村前的{village}河",
            "灌溉渠",
            "附近的排水沟",
            "{town}境内的小清河",
        ],
    ),
    (
        "ill",
        &[
            "尿毒症",
            "脑梗死后遗症",
            "乳腺癌",
            "精神分裂症",
            "糖尿病并发症",
            "慢性阻塞性肺病",
            "肝硬化",
        ],
    ),
    (
        "hardship",
        &[
            "本人患有{ill}，常年服药，丧失劳动能力",
            "配偶因病去世，独自抚养{int:1:3}个未成年子女",
            "与患有{ill}的儿子共同生活，儿子需要长期治疗",
            "年老体弱，老伴常年卧床",
        ],
    ),
    (
        "family_note",
        &[
            "子女早已分户另过且自身也有困难",
            "儿子在外打零工收入不稳定，每月不足两千元",
            "女儿已出嫁多年，不应计入家庭成员",
        ],
    ),
    (
        "asset",
        &[
            "有小轿车和两套商品房",
            "在县城经营门市",
            "承包了村里的鱼塘和果园",
        ],
    ),
    (
        "village_asset",
        &[
            "集体土地出租、集体厂房出租",
            "砂石资源出让",
            "光伏项目收益、集体土地出租",
            "高速公路占地补偿",
        ],
    ),
    (
        "village_project",
        &[
            "村道硬化工程",
            "高标准农田建设项目",
            "人居环境整治项目",
            "农村饮水安全工程",
        ],
    ),
    (
        "service",
        &[
            "宅基地建房审批",
            "农村危房改造补助申请",
            "营业执照变更",
            "残疾人补贴申请",
        ],
    ),
    (
        "office",
        &[
            "便民服务中心",
            "村镇建设办公室",
            "农业综合服务中心",
            "社会事务办公室",
        ],
    ),
    (
        "pension_issue",
        &[
            "{int:3:8}年下乡知青经历未计入视同缴费年限",
            "企业改制期间单位欠缴的{int:2:5}年养老保险未予补缴",
            "档案中参加工作时间被错误记载，少计工龄{int:2:6}年",
        ],
    ),
    (
        "consult_q",
        &[
            "询问能否补缴及补缴的办理程序和费用",
            "询问原单位已注销的情况下应向谁主张补缴",
            "询问补缴后能否按月领取养老金",
        ],
    ),
    (
        "relative",
        &["父亲", "母亲", "丈夫", "妻子", "儿子", "女儿"],
    ),
    (
        "hospital",
        &[
            "{county}人民医院",
            "{county}中医医院",
            "{town}卫生院",
            "{county}妇幼保健院",
        ],
    ),
    (
        "land_issue",
        &[
            "出嫁后户口仍在本村，但村里在二轮延包时未给其分配承包地",
            "{years_ago:2:6}村委会未经其同意，将其家承包的{mu:2:8}耕地收回后转包给{someone}经营",
            "村里以修建{project}为由占用其承包地{mu:1:3}，至今未给予补偿",
        ],
    ),
    (
        "school",
        &[
            "{town_short}中心小学",
            "{county_short}第{int:1:6}中学",
            "{town_short}初级中学",
            "{town_short}实验小学",
        ],
    ),
    (
        "fee_name",
        &["课后服务费", "资料费", "校服费", "班费", "信息化建设费"],
    ),
    ("age_step", &["到了上小学的年龄", "小学毕业升初中"]),
    (
        "teacher_issue",
        &[
            "按规定应享受的乡村教师生活补助自{months_ago:6:18}起停发",
            "评聘中级职称后工资一直未按新岗位兑现",
            "在乡村学校任教满{int:20:30}年，申请乡村教师荣誉证书和相应待遇未获受理",
        ],
    ),
    (
        "surgery",
        &["阑尾切除", "胆囊切除", "腰椎间盘", "剖宫产", "骨折内固定"],
    ),
    (
        "outcome",
        &[
            "术后出现严重感染，至今卧床不起",
            "术后第二天病情恶化，经抢救无效死亡",
            "术后出现神经损伤，左腿至今活动受限",
        ],
    ),
    (
        "veteran_issue",
        &[
            "曾参加对越自卫反击作战，但至今未能享受参战退役人员定期生活补助",
            "退役后安置的单位改制时被买断工龄，军龄未被计算为连续工龄",
            "服役期间因公致残，伤残等级评定至今未落实",
        ],
    ),
    ("crop", &["玉米", "水稻", "小麦", "花生"]),
    ("idle", &["原供销社仓库", "原粮站院落", "原乡镇企业厂房"]),
];

// ---- names and places ------------------------------------------------------------------------

/// Common surnames weighted by frequency (per ten thousand people, roughly).
static SURNAMES: &[(&str, u32)] = &[
    ("王", 710),
    ("李", 700),
    ("张", 670),
    ("刘", 540),
    ("陈", 450),
    ("杨", 310),
    ("黄", 220),
    ("赵", 220),
    ("吴", 200),
    ("周", 190),
    ("徐", 130),
    ("孙", 120),
    ("马", 120),
    ("朱", 110),
    ("胡", 110),
    ("郭", 110),
    ("何", 100),
    ("高", 90),
    ("林", 90),
    ("罗", 80),
    ("郑", 80),
    ("梁", 80),
    ("谢", 60),
    ("宋", 60),
    ("唐", 60),
    ("许", 50),
    ("韩", 50),
    ("冯", 50),
    ("邓", 50),
    ("曹", 50),
    ("彭", 40),
    ("曾", 40),
    ("肖", 40),
    ("田", 40),
    ("董", 40),
    ("袁", 40),
    ("潘", 30),
    ("于", 30),
    ("蒋", 30),
    ("蔡", 30),
    ("余", 30),
    ("杜", 30),
    ("叶", 30),
    ("程", 30),
    ("苏", 30),
    ("魏", 30),
    ("吕", 30),
    ("丁", 30),
    ("任", 30),
    ("沈", 20),
    ("姚", 20),
    ("卢", 20),
    ("姜", 20),
    ("崔", 20),
    ("钟", 20),
    ("谭", 20),
    ("陆", 20),
    ("汪", 20),
    ("范", 20),
    ("金", 20),
    ("石", 20),
    ("廖", 20),
    ("贾", 20),
    ("夏", 20),
    ("韦", 20),
    ("付", 20),
    ("方", 20),
    ("白", 20),
    ("邹", 20),
    ("孟", 20),
    ("熊", 20),
    ("秦", 20),
    ("邱", 20),
    ("江", 20),
    ("尹", 20),
    ("薛", 20),
    ("闫", 20),
    ("段", 10),
    ("雷", 10),
    ("侯", 10),
    ("龙", 10),
    ("史", 10),
    ("陶", 10),
    ("黎", 10),
    ("贺", 10),
    ("顾", 10),
    ("毛", 10),
    ("郝", 10),
    ("龚", 10),
    ("邵", 10),
    ("万", 10),
    ("钱", 10),
    ("严", 10),
    ("覃", 10),
    ("武", 10),
    ("戴", 10),
    ("莫", 10),
    ("孔", 10),
    ("向", 10),
    ("汤", 10),
    ("欧阳", 2),
    ("上官", 1),
    ("司马", 1),
    // One of the rarer surnames in SURNAME_TAIL, together about a quarter of the population.
    ("", 2600),
];

static SURNAME_TAIL: &[&str] = &[
    "常", "乔", "易", "温", "康", "施", "文", "牛", "樊", "葛", "邢", "安", "齐", "伍", "庞", "颜",
    "倪", "庄", "聂", "章", "鲁", "岳", "翟", "殷", "詹", "申", "耿", "关", "兰", "焦", "俞", "左",
    "柳", "甘", "祝", "包", "宁", "尚", "符", "舒", "阮", "柯", "纪", "梅", "童", "凌", "毕", "单",
    "季", "裴", "霍", "涂", "成", "苗", "谷", "盛", "曲", "翁", "冉", "骆", "蓝", "路", "游", "辛",
    "靳", "管", "柴", "蒙", "鲍", "华", "喻", "祁", "蒲", "房", "滕", "屈", "饶", "解", "牟", "艾",
    "尤", "阳", "时", "穆", "农", "卓", "古", "吉", "缪", "简", "车", "项", "连", "芦", "麦", "褚",
    "娄", "窦", "戚", "岑", "景", "党", "宫", "费", "卜", "冷", "晏", "席", "卫", "米",
];

static UYGHUR_MALE: &[&str] = &[
    "艾力",
    "买买提",
    "阿不都热依木",
    "吐尔逊",
    "艾尔肯",
    "阿迪力",
    "努尔买买提",
    "玉素甫",
    "热合曼",
    "依明",
    "肉孜",
    "艾合买提",
    "亚森",
    "库尔班",
];
static UYGHUR_FEMALE: &[&str] = &[
    "阿依古丽",
    "古丽娜尔",
    "热依拉",
    "帕提古丽",
    "米热古丽",
    "阿依努尔",
    "布维古丽",
    "再娜甫",
    "迪丽努尔",
    "努尔尼沙",
];
static KAZAKH_MALE: &[&str] = &[
    "叶尔兰",
    "努尔兰",
    "别克",
    "哈力木",
    "加尔肯",
    "叶尔江",
    "马合沙提",
    "波拉提",
    "阿曼",
    "吐尔洪",
];
static KAZAKH_FEMALE: &[&str] = &["古丽巴哈尔", "阿依达娜", "萨吾列", "加娜尔", "阿克列克"];
/// Tibetan names: one of these, or one of these followed by a male or female one.
static TIBETAN_COMMON: &[&str] = &[
    "扎西", "次仁", "格桑", "尼玛", "达瓦", "白玛", "索朗", "洛桑",
];
static TIBETAN_MALE: &[&str] = &[
    "多吉", "平措", "旺堆", "罗布", "顿珠", "次仁", "扎西", "加措",
];
static TIBETAN_FEMALE: &[&str] = &[
    "卓玛", "央金", "拉姆", "德吉", "曲珍", "次珍", "措姆", "白珍",
];
static MONGOL_MALE: &[&str] = &[
    "巴特尔",
    "苏和",
    "额尔敦",
    "乌力吉",
    "朝鲁",
    "孟和",
    "阿拉坦",
    "宝音",
    "那顺",
];
static MONGOL_FEMALE: &[&str] = &["其其格", "萨仁", "斯琴", "乌兰", "娜仁", "高娃", "图雅"];

static GIVEN_MALE_OLDER: &[&str] = &[
    "建国", "建军", "国强", "国华", "志刚", "志强", "德明", "德胜", "振华", "卫东", "福贵", "永福",
    "长生", "树林", "春生", "金山", "玉山", "庆丰", "保国", "广才", "明", "军", "勇", "刚", "华",
    "平", "海", "林", "成", "福",
];
static GIVEN_MALE_MIDDLE: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "鹏", "辉", "刚", "波", "亮", "海涛",
    "晓东", "建华", "志勇", "俊杰", "海军", "永强", "宏伟", "立新", "文斌", "小龙", "红军",
];
static GIVEN_MALE_YOUNGER: &[&str] = &[
    "浩", "宇", "轩", "博", "鑫", "晨", "磊", "浩然", "子豪", "宇航", "俊豪", "家豪", "一鸣",
    "浩宇", "子轩", "天宇", "志豪", "思远", "鹏飞", "佳乐",
];
static GIVEN_FEMALE_OLDER: &[&str] = &[
    "秀英", "桂英", "秀兰", "玉兰", "桂兰", "凤英", "淑珍", "玉珍", "秀珍", "翠花", "桂芝", "素芳",
    "玉梅", "淑芬", "兰英", "春花", "秀梅", "凤兰", "玉英", "芬", "英", "兰",
];
static GIVEN_FEMALE_MIDDLE: &[&str] = &[
    "丽", "芳", "娜", "敏", "静", "燕", "艳", "丽娟", "红梅", "海燕", "晓燕", "雪梅", "春燕",
    "秀云", "婷", "霞", "丽华", "慧", "颖", "晓红",
];
static GIVEN_FEMALE_YOUNGER: &[&str] = &[
    "婷婷", "欣怡", "雨欣", "佳怡", "思雨", "梦瑶", "诗涵", "雨婷", "欣", "琳", "雪", "倩", "佳琪",
    "可欣", "梓涵", "怡", "萌", "悦",
];

static OCCUPATIONS_RETIRED_AGE: &[(&str, u32)] = &[
    ("农民", 45),
    ("退休职工", 32),
    ("无业", 10),
    ("个体经营者", 5),
    ("退休教师", 4),
    ("进城务工人员", 4),
];
static OCCUPATIONS_WORKING_AGE: &[(&str, u32)] = &[
    ("农民", 24),
    ("企业职工", 20),
    ("个体经营者", 14),
    ("进城务工人员", 10),
    ("无业", 8),
    ("灵活就业人员", 8),
    ("公司职员", 6),
    ("货车司机", 4),
    ("教师", 3),
    ("医护人员", 2),
    ("外卖骑手", 1),
];

/// `(province prefix, [(ethnicity code, per mille)])`; the rest is 01 汉族.
static MINORITIES_BY_PROVINCE: &[(&str, &[(&str, u32)])] = &[
    ("13", &[("11", 40), ("03", 10)]),
    ("15", &[("02", 180), ("11", 20), ("03", 10)]),
    ("21", &[("11", 120), ("02", 20), ("10", 5)]),
    ("22", &[("10", 40), ("11", 40)]),
    ("23", &[("11", 25), ("10", 10)]),
    ("42", &[("15", 30)]),
    ("43", &[("15", 40), ("06", 30), ("12", 10)]),
    ("45", &[("08", 300), ("13", 30)]),
    ("46", &[("19", 150)]),
    ("50", &[("15", 40), ("06", 15)]),
    ("51", &[("07", 30), ("04", 20)]),
    ("52", &[("06", 120), ("09", 70), ("12", 40), ("15", 40)]),
    ("53", &[("07", 100), ("16", 35), ("14", 35), ("18", 25)]),
    ("54", &[("04", 850)]),
    ("62", &[("03", 50), ("04", 20), ("26", 20)]),
    ("63", &[("04", 240), ("03", 150), ("30", 40)]),
    ("64", &[("03", 350)]),
    // Averages over the province; the north (昌吉, 乌鲁木齐) has far fewer Uyghurs than the south.
    ("65", &[("05", 200), ("03", 90), ("17", 60)]),
];
static MINORITIES_ELSEWHERE: &[(&str, u32)] = &[("03", 10), ("11", 5)];

static MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "180", "181", "182", "183", "184", "185", "186",
    "187", "188", "189",
];

static DEFAULT_TOWNSHIPS: &[&str] = &[
    "城关镇",
    "东关街道",
    "新华街道",
    "柳河镇",
    "石桥镇",
    "王集乡",
    "河口镇",
    "白沙乡",
];

static VILLAGE_SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "周", "孙", "马", "朱", "胡", "郭", "高", "何", "宋",
    "韩", "冯", "曹", "田", "董", "袁", "姚", "崔", "贾", "孟", "侯", "郝", "段",
];
static VILLAGE_SUFFIXES: &[&str] = &[
    "庄", "家庄", "家湾", "家沟", "营", "屯", "店", "集", "坡", "寨", "家河", "家坝", "铺", "岗",
    "楼", "家洼", "堡",
];
static VILLAGE_HEADS: &[&str] = &[
    "东", "西", "南", "北", "前", "后", "上", "下", "大", "小", "新", "高", "黄", "石", "柳",
];
static VILLAGE_TAILS: &[&str] = &[
    "河", "湾", "岭", "坪", "桥", "塘", "关", "庄", "沟", "坝", "峪", "洼",
];
static VILLAGE_NAMES: &[&str] = &[
    "红星", "前进", "胜利", "新华", "光明", "和平", "团结", "幸福", "永安", "太平", "长青", "丰收",
    "友谊", "富民", "民主", "东风",
];

static STREET_HEADS: &[&str] = &[
    "人民", "建设", "解放", "中山", "新华", "文化", "胜利", "和平", "光明", "幸福", "民主", "团结",
    "长江", "黄河", "朝阳", "迎宾", "府前", "滨河", "健康", "友谊", "工农", "振兴", "育才", "青年",
];
static STREET_TAILS: &[&str] = &["路", "路", "路", "街", "大街", "大道", "东路", "西路"];
static ESTATE_HEADS: &[&str] = &[
    "阳光", "锦绣", "幸福", "金色", "碧水", "翠湖", "御景", "书香", "和谐", "世纪", "东方", "紫荆",
    "丽景", "盛世", "鑫源", "滨江", "康乐", "怡和", "桂花", "润泽",
];
static ESTATE_TAILS: &[&str] = &[
    "花园", "家园", "华庭", "名苑", "嘉园", "新城", "雅居", "公馆", "佳苑", "丽都", "雅苑", "新村",
];
static COMPANY_WORDS: &[&str] = &[
    "宏达", "鑫源", "恒通", "华建", "宏远", "兴业", "永盛", "金鼎", "中昊", "润泽", "东升", "瑞丰",
    "鼎盛", "泰和", "昌盛", "嘉禾", "天成", "众诚", "佳和", "广厦", "顺达", "盛源", "隆鑫", "腾飞",
    "宏图", "亿丰", "聚鑫", "锦程", "利民", "三合",
];

// ---------------------------------------------------------------------------------------------
// Deadline benchmark data (`xinfang bench --deadlines`)

/// Fills a database with `count` petitions, each with one running deadline, by batched
/// multi-row inserts (the use cases would take hours for a million), then times the queries
/// behind the work queues and the daily scan. Figures go to docs/performance.md.
pub async fn deadline_bench(
    mut cfg: xinfang_app::context::Config,
    count: usize,
    requests: usize,
    reuse: bool,
) -> anyhow::Result<()> {
    use std::time::Instant;
    use xinfang_domain::calendar::OfficialCalendar;
    use xinfang_domain::deadline::{CountingMode, due_date};
    use xinfang_store::deadlines::QueueFilter;

    if cfg.database_url.is_none() {
        cfg.data_dir = cfg.data_dir.join(format!("bench-deadlines-{count}"));
        if !reuse && cfg.data_dir.exists() {
            std::fs::remove_dir_all(&cfg.data_dir)?;
        }
    }
    let store = xinfang_app::context::open_store(&cfg).await?;
    let today = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
    let bureau = match store.default_bureau().await? {
        Some(b) if reuse => b,
        Some(_) => anyhow::bail!("数据库已有数据：请使用新的数据库，或加 --reuse 重新测量"),
        None => {
            let clock = xinfang_app::clock::ManualClock::new(xinfang_app::clock::from_local(
                today.and_hms_opt(9, 0, 0).expect("time"),
            ));
            crate::cli::demo::create_bureau(&store, &clock, &cfg.password_policy).await?
        }
    };
    let units: Vec<String> = store
        .units(&bureau.id)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    let user = store
        .user_by_username("receptionist")
        .await?
        .ok_or_else(|| anyhow::anyhow!("receptionist"))?
        .id;
    if !reuse {
        let cal = OfficialCalendar::shipped();
        let first = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let days_span = (today - first).num_days() + 14;
        let t0 = Instant::now();
        let batch = 500;
        let mut i = 0usize;
        while i < count {
            let n = batch.min(count - i);
            let mut p_sql = String::from(
                "INSERT INTO petitions (id, bureau_id, petition_no, query_code, channel, stage, visited_at, registered_at, registered_on, registered_by, issue_region, summary, requests, proposal, visitor_count, people_involved, collective, anonymous, consent_to_publish, major_urgent, confidential, skip_level, out_of_district, repeat_reason, event_seq, updated_at) VALUES ",
            );
            let mut d_sql = String::from(
                "INSERT INTO deadlines (id, bureau_id, petition_id, unit_id, role, rule_code, rule_version, started_on, period_days, mode, due_on, extended_days, paused_days, state, expiry_handled_at, created_at, updated_at) VALUES ",
            );
            for k in 0..n {
                let idx = i + k;
                let pid = xinfang_store::new_id();
                let day = first + chrono::Duration::days((idx as i64 * days_span) / count as i64);
                let at = format!("{day}T02:00:00Z");
                let (rule, days, role, unit) = match idx % 10 {
                    0..=3 => (
                        "handle_and_close",
                        60,
                        "unit",
                        Some(&units[idx % units.len()]),
                    ),
                    4..=6 => (
                        "unit_notify_petitioner",
                        15,
                        "unit",
                        Some(&units[idx % units.len()]),
                    ),
                    7 | 8 => ("dispose_visit", 15, "office", None),
                    _ => (
                        "supervision_answer",
                        30,
                        "unit",
                        Some(&units[idx % units.len()]),
                    ),
                };
                let due = due_date(&cal, day, days, CountingMode::Calendar);
                // Earlier daily scans handled every expiry before yesterday's.
                let handled = if due < today - chrono::Duration::days(1) {
                    format!("'{at}'")
                } else {
                    "NULL".into()
                };
                if k > 0 {
                    p_sql.push(',');
                    d_sql.push(',');
                }
                p_sql.push_str(&format!(
                    "('{pid}', '{b}', 'B{y}-{idx:07}', 'Q{idx:07}', 'visit', 'transferred', '{at}', '{at}', '{day}', '{user}', '652302', '生成的信访事项', '', '', 1, 1, 0, 0, 0, 0, 0, 0, 0, '', 0, '{at}')",
                    b = bureau.id,
                    y = day.format("%Y"),
                ));
                d_sql.push_str(&format!(
                    "('{}', '{b}', '{pid}', {u}, '{role}', '{rule}', 1, '{day}', {days}, 'calendar', '{due}', 0, 0, 'running', {handled}, '{at}', '{at}')",
                    xinfang_store::new_id(),
                    b = bureau.id,
                    u = unit.map(|u| format!("'{u}'")).unwrap_or_else(|| "NULL".into()),
                ));
            }
            let mut tx = store.begin().await?;
            xinfang_store::sqlx::query(xinfang_store::sqlx::AssertSqlSafe(p_sql))
                .execute(&mut **tx)
                .await?;
            xinfang_store::sqlx::query(xinfang_store::sqlx::AssertSqlSafe(d_sql))
                .execute(&mut **tx)
                .await?;
            tx.commit().await?;
            i += n;
            if i.is_multiple_of(100_000) || i == count {
                println!(
                    "  已生成 {i} 件（{:.0} 件/秒）",
                    i as f64 / t0.elapsed().as_secs_f64()
                );
            }
        }
        // Fresh statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` would give.
        xinfang_store::sqlx::query("ANALYZE")
            .execute(store.pool())
            .await?;
        println!("生成 {count} 件用时 {:.1} 秒", t0.elapsed().as_secs_f64());
    }
    let soon_by = today + chrono::Duration::days(5);
    let renshe = store
        .unit_by_code(&bureau.id, "renshe")
        .await?
        .map(|u| u.id);
    let queries: Vec<(&str, QueueFilter)> = vec![
        (
            "due soon, office",
            QueueFilter {
                due_from: Some(today),
                due_by: Some(soon_by),
                role: Some("office".into()),
                unit_id: None,
                limit: 200,
            },
        ),
        (
            "due soon, all",
            QueueFilter {
                due_from: Some(today),
                due_by: Some(soon_by),
                role: None,
                unit_id: None,
                limit: 200,
            },
        ),
        (
            "due soon, one unit",
            QueueFilter {
                due_from: Some(today),
                due_by: Some(soon_by),
                role: None,
                unit_id: renshe.clone(),
                limit: 200,
            },
        ),
        (
            "overdue, one unit",
            QueueFilter {
                due_from: None,
                due_by: Some(today - chrono::Duration::days(1)),
                role: None,
                unit_id: renshe,
                limit: 200,
            },
        ),
    ];
    let rounds = requests.clamp(10, 1000);
    for (name, f) in &queries {
        let mut times = Vec::with_capacity(rounds);
        let mut rows = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            rows = store.deadline_queue(&bureau.id, f).await?.len();
            times.push(t.elapsed());
        }
        crate::cli::bench::report_pub(&format!("{name} ({rows} rows)"), times);
    }
    let mut times = Vec::with_capacity(rounds);
    let mut rows = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        rows = store
            .expired_unhandled_deadlines(&bureau.id, today, 500)
            .await?
            .len();
        times.push(t.elapsed());
    }
    crate::cli::bench::report_pub(&format!("daily scan batch ({rows} rows)"), times);
    store.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinfang_domain::catalog;
    use xinfang_domain::registration::parse_registration;
    use xinfang_domain::resident_id::{ResidentId, Sex};

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 27)
            .unwrap()
            .and_hms_opt(17, 0, 0)
            .unwrap()
    }

    fn chaoyang(seed: u64) -> Generator {
        Generator::new(GeneratorConfig {
            seed,
            bureau_region: "110105".to_string(),
            township_names: [
                "建外街道",
                "朝外街道",
                "呼家楼街道",
                "三里屯街道",
                "小关街道",
                "南磨房地区",
                "高碑店地区",
                "十八里店地区",
            ]
            .map(String::from)
            .to_vec(),
        })
    }

    /// `n` visits on working days before `now()`, half at a bare date, half at a fixed time.
    fn visits(g: &mut Generator, n: usize) -> Vec<RegistrationInput> {
        let first = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        (0..n)
            .map(|i| {
                let day = first + Duration::days((i % 320) as i64);
                let at = if i % 2 == 0 {
                    day.and_hms_opt(0, 0, 0).unwrap()
                } else {
                    day.and_hms_opt(10, 15, 0).unwrap()
                };
                g.visit(at)
            })
            .collect()
    }

    #[test]
    fn thousand_generated_visits_all_pass_parse_registration() {
        let mut g = chaoyang(7);
        let opens = NaiveTime::from_hms_opt(8, 30, 0).unwrap();
        let closes = NaiveTime::from_hms_opt(17, 30, 0).unwrap();
        for (i, input) in visits(&mut g, 1000).into_iter().enumerate() {
            let reg = parse_registration(&input, now())
                .unwrap_or_else(|e| panic!("visit {i} refused: {e:?}\n{input:#?}"));
            assert_eq!(reg.issue_region, "110105");
            assert_eq!(reg.channel.as_str(), "visit");
            let t = reg.visited_at.time();
            assert!((opens..=closes).contains(&t), "visit {i} at {t}");
            assert!(reg.purpose.is_some() && reg.category.is_some());
            assert!(reg.petition_class.is_some());
            assert!(!reg.summary.contains('{') && !reg.summary.contains('}'));
            assert!(!reg.requests.contains('{') && !reg.proposal.contains('{'));
            for p in &reg.petitioners {
                let birth = p.birth_date.unwrap();
                assert!((1940..=2004).contains(&birth.year()), "{birth}");
                assert!(p.ethnicity.is_some() && !p.address.is_empty());
                assert!(!p.occupation.is_empty());
            }
        }
    }

    #[test]
    fn same_seed_gives_identical_visits_and_another_seed_differs() {
        let a = visits(&mut chaoyang(42), 200);
        let b = visits(&mut chaoyang(42), 200);
        let c = visits(&mut chaoyang(43), 200);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_ne!(format!("{a:?}"), format!("{c:?}"));
        let mut g1 = chaoyang(9);
        let mut g2 = chaoyang(9);
        for _ in 0..50 {
            assert_eq!(g1.chinese_name(), g2.chinese_name());
            assert_eq!(
                format!("{:?}", g1.petitioner()),
                format!("{:?}", g2.petitioner())
            );
        }
    }

    #[test]
    fn collective_share_is_between_two_and_ten_percent_with_one_to_five_representatives() {
        let all = visits(&mut chaoyang(3), 1000);
        let mut collective = 0;
        for input in &all {
            let count = input.visitor_count.unwrap();
            let reps = input
                .petitioners
                .iter()
                .filter(|p| p.is_representative)
                .count();
            if count >= 5 {
                collective += 1;
                assert!((5..=40).contains(&count));
                assert!((1..=5).contains(&input.petitioners.len()));
                assert_eq!(reps, input.petitioners.len());
                assert!(input.people_involved.unwrap() >= count);
                assert!(input.summary.contains("集体来访"), "{}", input.summary);
            } else {
                assert_eq!(reps, 0);
                assert_eq!(input.petitioners.len() as i64, count);
            }
        }
        assert!((20..=100).contains(&collective), "{collective} collective");
    }

    #[test]
    fn chinese_names_are_two_or_three_characters_with_common_surnames_most_frequent() {
        let mut g = chaoyang(11);
        let names: Vec<String> = (0..10_000).map(|_| g.chinese_name()).collect();
        for n in &names {
            assert!((2..=3).contains(&n.chars().count()), "{n}");
        }
        let big_five = names
            .iter()
            .filter(|n| {
                ["王", "李", "张", "刘", "陈"]
                    .iter()
                    .any(|s| n.starts_with(s))
            })
            .count();
        assert!((2_400..=3_700).contains(&big_five), "{big_five}");
        let distinct: std::collections::BTreeSet<char> =
            names.iter().filter_map(|n| n.chars().next()).collect();
        assert!(distinct.len() > 150, "{} surnames", distinct.len());
        let mut listed: Vec<&str> = SURNAMES
            .iter()
            .map(|(s, _)| *s)
            .chain(SURNAME_TAIL.iter().copied())
            .collect();
        let total = listed.len();
        listed.sort_unstable();
        listed.dedup();
        assert_eq!(listed.len(), total, "a surname is listed twice");
    }

    #[test]
    fn petitioners_have_checksummed_ids_with_sex_parity_and_mobile_phones() {
        let mut g = chaoyang(5);
        let today = now().date();
        let mut han = 0;
        for _ in 0..1000 {
            let p = g.petitioner();
            assert!(!p.is_representative);
            let id = ResidentId::parse(&p.id_number, today).unwrap();
            assert!((1940..=2004).contains(&id.birth_date().year()));
            let parity = p.id_number.as_bytes()[16] - b'0';
            assert_eq!(id.sex() == Sex::Male, parity % 2 == 1);
            assert!(region::lookup(id.address_code()).is_some());
            assert_eq!(p.phone.len(), 11);
            assert!(["13", "15", "18"].contains(&&p.phone[..2]), "{}", p.phone);
            assert!(p.phone.bytes().all(|b| b.is_ascii_digit()));
            assert!(xinfang_domain::ethnicity::name(&p.ethnicity).is_some());
            if p.ethnicity == "01" {
                han += 1;
            }
        }
        assert!(han > 850, "{han} 汉族 of 1000");
    }

    #[test]
    fn every_template_expands_fully_with_known_codes_and_within_limits() {
        let mut g = chaoyang(1);
        for (i, t) in TEMPLATES.iter().enumerate() {
            assert!(
                catalog::label(catalog::CATEGORIES, t.category).is_some(),
                "{i}"
            );
            assert!(
                catalog::label(catalog::PURPOSES, t.purpose).is_some(),
                "{i}"
            );
            let class = class_of(t.purpose);
            assert!(catalog::label(catalog::PETITION_CLASSES, class).is_some());
            assert_eq!(t.collective, t.summary.starts_with("{who}"), "template {i}");
            for _ in 0..20 {
                let mut scene = Scene {
                    date: now().date(),
                    values: HashMap::new(),
                };
                for (k, v) in [
                    ("who", "来访人"),
                    ("they", "其"),
                    ("their", "其"),
                    ("wages", "38600元"),
                    ("plots", "2.5亩"),
                    ("floor_area", "建筑面积96平方米"),
                    ("town", "建外街道"),
                    ("town_short", "建外"),
                    ("town_gov", "建外街道办事处"),
                    ("county", "朝阳区"),
                    ("county_short", "朝阳"),
                ] {
                    scene.values.insert(k.to_string(), v.to_string());
                }
                let handler = g.expand(t.handler, &mut scene);
                scene.values.insert("handler".to_string(), handler);
                let proposal = g.proposal(t, t.collective);
                for text in [t.summary, t.requests, t.handler, proposal] {
                    let out = g.expand(text, &mut scene);
                    assert!(!out.contains('{') && !out.contains('}'), "{i}: {out}");
                    assert!(out.chars().count() <= 2000, "{i}: {out}");
                }
            }
        }
        assert!(TEMPLATES.len() >= 30);
    }

    #[test]
    fn prefecture_bureau_spreads_issue_regions_over_its_counties() {
        let mut g = Generator::new(GeneratorConfig {
            seed: 2,
            bureau_region: "130100".to_string(),
            township_names: vec![],
        });
        let mut regions = std::collections::BTreeSet::new();
        for input in visits(&mut g, 300) {
            let reg = parse_registration(&input, now()).unwrap();
            assert!(reg.issue_region.starts_with("1301"), "{}", reg.issue_region);
            regions.insert(reg.issue_region);
        }
        assert!(regions.len() >= 10, "{regions:?}");
    }

    #[test]
    fn xinjiang_bureau_gives_uyghur_and_kazakh_petitioners_their_own_names() {
        let mut g = Generator::new(GeneratorConfig {
            seed: 12,
            bureau_region: "652302".to_string(),
            township_names: vec!["城关镇".to_string(), "甘河子镇".to_string()],
        });
        let mut dotted = 0;
        for input in visits(&mut g, 300) {
            let reg = parse_registration(&input, now()).unwrap();
            assert_eq!(reg.issue_region, "652302");
            for p in &reg.petitioners {
                let ethnicity = p.ethnicity.as_deref().unwrap();
                let has_dot = p.name.contains('·');
                assert_eq!(
                    has_dot,
                    ["05", "17"].contains(&ethnicity),
                    "{} {ethnicity}",
                    p.name
                );
                dotted += usize::from(has_dot);
            }
        }
        assert!(dotted > 10, "{dotted}");
    }

    #[test]
    fn unknown_bureau_region_falls_back_to_valid_counties_nationwide() {
        let mut g = Generator::new(GeneratorConfig {
            seed: 4,
            bureau_region: "999999".to_string(),
            township_names: vec!["  ".to_string()],
        });
        for input in visits(&mut g, 100) {
            assert!(parse_registration(&input, now()).is_ok());
        }
    }

    #[test]
    fn visit_keeps_an_office_hours_time_draws_one_for_a_bare_date_and_never_goes_past_at() {
        let mut g = chaoyang(8);
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let input = g.visit(day.and_hms_opt(9, 41, 37).unwrap());
        assert_eq!(input.visited_at, "2026-03-02T09:41");
        for _ in 0..200 {
            let input = g.visit(day.and_hms_opt(0, 0, 0).unwrap());
            let t = NaiveDateTime::parse_from_str(&input.visited_at, "%Y-%m-%dT%H:%M").unwrap();
            assert_eq!(t.date(), day);
            let hm = (t.hour(), t.minute());
            assert!(((8, 30)..=(17, 30)).contains(&hm), "{hm:?}");
        }
        // Given the current time, never a visit in the future.
        let input = g.visit(day.and_hms_opt(7, 5, 59).unwrap());
        assert_eq!(input.visited_at, "2026-03-02T07:05");
        let evening = day.and_hms_opt(21, 40, 0).unwrap();
        for _ in 0..200 {
            let input = g.visit(evening);
            let t = NaiveDateTime::parse_from_str(&input.visited_at, "%Y-%m-%dT%H:%M").unwrap();
            assert_eq!(t.date(), day);
            assert!(t <= evening && t.time() >= NaiveTime::from_hms_opt(8, 30, 0).unwrap());
            assert!(parse_registration(&input, evening).is_ok());
        }
    }

    #[test]
    fn addresses_and_matters_use_the_configured_township_names() {
        let towns = [
            "建外街道",
            "朝外街道",
            "呼家楼街道",
            "三里屯街道",
            "小关街道",
            "南磨房地区",
            "高碑店地区",
            "十八里店地区",
        ];
        let mut g = chaoyang(6);
        let all = visits(&mut g, 500);
        let local_addresses = all
            .iter()
            .flat_map(|v| &v.petitioners)
            .filter(|p| towns.iter().any(|t| p.address.starts_with(t)))
            .count();
        let petitioners = all.iter().map(|v| v.petitioners.len()).sum::<usize>();
        assert!(
            local_addresses * 10 >= petitioners * 7,
            "{local_addresses}/{petitioners}"
        );
        let mentioning = all
            .iter()
            .filter(|v| towns.iter().any(|t| v.summary.contains(t)))
            .count();
        assert!(
            mentioning >= 250,
            "{mentioning} of 500 summaries name a township"
        );
        let categories: std::collections::BTreeSet<&str> =
            all.iter().map(|v| v.category.as_str()).collect();
        assert!(categories.len() >= 20, "{categories:?}");
    }
}
