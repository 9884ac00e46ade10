//! Checks of `plan.yaml`: ids, dialling, time zones, territories, rules, documents, uses,
//! context keys, conditions and the plan-wide requirements.

use super::{Builder, MAX_REQUIREMENTS, MAX_USES, MAX_WHEN, Validator, doubt, help_for, suggest};
use crate::diag::{Code, Diagnostic};
use crate::load::{self, S};
use crate::plan::{Check, Condition, ContextKey, Document, Requirement, RuleDef, Territory, Use, Verdict};
use crate::span::FileId;

impl Validator<'_> {
    pub(super) fn manifest(&mut self, b: &mut Builder, file: FileId, m: &load::RawManifest) {
        self.slug(file, &m.id, "plan");
        for (s, what) in [
            (&m.dialling.national_prefix, "national"),
            (&m.dialling.international_prefix, "international"),
        ] {
            let ok = !s.value.is_empty() && s.value.len() <= 4 && s.value.bytes().all(|c| c.is_ascii_digit());
            if ok {
                if what == "national" {
                    b.national_prefix = s.value.clone();
                } else {
                    b.international_prefix = s.value.clone();
                }
            } else {
                let d = Diagnostic::error(
                    Code::BadValue,
                    self.span(file, s),
                    format!("the {what} prefix `{}` is not 1 to 4 digits", s.value),
                )
                .with_label("expected digits")
                .with_help("write 1 to 4 digits, quoted so YAML keeps leading zeros: `\"0\"`, `\"00\"`");
                self.error(d);
            }
        }
        b.national_prefix_in_numbers = m
            .dialling
            .national_prefix_in_numbers
            .as_ref()
            .is_none_or(|v| v.value);
        let d = &m.dialling;
        if !d.national_prefix.value.is_empty() && d.national_prefix.value == d.international_prefix.value {
            let diag = Diagnostic::error(
                Code::BadValue,
                self.span(file, &d.international_prefix),
                format!(
                    "the international prefix is the national prefix `{}`",
                    d.international_prefix.value
                ),
            )
            .with_label("the same digits")
            .with_secondary(self.span(file, &d.national_prefix), "the national prefix")
            .with_help("numbers dialled after one could not be told from those dialled after the other");
            self.error(diag);
        }
        self.time_zone(file, &m.time_zone);
        for t in &m.territories {
            let span = self.span(file, &t.id);
            if !self.new_id(&mut b.territories, file, &t.id) {
                continue;
            }
            let cc = match &t.country_code {
                Some(c) if (1..=999).contains(&c.value) => u16::try_from(c.value).ok(),
                Some(c) => {
                    let d = Diagnostic::error(
                        Code::BadValue,
                        self.span(file, c),
                        format!("{} is not an E.164 country code", c.value),
                    )
                    .with_label("expected 1 to 999")
                    .with_help("country codes have 1 to 3 digits, e.g. 33 or 262");
                    self.error(d);
                    None
                }
                None => {
                    if t.doubt.is_none() {
                        let d = Diagnostic::error(
                            Code::BadValue,
                            span,
                            format!("territory `{}` has no country code and no `doubt`", t.id.value),
                        )
                        .with_label("no country code")
                        .with_help(
                            "give its `country_code`, or say in `doubt:` why the sources do not give it",
                        );
                        self.error(d);
                    }
                    None
                }
            };
            if let Some(tz) = &t.time_zone {
                self.time_zone(file, tz);
            }
            let foreign = t.foreign.as_ref().is_some_and(|f| f.value);
            if foreign && t.country_code.is_none() {
                let d = Diagnostic::error(
                    Code::BadValue,
                    span,
                    format!("territory `{}` is foreign but has no country code", t.id.value),
                )
                .with_label("foreign, without a country code")
                .with_help("a foreign territory holds the numbers of another plan that shares a country code: give that `country_code`");
                self.error(d);
            }
            let idx = b.territories.len();
            for n in &t.register_names {
                let nspan = self.span(file, n);
                if let Some((_, first)) = b.register_names.get(&n.value) {
                    let first = *first;
                    self.duplicate(Code::DuplicateId, nspan, first, "register name", &n.value);
                } else {
                    b.register_names.insert(n.value.clone(), (idx, nspan));
                }
            }
            b.territories.push(
                Territory {
                    id: t.id.value.clone(),
                    name: t.name.value.clone(),
                    country_code: cc,
                    time_zone: t
                        .time_zone
                        .as_ref()
                        .map_or_else(|| m.time_zone.value.clone(), |z| z.value.clone()),
                    register_names: t.register_names.iter().map(|n| n.value.clone()).collect(),
                    includes: Vec::new(),
                    foreign,
                    doubt: doubt(&t.doubt),
                    source: self.source_ref(file, &t.id),
                },
                span,
            );
        }
        // `includes` may name territories defined after it.
        for t in &m.territories {
            let Some(idx) = b.territories.index(&t.id.value) else {
                continue;
            };
            let mut includes = Vec::new();
            for name in &t.includes {
                let nspan = self.span(file, name);
                let Some(i) = self.reference(&b.territories, &name.value, nspan) else {
                    continue;
                };
                if i == idx {
                    let d = Diagnostic::error(Code::BadValue, nspan, format!("territory `{}` includes itself", t.id.value))
                        .with_label("itself")
                        .with_help("`includes` names the other territories whose register rows may lie in this territory's ranges");
                    self.error(d);
                } else if !includes.contains(&i) {
                    includes.push(i);
                }
            }
            if let Some(item) = b.territories.get_mut(idx) {
                item.includes = includes;
            }
        }
        for r in &m.rules {
            let span = self.span(file, &r.id);
            if !self.new_id(&mut b.rules, file, &r.id) {
                continue;
            }
            let owner = format!("rule `{}`", r.id.value);
            let values = self.value_list(file, &r.values, (&owner, span), "values: [allowed, forbidden]");
            b.rules.push(
                RuleDef {
                    id: r.id.value.clone(),
                    description: r.description.value.clone(),
                    values,
                },
                span,
            );
        }
        for doc in &m.documents {
            let span = self.span(file, &doc.id);
            if !self.new_id(&mut b.documents, file, &doc.id) {
                continue;
            }
            let Some(date) = self.date(file, &doc.date) else {
                b.documents.mark_broken(&doc.id.value);
                continue;
            };
            b.documents.push(
                Document {
                    id: doc.id.value.clone(),
                    title: doc.title.value.clone(),
                    date,
                    url: doc.url.as_ref().map(|u| u.value.clone()),
                    doubt: doubt(&doc.doubt),
                    source: self.source_ref(file, &doc.id),
                },
                span,
            );
        }
        self.uses(b, file, m);
        self.context(b, file, m);
        for c in &m.conditions {
            self.condition(b, file, c);
        }
    }

    /// The uses: slugs, unique among uses and rules (outputs put both side by side), at most
    /// [`MAX_USES`].
    pub(super) fn uses(&mut self, b: &mut Builder, file: FileId, m: &load::RawManifest) {
        for u in &m.uses {
            let span = self.span(file, &u.id);
            if !self.new_id(&mut b.uses, file, &u.id) {
                continue;
            }
            if let Some(i) = b.rules.index(&u.id.value) {
                let d = Diagnostic::error(
                    Code::DuplicateId,
                    span,
                    format!("`{}` is both a rule and a use", u.id.value),
                )
                .with_label("declared as a use here")
                .with_secondary(b.rules.span(i), "and as a rule here")
                .with_help("rules and uses share one namespace in answers; rename one of them");
                self.error(d);
                b.uses.mark_broken(&u.id.value);
                continue;
            }
            if b.uses.len() == MAX_USES {
                let d = Diagnostic::error(
                    Code::BadValue,
                    span,
                    format!("a plan may declare at most {MAX_USES} uses"),
                )
                .with_label("one use too many")
                .with_help("merge uses that are always judged alike");
                self.error(d);
                b.uses.mark_broken(&u.id.value);
                continue;
            }
            b.uses.push(
                Use {
                    id: u.id.value.clone(),
                    name: u.name.value.clone(),
                    description: u.description.as_ref().map(|d| d.value.clone()),
                },
                span,
            );
        }
    }

    /// The context keys and their values.
    pub(super) fn context(&mut self, b: &mut Builder, file: FileId, m: &load::RawManifest) {
        for k in &m.context {
            let span = self.span(file, &k.id);
            if !self.new_id(&mut b.context, file, &k.id) {
                continue;
            }
            let owner = format!("context key `{}`", k.id.value);
            let values = self.value_list(file, &k.values, (&owner, span), "values: [\"yes\", \"no\"]");
            b.context.push(
                ContextKey {
                    id: k.id.value.clone(),
                    description: k.description.value.clone(),
                    values,
                },
                span,
            );
        }
    }

    /// A condition: its `when` context, what it decides, and what it leaves when unsettled.
    pub(super) fn condition(&mut self, b: &mut Builder, file: FileId, c: &load::RawCondition) {
        let span = self.span(file, &c.id);
        if !self.new_id(&mut b.conditions, file, &c.id) {
            return;
        }
        let basis = match &c.basis {
            Some(s) => match self.basis(b, file, s) {
                Some(basis) => Some(basis),
                None => {
                    b.conditions.mark_broken(&c.id.value);
                    return;
                }
            },
            None => None,
        };
        let when = self.when(b, file, &c.when);
        let then = match Verdict::parse(&c.then.value) {
            Some(v @ (Verdict::Allowed | Verdict::Forbidden)) => Some(v),
            _ => {
                self.bad_word(file, &c.then, "`then`", &["allowed", "forbidden"]);
                None
            }
        };
        let unsettled = match c.unsettled.as_ref().map(|u| u.value.as_str()) {
            None | Some("unchanged") => Some(false),
            Some("conditional") => Some(true),
            Some(_) => {
                let u = c.unsettled.as_ref().expect("matched Some above");
                self.bad_word(file, u, "`unsettled`", &["unchanged", "conditional"]);
                None
            }
        };
        let (Some(when), Some(then), Some(unsettled_conditional)) = (when, then, unsettled) else {
            b.conditions.mark_broken(&c.id.value);
            return;
        };
        b.conditions.push(
            Condition {
                id: c.id.value.clone(),
                text: c.text.value.clone(),
                basis,
                when,
                then,
                unsettled_conditional,
                doubt: doubt(&c.doubt),
                source: self.source_ref(file, &c.id),
            },
            span,
        );
    }

    /// A condition's `when`: `key=value` pairs separated by commas, each a declared context key
    /// and one of its values.
    pub(super) fn when(&mut self, b: &Builder, file: FileId, s: &S<String>) -> Option<Vec<(usize, usize)>> {
        let mut pairs = Vec::new();
        let mut offset = 0;
        let mut ok = true;
        for part in s.value.split(',') {
            let lead = part.len() - part.trim_start().len();
            let item = part.trim();
            let at = offset + lead;
            offset += part.len() + 1;
            let Some((key, value)) = item.split_once('=') else {
                let d = Diagnostic::error(
                    Code::UnknownContext,
                    self.value_sub_span(file, s, at, item.len()),
                    format!("`{item}` is not `key=value`"),
                )
                .with_label("expected `key=value`")
                .with_help("write the context that decides, e.g. `when: roaming=yes, verified=no`");
                self.error(d);
                ok = false;
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            let key_span = self.value_sub_span(file, s, at, key.len());
            let Some(k) = self.reference(&b.context, key, key_span) else {
                ok = false;
                continue;
            };
            let Some(v) = b.context[k].values.iter().position(|x| x == value) else {
                let help = help_for(
                    value,
                    ("value", "values"),
                    b.context[k].values.iter().map(String::as_str),
                );
                let after_eq = item.find('=').map_or(0, |i| i + 1);
                let voff = at + after_eq + (item[after_eq..].len() - item[after_eq..].trim_start().len());
                let d = Diagnostic::error(
                    Code::UnknownContext,
                    self.value_sub_span(file, s, voff, value.len()),
                    format!("`{value}` is not a value of context key `{key}`"),
                )
                .with_label("unknown value")
                .with_secondary(b.context.span(k), "the key is declared here")
                .with_help(help);
                self.error(d);
                ok = false;
                continue;
            };
            if pairs.iter().any(|&(pk, _)| pk == k) {
                let d = Diagnostic::error(
                    Code::UnknownContext,
                    self.value_sub_span(file, s, at, item.len()),
                    format!("context key `{key}` is given twice"),
                )
                .with_label("again here")
                .with_help("a condition gives each key one value");
                self.error(d);
                ok = false;
                continue;
            }
            pairs.push((k, v));
        }
        if pairs.len() > MAX_WHEN {
            let d = Diagnostic::error(
                Code::UnknownContext,
                self.span(file, s),
                format!("a condition decides on at most {MAX_WHEN} context keys"),
            )
            .with_label("too many pairs")
            .with_help("split the condition in two");
            self.error(d);
            return None;
        }
        ok.then_some(pairs)
    }

    pub(super) fn time_zone(&mut self, file: FileId, s: &S<String>) {
        let v = &s.value;
        let ok = v == "UTC"
            || (v.contains('/')
                && v.split('/').all(|p| {
                    !p.is_empty()
                        && p.bytes()
                            .all(|c| c.is_ascii_alphanumeric() || b"_-+".contains(&c))
                }));
        if !ok {
            let d = Diagnostic::error(
                Code::BadValue,
                self.span(file, s),
                format!("`{v}` is not an IANA time zone name"),
            )
            .with_label("expected Area/Location")
            .with_help("use a tz database name such as `Europe/Paris` or `Indian/Reunion`");
            self.error(d);
            return;
        }
        // Shaped like a name: it must also be one that answers can be given in (the bundled
        // tzdb, the one `query` uses for "today").
        if let Err(closest) = tz_database_name(v) {
            let help = match closest {
                Some(name) => format!("did you mean `{name}`?"),
                None => {
                    "use a name of the IANA tz database, e.g. `Europe/Paris` or `Indian/Reunion`".to_string()
                }
            };
            let d = Diagnostic::error(
                Code::UnknownTimeZone,
                self.span(file, s),
                format!("`{v}` is not a time zone of the IANA tz database"),
            )
            .with_label("unknown time zone")
            .with_help(help);
            self.error(d);
        }
    }

    /// The plan-wide requirements (after the categories, which they may name).
    pub(super) fn requirements(
        &mut self,
        b: &mut Builder,
        file: FileId,
        m: &load::RawManifest,
        missing: load::Missing,
    ) {
        if let Some(r) = m.requirements.get(MAX_REQUIREMENTS) {
            let at = r.check.as_ref().or(r.condition.as_ref()).unwrap_or(&r.basis);
            let d = Diagnostic::error(
                Code::BadValue,
                self.span(file, at),
                format!("a plan has at most {MAX_REQUIREMENTS} requirements"),
            )
            .with_label("one too many")
            .with_help("requirements apply across categories: merge those that say the same");
            self.error(d);
        }
        for r in &m.requirements {
            let check = match (&r.check, &r.condition) {
                (Some(c), None) => match c.value.as_str() {
                    "valid" => Some(Check::Valid),
                    "allocated" if m.files.register.is_none() => {
                        let d = Diagnostic::error(
                            Code::BadValue,
                            self.span(file, c),
                            "`check: allocated` needs a register, and the plan has none",
                        )
                        .with_label("no register to check against")
                        .with_help("name the register files in `files.register`, or drop this requirement");
                        self.error(d);
                        None
                    }
                    "allocated" => Some(Check::Allocated),
                    _ => {
                        self.bad_word(file, c, "`check`", &["valid", "allocated"]);
                        None
                    }
                },
                (None, Some(name)) => self.condition_ref(b, file, name).map(Check::Condition),
                _ => {
                    let at = r.condition.as_ref().or(r.check.as_ref()).unwrap_or(&r.basis);
                    let d = Diagnostic::error(
                        Code::BadValue,
                        self.span(file, at),
                        "a requirement has either `check` or `condition`, not both or neither",
                    )
                    .with_label("here")
                    .with_help("write `check: valid`, `check: allocated`, or `condition: <id>`");
                    self.error(d);
                    None
                }
            };
            let uses = match &r.uses {
                Some(list) => self.use_list(b, file, list),
                None => Some((0..b.uses.len()).collect()),
            };
            let categories = match &r.categories {
                None => Some(None),
                Some(list) => {
                    let mut out = Some(Vec::new());
                    for c in &list.value {
                        // Without every categories file, the category may well exist.
                        let found = if missing.categories {
                            b.categories.index(&c.value)
                        } else {
                            self.reference(&b.categories, &c.value, self.span(file, c))
                        };
                        match found {
                            Some(i) => {
                                if let Some(o) = out.as_mut() {
                                    o.push(i);
                                }
                            }
                            None => out = None,
                        }
                    }
                    out.map(Some)
                }
            };
            let period = self.period(file, &r.from, &r.until);
            let basis = self.basis(b, file, &r.basis);
            let (Some(check), Some(uses), Some(categories), Some(period), Some(basis)) =
                (check, uses, categories, period, basis)
            else {
                continue;
            };
            let at = r.check.as_ref().or(r.condition.as_ref()).unwrap_or(&r.basis);
            b.requirements.push(Requirement {
                check,
                uses,
                categories,
                period,
                basis,
                doubt: doubt(&r.doubt),
                source: self.source_ref(file, at),
            });
        }
    }
}

/// Whether `name` is a time zone of the bundled tz database (the one answers use); if not, the
/// closest name when one is near.
fn tz_database_name(name: &str) -> Result<(), Option<String>> {
    if jiff::tz::TimeZone::get(name).is_ok() {
        return Ok(());
    }
    let db = jiff::tz::db();
    let names: Vec<_> = db.available().collect();
    Err(suggest(name, names.iter().map(|n| n.as_str())).map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::tz_database_name;

    #[test]
    fn time_zones_are_looked_up_in_the_tz_database() {
        for known in [
            "Europe/Paris",
            "Indian/Reunion",
            "UTC",
            "America/Argentina/Buenos_Aires",
        ] {
            assert_eq!(tz_database_name(known), Ok(()), "{known}");
        }
        assert_eq!(
            tz_database_name("Indian/Reunoin"),
            Err(Some("Indian/Reunion".to_string()))
        );
        assert_eq!(
            tz_database_name("America/Cayene"),
            Err(Some("America/Cayenne".to_string()))
        );
        assert_eq!(tz_database_name("Mars/Olympus_Mons"), Err(None));
    }
}
