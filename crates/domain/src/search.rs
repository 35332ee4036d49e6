//! A search as typed: words that must all match, "quoted phrases", and -excluded words; and the
//! part of the bureau's petitions a viewer's search may reach, and at what level (rules §14), in
//! terms a query can state.

use crate::error::FieldError;
use crate::role::Role;
use crate::visibility::Viewer;

/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most words, phrases and exclusions in one query.
pub const MAX_QUERY_PARTS: usize = 16;

/// A parsed query. Empty when nothing was typed: the filters alone decide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextQuery {
    /// Each must occur (in any field the viewer may search).
    pub words: Vec<String>,
    /// Each must occur as written.
    pub phrases: Vec<String>,
    /// None may occur.
    pub excluded: Vec<String>,
}

impl TextQuery {
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phrases.is_empty() && self.excluded.is_empty()
    }

    /// Everything the viewer asked to find, for highlighting.
    pub fn wanted(&self) -> impl Iterator<Item = &String> {
        self.words.iter().chain(&self.phrases)
    }
}

/// Parses what was typed into the search box: words split at spaces (ASCII or ideographic),
/// `"…"` or `“…”` a phrase (an unclosed quote runs to the end), a leading `-` or `－` excludes
/// the word or phrase after it.
pub fn parse_query(field: &str, text: &str) -> Result<TextQuery, FieldError> {
    let text = text.trim();
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("查询内容不能超过 {MAX_QUERY_CHARS} 个字"),
        ));
    }
    let mut q = TextQuery::default();
    let mut chars = text.chars().peekable();
    let mut parts = 0usize;
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let negated = matches!(first, '-' | '－');
        if negated {
            chars.next();
        }
        let quoted = matches!(chars.peek(), Some('"' | '“' | '”'));
        let mut part = String::new();
        if quoted {
            chars.next();
            for c in chars.by_ref() {
                if matches!(c, '"' | '“' | '”') {
                    break;
                }
                part.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                part.push(c);
                chars.next();
            }
        }
        let part = part.trim().to_string();
        if part.is_empty() {
            continue;
        }
        parts += 1;
        if parts > MAX_QUERY_PARTS {
            return Err(FieldError::new(
                field,
                "too_many_terms",
                format!("查询最多 {MAX_QUERY_PARTS} 个词"),
            ));
        }
        let list = match (negated, quoted) {
            (true, _) => &mut q.excluded,
            (false, true) => &mut q.phrases,
            (false, false) => &mut q.words,
        };
        if !list.contains(&part) {
            list.push(part);
        }
    }
    if q.words.is_empty() && q.phrases.is_empty() && !q.excluded.is_empty() {
        return Err(FieldError::new(
            field,
            "nothing_to_find",
            "请至少输入一个要查找的词（“-”只能排除词）",
        ));
    }
    Ok(q)
}

/// What a viewer's search may reach. Each row it reaches is matched at one of three levels: by
/// everything it holds (the matter, the course, and who raised it), by the matter only (a unit
/// handling an accusation against itself), or by its number only (a confidential petition the
/// viewer may not open). Recused petitions are never reached. The same decision as
/// [`crate::visibility::access`], stated for a query: `agrees_with_access` tests it so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchScope {
    /// The leaders: everything, fully.
    Everything,
    /// Bureau staff: everything; a confidential petition fully only when assigned to this user,
    /// else by its number.
    Staff { user_id: String },
    /// A unit's staff: the petitions with a handling record for the unit; an accusation
    /// against the unit by its matter only.
    Unit { unit_id: String },
}

/// The viewer's search scope; `None` for roles that read no petition (the administrators) and
/// for unit staff without a unit.
pub fn search_scope(viewer: &Viewer<'_>) -> Option<SearchScope> {
    if viewer.role.is_administrator() {
        return None;
    }
    if viewer.role.is_unit_staff() {
        return viewer.unit_id.map(|u| SearchScope::Unit {
            unit_id: u.to_string(),
        });
    }
    if viewer.role.is_leader() {
        return Some(SearchScope::Everything);
    }
    Some(SearchScope::Staff {
        user_id: viewer.user_id.to_string(),
    })
}

/// How a search scope reaches one petition; `None`: not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchLevel {
    Full,
    Matter,
    Number,
}

/// The level at which `scope` reaches a petition with these facts (recusal aside, which the
/// query applies to every scope alike).
pub fn match_level(
    scope: &SearchScope,
    facts: &crate::visibility::PetitionFacts<'_>,
) -> Option<MatchLevel> {
    match scope {
        SearchScope::Everything => Some(MatchLevel::Full),
        SearchScope::Staff { user_id } => Some(
            if !facts.confidential || facts.assigned_staff.contains(&user_id.as_str()) {
                MatchLevel::Full
            } else {
                MatchLevel::Number
            },
        ),
        SearchScope::Unit { unit_id } => {
            if !facts.handling_units.contains(&unit_id.as_str()) {
                None
            } else if facts.accused_unit_id == Some(unit_id.as_str()) {
                Some(MatchLevel::Matter)
            } else {
                Some(MatchLevel::Full)
            }
        }
    }
}

/// Roles whose searches reach petitions at all.
pub fn may_search(role: Role) -> bool {
    !role.is_administrator()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visibility::{Access, PetitionFacts, access};
    use proptest::prelude::*;

    #[test]
    fn words_phrases_and_exclusions() {
        let q = parse_query(
            "q",
            "  拖欠工资 \"城关镇 幸福小区\" -物业费　低保 “宅基地纠纷” －噪音 ",
        )
        .unwrap();
        assert_eq!(q.words, vec!["拖欠工资", "低保"]);
        assert_eq!(q.phrases, vec!["城关镇 幸福小区", "宅基地纠纷"]);
        assert_eq!(q.excluded, vec!["物业费", "噪音"]);
        assert_eq!(
            parse_query("q", "\"没有结束").unwrap().phrases,
            vec!["没有结束"]
        );
        assert!(parse_query("q", "   ").unwrap().is_empty());
        assert_eq!(parse_query("q", "工资 工资").unwrap().words, vec!["工资"]);
    }

    #[test]
    fn a_query_of_exclusions_only_or_too_long_is_refused_with_its_field() {
        let e = parse_query("q", "-物业费").unwrap_err();
        assert_eq!((e.field.as_deref(), e.code), (Some("q"), "nothing_to_find"));
        let e = parse_query("q", &"字".repeat(201)).unwrap_err();
        assert_eq!(e.code, "too_long");
        let many: Vec<String> = (0..17).map(|i| format!("词{i}")).collect();
        assert_eq!(
            parse_query("q", &many.join(" ")).unwrap_err().code,
            "too_many_terms"
        );
    }

    fn role_strategy() -> impl Strategy<Value = Role> {
        proptest::sample::select(Role::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn parsing_never_panics(s in "\\PC{0,220}") {
            let _ = parse_query("q", &s);
        }

        /// The scope reaches a petition at the level the gate lists it at: fully where the gate
        /// opens it fully, by the matter where it opens it without identity, by the number where
        /// it lists a confidential petition it may not open, and not at all where it lists none.
        #[test]
        fn agrees_with_access(
            role in role_strategy(),
            confidential: bool,
            assigned: bool,
            handled_by_viewer_unit: bool,
            accused_is_viewer_unit: bool,
        ) {
            let viewer = Viewer { user_id: "me", role, unit_id: role.is_unit_staff().then_some("u1") };
            let facts = PetitionFacts {
                confidential,
                assigned_staff: if assigned { vec!["me"] } else { vec!["other"] },
                handling_units: if handled_by_viewer_unit { vec!["u1"] } else { vec!["u2"] },
                accused_unit_id: Some(if accused_is_viewer_unit { "u1" } else { "u3" }),
                viewer_recused: false,
            };
            let expected = match access(&viewer, &facts) {
                Access::Full => Some(MatchLevel::Full),
                Access::WithoutIdentity => Some(MatchLevel::Matter),
                Access::Denied if confidential && !role.is_unit_staff() && !role.is_administrator() => Some(MatchLevel::Number),
                Access::Denied => None,
            };
            let got = search_scope(&viewer).and_then(|s| match_level(&s, &facts));
            prop_assert_eq!(got, expected);
        }
    }
}
