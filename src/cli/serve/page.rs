//! The web page (placeholder until the page module lands).

use numplan::artifact::Artifact;
use numplan::date::Date;

/// The page's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Lang {
    Fr,
    En,
}

impl Lang {
    pub(super) fn choose(param: Option<&str>, accept_language: Option<&str>) -> Lang {
        match param {
            Some("fr") => Lang::Fr,
            Some("en") => Lang::En,
            _ if accept_language.is_some_and(|a| a.starts_with("fr")) => Lang::Fr,
            _ => Lang::En,
        }
    }
}

/// What the page was asked.
pub(super) struct PageRequest<'q> {
    pub number: Option<&'q str>,
    pub at: Option<Date>,
    pub lang: Lang,
}

pub(super) fn render_page(
    a: &Artifact<'_>,
    sha256: &str,
    req: &PageRequest<'_>,
    today: &dyn Fn(&str) -> Date,
    map: &str,
) -> String {
    format!(
        "<!doctype html><title>{}</title><p>{sha256}</p>{}{map}",
        a.plan_id(),
        render_answer(a, req, today)
    )
}

pub(super) fn render_answer(a: &Artifact<'_>, req: &PageRequest<'_>, today: &dyn Fn(&str) -> Date) -> String {
    let day = req.at.unwrap_or_else(|| today(a.time_zone()));
    format!(
        "<section id=\"answer\" data-lang=\"{:?}\">{} {day}</section>",
        req.lang,
        req.number.unwrap_or("").len()
    )
}

pub(super) fn render_map(a: &Artifact<'_>, day: Date, lang: Lang) -> String {
    let _ = lang;
    format!("<svg id=\"map\"><title>{} {day}</title></svg>", a.plan_id())
}
