//! The web page of `numplan serve`: the page at `/`, the answer fragment of `/answer` and the map
//! of `/map.svg`, as pure functions of an artifact and a request (no I/O, no clock: the server
//! passes "today").
//!
//! - **The page**: the plan's header (name, id, version, register date, sequence, digest), a form
//!   (`GET /`: one number works without JavaScript), the answer, the map, and a small script that
//!   fetches `/answer?…` and swaps it in, redraws the map for another day and `pushState`s the URL.
//! - **The answer**: what `numplan query` says in text (category, territory, register status,
//!   block holder, range, basis, rules, doubts, every use's verdict with its reasons, legal basis
//!   and source), with stable hooks for tests and scripts: `section#answer[data-valid]`,
//!   `tr.use[data-use]`, `td.verdict[data-verdict]`. The page's own words follow [`Lang`]; the
//!   plan's texts are shown as the plan writes them. Every text from the plan or the request is
//!   escaped (control characters as `\u{…}`, then `&<>"'`); the input is echoed cut short.
//! - **The map**: the national number space on a day, exact (from [`export`], not sampled). Rows
//!   are the first digit of the numbers or, for a plan whose numbers are written with the trunk
//!   prefix, the digit after it (`01` … `09`; numbers without it, such as French short numbers,
//!   get rows `1`, `3`… of their own); boxes are the next digit, stripes the digit after (`0162`, a
//!   Canadian NPA `613`). A stripe's colour is the category holding most of its numbers that day,
//!   its opacity the share of them a register block holds; grey is no number of the plan, hatched
//!   another plan's numbers (the NANP's other members under +1). Numbers shorter than a stripe
//!   (`15`) are spread evenly over the stripes under them. Rows without any number are left out.
//!   Each stripe links to the answer for a number of its main category.
//!
//! HTML is written with `w! {…}` (brace macros, which rustfmt leaves as laid out), one element or
//! a few per line.

use numplan::artifact::{Artifact, Context, Doubt, Lookup, Ruling};
use numplan::date::Date;
use numplan::diag::escape_controls;
use numplan::export::{Selection, export};
use numplan::plan::Verdict;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Appends formatted text to a `String` (which cannot fail).
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{ let _ = write!($out, $($arg)*); }};
}

/// The page's language: its own labels ("Catégorie"/"Category", "autorisé"/"allowed"…). The plan's
/// own texts (category names, reasons, doubts) are shown as the plan writes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lang {
    Fr,
    En,
}

impl Lang {
    /// From `?lang=fr|en`, else the first of `fr`/`en` in an Accept-Language header, else English.
    pub(super) fn choose(param: Option<&str>, accept_language: Option<&str>) -> Lang {
        let of = |tag: &str| match tag.trim().split(['-', '_']).next().map(str::to_ascii_lowercase) {
            Some(t) if t == "fr" => Some(Lang::Fr),
            Some(t) if t == "en" => Some(Lang::En),
            _ => None,
        };
        if let Some(lang) = param.and_then(of) {
            return lang;
        }
        // The header's most preferred of the two: by quality (q=0: not acceptable), then order.
        let mut best: Option<(f32, Lang)> = None;
        for item in accept_language.unwrap_or("").split(',').take(64) {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(of) else {
                continue;
            };
            let q = parts.find_map(|p| p.trim().strip_prefix("q="));
            let q = q.map_or(1.0, |q| q.trim().parse().unwrap_or(0.0));
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }

    fn code(self) -> &'static str {
        self.w("en", "fr")
    }

    /// The page's word in this language.
    fn w(self, en: &'static str, fr: &'static str) -> &'static str {
        if self == Lang::Fr { fr } else { en }
    }
}

/// What the page was asked (from the query string `?number=…&at=YYYY-MM-DD&lang=…`).
pub(super) struct PageRequest<'q> {
    /// As typed; `None` or empty: no answer section.
    pub number: Option<&'q str>,
    /// `None`: today in the number's territory (see `today`).
    pub at: Option<Date>,
    pub lang: Lang,
    /// Why the day asked is not a date: then no answer is given (not today's in its place).
    pub at_error: Option<&'q str>,
}

/// The most characters of an input echoed in the answer, kept in the form's field, and of a text
/// about an invalid input (whose error may quote its digits).
const ECHO: usize = 64;
const FIELD: usize = 128;
const INVALID_TEXT: usize = 320;

/// The whole page: header (plan name, id, version, register date, sequence, sha256 prefix),
/// the form, the answer (if a number was asked), the map. `sha256` is the served file's digest
/// (hex). `today(tz)` gives today's date in an IANA time zone (the server passes its clock).
/// `map` is [`render_map`]'s drawing for the page's day and language (the server keeps it: it
/// takes some 60 ms to count), inlined without its XML prolog.
pub(super) fn render_page(
    a: &Artifact<'_>,
    sha256: &str,
    req: &PageRequest<'_>,
    today: &dyn Fn(&str) -> Date,
    map: &str,
) -> String {
    let l = req.lang;
    let day = req.at.unwrap_or_else(|| today(a.time_zone()));
    let (answer, national) = answer_html(a, req, today);
    let (name, id, code) = (esc(a.plan_name()), esc(a.plan_id()), l.code());
    // The page in the other language keeps what was asked.
    let mut keep = String::new();
    if let Some(n) = req.number.filter(|n| !n.is_empty() && n.len() <= FIELD) {
        w!(keep, "number={}&amp;", url(n));
    }
    if let Some(at) = req.at {
        w!(keep, "at={at}&amp;");
    }
    let register = match a.register_date() {
        Some(d) => format!("{} {d}", l.w("register of", "registre du")),
        None if a.has_register() => l.w("register undated", "registre non daté").to_string(),
        None => l.w("no register", "sans registre").to_string(),
    };
    let (version, sequence, authority) = (esc(a.plan_version()), a.sequence(), esc(a.authority()));
    let digest = esc(&sha256.chars().take(12).collect::<String>());
    let value = esc(&req.number.unwrap_or("").chars().take(FIELD).collect::<String>());
    let at = req.at.map_or_else(String::new, |d| d.to_string());
    let t = |en, fr| l.w(en, fr);
    let at_error = req.at_error.map_or_else(String::new, |e| {
        format!(
            "<p id=\"at-error\" class=\"error\" role=\"alert\">{} {}</p>\n",
            esc(&cut(e, INVALID_TEXT)),
            t(
                "(no answer is given for a day that is not one)",
                "(pas de réponse pour un jour qui n'en est pas un)"
            )
        )
    });
    let mut out = String::with_capacity(1 << 17);
    w! {out, "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
    <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
    <title>{name} — numplan</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n\
    <nav class=\"lang\"><a href=\"/?{keep}lang=fr\" hreflang=\"fr\" lang=\"fr\">Français</a> · \
    <a href=\"/?{keep}lang=en\" hreflang=\"en\" lang=\"en\">English</a></nav>\n<h1>{name}</h1>\n\
    <p class=\"meta\"><span>plan <code>{id}</code></span><span>version {version}</span>\
    <span>{register}</span><span>{} {sequence}</span><span>SHA-256 <code>{digest}</code></span>\
    <span>{authority}</span></p>\n</header>\n<main>\n", t("sequence", "séquence")}
    w! {out, "<form id=\"ask\" method=\"get\" action=\"/\" data-today=\"{day}\">\n\
    <label for=\"number\">{}</label> <input id=\"number\" name=\"number\" type=\"text\" \
    inputmode=\"tel\" autocomplete=\"off\" value=\"{value}\">\n<label for=\"at\">{}</label> \
    <input id=\"at\" name=\"at\" type=\"date\" value=\"{at}\">\n\
    <input type=\"hidden\" name=\"lang\" value=\"{code}\">\n<button type=\"submit\">{}</button>\n\
    </form>\n{at_error}<div id=\"answer-slot\" aria-live=\"polite\">{answer}</div>\n",
    t("Number", "Numéro"), t("Day (empty: today)", "Jour (vide : aujourd'hui)"), t("Look up", "Chercher")}
    w! {out, "<section id=\"plan-map\">\n<h2>{} {day}</h2>\n<p class=\"note\">{}</p>\n",
    t("The plan on", "Le plan au"),
    t("Rows are prefixes, boxes the next digit, stripes the digit after. Colour: the category \
       holding most of a stripe's numbers; pale: few of them allocated in the register. Hover a \
       stripe for its figures, click it for one of its numbers.",
      "Lignes : préfixes ; cases : chiffre suivant ; bandes : chiffre d'après. Couleur : la \
       catégorie qui a le plus de numéros de la bande ; pâle : peu d'entre eux attribués au \
       registre. Survolez une bande pour ses chiffres, cliquez pour un de ses numéros.")}
    out.push_str(&marked(
        map.strip_prefix(SVG_PROLOG).unwrap_or(map),
        national.as_deref(),
    ));
    w! {out, "</section>\n</main>\n<footer class=\"note\">{} <code>/v1/numbers/NUMBER?at=YYYY-MM-DD\
    </code> · <a href=\"/map.svg?at={day}&amp;lang={code}\">map.svg</a></footer>\n\
    <script>{SCRIPT}</script>\n</body>\n</html>\n", t("JSON API:", "API JSON :")}
    out
}

/// The answer section alone (an HTML fragment), which the page's JavaScript fetches from
/// `/answer?number=…&at=…&lang=…` and swaps in without reloading the page. Empty when no number
/// was asked.
pub(super) fn render_answer(a: &Artifact<'_>, req: &PageRequest<'_>, today: &dyn Fn(&str) -> Date) -> String {
    answer_html(a, req, today).0
}

/// The XML prolog of the standalone map.
pub(super) const SVG_PROLOG: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// The map as a standalone SVG document (served at `/map.svg?at=…`); the page inlines the same
/// drawing (without the XML prolog) so it works with JavaScript off.
pub(super) fn render_map(a: &Artifact<'_>, day: Date, lang: Lang) -> String {
    let mut svg = String::with_capacity(1 << 19);
    svg.push_str(SVG_PROLOG);
    map_svg(&mut svg, a, &map_model(a, day), lang);
    svg
}

/// The drawing with the stripe of the national number `n` outlined (class `here`).
fn marked(svg: &str, n: Option<&str>) -> String {
    let n = n.unwrap_or("");
    for p in (1..=n.len()).rev().filter_map(|len| n.get(..len)) {
        if let Some(i) = svg.find(&format!("<rect class=\"cell\" data-prefix=\"{p}\"")) {
            return format!("{}<rect class=\"cell here\"{}", &svg[..i], &svg[i + 18..]);
        }
    }
    svg.to_string()
}

/// The answer fragment, and the national digits of a valid number (to outline it on the map).
fn answer_html(
    a: &Artifact<'_>,
    req: &PageRequest<'_>,
    today: &dyn Fn(&str) -> Date,
) -> (String, Option<String>) {
    let Some(input) = req
        .number
        .filter(|n| !n.trim().is_empty() && req.at_error.is_none())
    else {
        return (String::new(), None);
    };
    let l = req.lang;
    // The day asked, else today in the number's territory, as `numplan query` finds it: the plan's
    // day first, then the territory's when it differs (Réunion is ahead of Paris).
    let (day, tz, result) = match req.at {
        Some(at) => (at, None, a.lookup(input, at)),
        None => {
            let first = today(a.time_zone());
            match a.lookup(input, first) {
                Ok(found) => {
                    let tz = found.answer.territory().time_zone;
                    let day = today(tz);
                    let result = if day == first {
                        Ok(found)
                    } else {
                        a.lookup(input, day)
                    };
                    (day, Some(tz), result)
                }
                Err(e) => (first, Some(a.time_zone()), Err(e)),
            }
        }
    };
    let ctx = Context::default();
    let rulings: Vec<(&str, Ruling<'_>)> = (0u32..)
        .zip(a.uses())
        .map(|(row, u)| match &result {
            Ok(found) => (u.name, found.answer.ruling(row, &ctx)),
            Err(e) => (u.name, a.ruling_for_invalid(e, row, day, &ctx)),
        })
        .collect();
    let national = result.as_ref().ok().map(|f| f.national.to_string());
    let (valid, asked) = (result.is_ok(), echo(input));
    let (mut data, mut e164, no_e164) = (
        String::new(),
        String::new(),
        l.w("no E.164 form", "pas de forme E.164"),
    );
    if let Ok(found) = &result {
        data = format!(" data-national=\"{}\"", esc(&found.national));
        let number = found.e164().unwrap_or_else(|| no_e164.to_string());
        e164 = format!(" <span class=\"e164\">→ {}</span>", esc(&number));
    }
    let when = tz.map(|tz| format!(" ({} {})", l.w("today in", "aujourd'hui à"), esc(tz)));
    let when = when.unwrap_or_default();
    let mut out = String::with_capacity(1 << 14);
    w! {out, "<section id=\"answer\" data-valid=\"{valid}\" data-day=\"{day}\"{data} \
    aria-labelledby=\"answer-title\">\n<h2 id=\"answer-title\"><span class=\"asked\">{asked}</span>\
    {e164}</h2>\n<p class=\"day\">{} {day}{when}</p>\n", l.w("On", "Le")}
    let mut listed: Vec<(Doubt<'_>, Vec<usize>)> = Vec::new();
    match &result {
        Ok(found) => {
            facts(&mut out, a, found, day, l);
            listed.extend(found.answer.doubts().into_iter().map(|d| (d, Vec::new())));
        }
        Err(e) => {
            let what = match e.is_other_plan() {
                true => l.w("Another plan's number:", "Numéro d'un autre plan :"),
                false => l.w("Not a valid number:", "Numéro non valide :"),
            };
            let error = esc(&cut(&e.to_string(), INVALID_TEXT));
            w! {out, "<p class=\"invalid\" role=\"alert\"><strong>{what}</strong> {error}</p>\n"}
        }
    }
    // Each doubt once, with the uses it bears on (none: the answer's own); each use's marks.
    let mut marks: Vec<Vec<usize>> = Vec::new();
    for (i, (_, r)) in rulings.iter().enumerate() {
        let mut mine = Vec::new();
        for d in &r.doubts {
            let k = listed
                .iter()
                .position(|(x, _)| x.text == d.text)
                .unwrap_or_else(|| {
                    listed.push((d.clone(), Vec::new()));
                    listed.len() - 1
                });
            if !listed[k].1.contains(&i) {
                listed[k].1.push(i);
            }
            mine.push(k);
        }
        marks.push(mine);
    }
    if !listed.is_empty() {
        let unsure = l.w("The sources are unsure", "Les sources ne sont pas sûres");
        w! {out, "<div class=\"doubts\" role=\"note\"><h3>⚠ {unsure}</h3><ol>\n"}
        for (k, (d, uses)) in listed.iter().enumerate() {
            let ids: Vec<String> = uses.iter().map(|&i| esc(rulings[i].1.use_id)).collect();
            let ids = (!ids.is_empty()).then(|| format!("<code>{}</code>: ", ids.join(", ")));
            let ids = ids.unwrap_or_default();
            let (k, text, source) = (k + 1, esc(&d.text), esc(&d.source));
            w! {out, "<li id=\"doubt-{k}\">{ids}{text} <span class=\"src\">{source}</span></li>\n"}
        }
        out.push_str("</ol></div>\n");
    }
    let limit = if valid { usize::MAX } else { INVALID_TEXT };
    verdicts(&mut out, &rulings, &marks, l, limit);
    if let Ok(found) = &result {
        // `+` and digits: as they are in a path.
        let number = esc(&found.e164().unwrap_or_else(|| found.national.to_string()));
        w! {out, "<p class=\"note\"><a href=\"/v1/numbers/{number}?at={day}\">JSON</a></p>\n"}
    }
    out.push_str("</section>\n");
    (out, national)
}

/// Category, territory, register status, block holder, range, basis and rules of a valid number.
fn facts(out: &mut String, a: &Artifact<'_>, found: &Lookup<'_>, day: Date, l: Lang) {
    let ans = &found.answer;
    let (cat, t) = (ans.category(), ans.territory());
    let (id, name, tid, tname) = (esc(cat.id), esc(cat.name), esc(t.id), esc(t.name));
    let cc = t.country_code.map_or_else(String::new, |cc| format!(", +{cc}"));
    w! {out, "<dl class=\"facts\">\n<dt>{}</dt><dd data-field=\"category\" data-id=\"{id}\">{name} \
    <code>{id}</code></dd>\n<dt>{}</dt><dd data-field=\"territory\" data-id=\"{tid}\">{tname} \
    <code>{tid}</code>{cc}</dd>\n", l.w("Category", "Catégorie"), l.w("Territory", "Territoire")}
    // How the register is cited: its snapshot, or the current one for a later day.
    let register = |r: Option<Date>| match (a.register_date(), r) {
        (Some(now), _) if day > now => {
            format!(", {} {now}", l.w("as of the register of", "selon le registre du"))
        }
        (_, Some(r)) => format!(", {} {r}", l.w("register of", "registre du")),
        _ => String::new(),
    };
    let row = ans.register_row();
    if let Some((r, status)) = row.as_ref().and_then(|r| Some((r, r.status?))) {
        let remarks = r.remarks.map_or_else(String::new, |x| format!(" ({})", esc(x)));
        let (status, block, note, src) = (esc(status), esc(&r.block), register(r.register), esc(&r.source));
        w! {out, "<dt>{}</dt><dd data-field=\"status\">{status}{remarks}, {} {block}{note} \
        <span class=\"src\">{src}</span></dd>\n", l.w("Register status", "Statut au registre"), l.w("block", "bloc")}
    }
    w! {out, "<dt>{}</dt>", l.w("Block holder", "Titulaire du bloc")}
    match ans.holder() {
        Some(h) => {
            let (code, block, note, src) = (esc(h.code), esc(&h.block), register(h.register), esc(&h.source));
            let name = h.name.map_or_else(String::new, |n| format!(" {}", esc(n)));
            let since = h
                .allocated
                .map(|d| format!(", {} {d}", l.w("allocated", "attribué le")));
            let since = since.unwrap_or_default();
            w! {out, "<dd data-field=\"holder\" data-code=\"{code}\"><strong>{code}</strong>{name}, {} {block}\
            {since}{note} <span class=\"src\">{src}</span><br><small class=\"note\">{}</small></dd>\n",
            l.w("holder of block", "titulaire du bloc"),
            l.w("The register names who holds the block; the number may have been ported to another \
                 operator since.",
                "Le registre nomme le titulaire du bloc ; le numéro a pu être porté chez un autre \
                 opérateur depuis.")}
        }
        None => {
            let none = match (row.is_some(), a.has_register()) {
                (true, _) => l.w(
                    "none: the register names no holder on",
                    "aucun : le registre ne nomme aucun titulaire le",
                ),
                (false, true) => l.w(
                    "none: no block of the register holds it on",
                    "aucun : aucun bloc du registre ne le contient le",
                ),
                (false, false) => l.w(
                    "unknown: the plan has no register, on",
                    "inconnu : le plan n'a pas de registre, le",
                ),
            };
            w! {out, "<dd data-field=\"holder\">{none} {day}</dd>\n"}
        }
    }
    let range = ans.range();
    let (numbers, src) = (esc(range.numbers), esc(&range.source));
    w! {out, "<dt>{}</dt><dd data-field=\"range\">{numbers} <span class=\"src\">{src}</span></dd>\n",
    l.w("Range", "Plage")}
    let rules = ans.rules();
    let mut bases: Vec<&str> = Vec::new();
    for b in ans
        .category_basis()
        .into_iter()
        .chain(range.basis)
        .chain(rules.iter().map(|r| r.basis))
    {
        if !bases.contains(&b) {
            bases.push(b);
        }
    }
    if !bases.is_empty() {
        let bases: Vec<String> = bases.iter().map(|b| esc(b)).collect();
        w! {out, "<dt>{}</dt><dd>{}</dd>\n", l.w("Legal basis", "Base légale"), bases.join("; ")}
    }
    for r in &rules {
        let (rule, value, when) = (esc(r.rule), esc(r.value), period(l, r.from, r.until));
        let (basis, src) = (esc(r.basis), esc(&r.source));
        w! {out, "<dt><code>{rule}</code></dt><dd>{value} ({when}) <span class=\"basis\">[{basis}]</span> \
        <span class=\"src\">{src}</span></dd>\n"}
    }
    out.push_str("</dl>\n");
}

/// The verdicts: a row per use with the headline reason, its basis and source, every reason in a
/// `<details>`, and marks pointing to the doubts. Reason texts are cut at `limit` characters.
fn verdicts(out: &mut String, rulings: &[(&str, Ruling<'_>)], marks: &[Vec<usize>], l: Lang, limit: usize) {
    let t = |en, fr| l.w(en, fr);
    w! {out, "<table class=\"verdicts\"><caption>{}</caption>\n<thead><tr><th scope=\"col\">{}</th>\
    <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
    </tr></thead>\n<tbody>\n", t("May it be shown as caller ID?", "Peut-il être présenté comme numéro appelant ?"),
    t("Use", "Usage"), t("Verdict", "Verdict"), t("Why", "Pourquoi"), t("Legal basis", "Base légale"),
    t("Source", "Source")}
    for ((name, r), mine) in rulings.iter().zip(marks) {
        let (id, name, v) = (esc(r.use_id), esc(name), r.verdict.as_str());
        let (sign, word) = verdict_words(l, r.verdict);
        let head = r.reason();
        let text = esc(&cut(&head.text, limit));
        w! {out, "<tr class=\"use\" data-use=\"{id}\"><th scope=\"row\">{name} <code>{id}</code></th>\
        <td class=\"verdict verdict-{v}\" data-verdict=\"{v}\"><span aria-hidden=\"true\">{sign}</span> \
        {word}</td><td class=\"reason\">{text}"}
        if !mine.is_empty() {
            let links: Vec<String> = mine
                .iter()
                .map(|k| format!("<a href=\"#doubt-{0}\">{0}</a>", k + 1))
                .collect();
            w! {out, " <span class=\"doubt-mark\">⚠ {} {}</span>", t("doubt", "doute"), links.join(", ")}
        }
        w! {out, "<details><summary>{} ({})</summary><ol>\n", t("every reason", "toutes les raisons"), r.reasons.len()}
        for x in &r.reasons {
            let (o, text, src) = (x.outcome.as_str(), esc(&cut(&x.text, limit)), esc(&x.source));
            let basis = x
                .basis
                .map(|b| format!(" <span class=\"basis\">[{}]</span>", esc(b)));
            let basis = basis.unwrap_or_default();
            w! {out, "<li data-outcome=\"{o}\"><strong>{}</strong>: {text}{basis} <span class=\"src\">{src}</span>\
            </li>\n", outcome_word(l, o)}
        }
        let (basis, src) = (esc(head.basis.unwrap_or("")), esc(&head.source));
        w! {out, "</ol></details></td><td class=\"basis\">{basis}</td><td class=\"src\">{src}</td></tr>\n"}
    }
    out.push_str("</tbody></table>\n");
}

/// A verdict's sign (so that it is not told by colour alone) and word.
fn verdict_words(l: Lang, v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Allowed => ("✓", l.w("allowed", "autorisé")),
        Verdict::Forbidden => ("✗", l.w("forbidden", "interdit")),
        Verdict::Conditional => ("◐", l.w("conditional", "sous condition")),
        Verdict::Unknown => ("?", l.w("unknown", "inconnu")),
    }
}

fn outcome_word(l: Lang, outcome: &str) -> &'static str {
    match outcome {
        "pass" => l.w("met", "satisfait"),
        "fail" => l.w("fails", "non satisfait"),
        "unsettled" => l.w("unsettled", "non tranché"),
        "exception" => l.w("exception", "exception"),
        "not-applicable" => l.w("not applicable", "sans objet"),
        _ => l.w("rule", "règle"),
    }
}

fn period(l: Lang, from: Option<Date>, until: Option<Date>) -> String {
    match (from, until) {
        (None, None) => l.w("always", "toujours").to_string(),
        (Some(f), None) => format!("{} {f}", l.w("since", "depuis le")),
        (None, Some(u)) => format!("{} {u}", l.w("until", "jusqu'au")),
        (Some(f), Some(u)) => format!("{} {f} {} {u}", l.w("from", "du"), l.w("until", "au")),
    }
}

/// A text from the plan or the request, for HTML: control and bidirectional characters written
/// `\u{…}` (as every output of numplan writes them), then `&<>"'` escaped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in escape_controls(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// At most `n` characters of `s`, with `…` when cut.
fn cut(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// An input as the answer echoes it: cut short, escaped.
fn echo(input: &str) -> String {
    esc(&cut(input, ECHO))
}

/// A query-string or path component, percent-encoded (all but the unreserved characters).
fn url(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            w!(out, "%{b:02X}");
        }
    }
    out
}

/// One stripe of the map: the numbers under a prefix on the day.
#[derive(Debug, Default)]
struct Stripe<'a> {
    prefix: String,
    /// How many numbers (fractions: shorter numbers spread over the stripes under them).
    numbers: f64,
    /// How many of them a register block holds.
    allocated: f64,
    /// Per category (its index in the plan's order): numbers, and one of them to link to.
    categories: Vec<(usize, f64, String)>,
    /// For a stripe without numbers of the plan: the territory of another plan's numbers there.
    foreign: Option<&'a str>,
}

impl Stripe<'_> {
    /// The category holding most numbers (the first in the plan's order on a tie).
    fn main(&self) -> Option<&(usize, f64, String)> {
        let most =
            |x: &&(usize, f64, String), y: &&(usize, f64, String)| x.1.total_cmp(&y.1).then(y.0.cmp(&x.0));
        self.categories.iter().max_by(most)
    }

    fn share(&self) -> f64 {
        (self.allocated / self.numbers.max(f64::MIN_POSITIVE)).clamp(0.0, 1.0)
    }
}

/// The map's data: rows of a hundred stripes (ten boxes of ten), and the categories' ids and
/// names in the plan's order.
struct MapModel<'a> {
    day: Date,
    rows: Vec<(String, Vec<Stripe<'a>>)>,
    categories: Vec<(&'a str, &'a str)>,
}

/// Counts the numbers of the plan on `day` per stripe, exactly, from the export of every number:
/// an entry's numbers are Σ over its lengths of 10^(length − prefix length).
fn map_model<'a>(a: &'a Artifact<'a>, day: Date) -> MapModel<'a> {
    let mut names: HashMap<&str, &str> = HashMap::new();
    for r in 0..a.range_count() {
        let info = a.range_info(r);
        names.entry(info.category).or_insert(info.category_name);
    }
    let categories: Vec<(&str, &str)> = a
        .category_ids()
        .map(|id| (id, *names.get(id).unwrap_or(&id)))
        .collect();
    let index: HashMap<&str, usize> = categories.iter().enumerate().map(|(i, c)| (c.0, i)).collect();
    // Rows: the first digit, or the digit after the trunk prefix for numbers written with it.
    let np = a.national_prefix();
    let trunk = a.national_prefix_in_numbers() && !np.is_empty() && np.bytes().all(|b| b.is_ascii_digit());
    let mut rows: Vec<String> = Vec::new();
    for d in '0'..='9' {
        match trunk && np.starts_with(d) {
            true => rows.extend(('0'..='9').map(|e| format!("{np}{e}"))),
            false => rows.push(d.to_string()),
        }
    }
    let blank = |prefix| Stripe {
        prefix,
        ..Stripe::default()
    };
    let mut stripes: Vec<Stripe<'a>> = rows
        .iter()
        .flat_map(|r| (0..100).map(move |k| blank(format!("{r}{k:02}"))))
        .collect();
    let at: HashMap<String, usize> = stripes
        .iter()
        .enumerate()
        .map(|(i, s)| (s.prefix.clone(), i))
        .collect();
    for e in export(a, day, &Selection::parse(a, &[]).unwrap_or_default()) {
        let Some(&cat) = index.get(e.said.category) else {
            continue;
        };
        let (p, held) = (e.national.as_str(), e.said.holder.is_some());
        let shortest = e.lengths.first().copied().unwrap_or(p.len());
        let add = |s: &mut Stripe<'a>| {
            // The entry's numbers under the stripe: all of the entry's, or a share of them.
            let start = s.prefix.len().max(p.len()) as i32;
            let n: f64 = e.lengths.iter().map(|&len| 10f64.powi(len as i32 - start)).sum();
            s.numbers += n;
            s.allocated += if held { n } else { 0.0 };
            match s.categories.iter_mut().find(|c| c.0 == cat) {
                Some(c) => c.1 += n,
                None => {
                    // A number of the entry under the stripe, to link to.
                    let base = if p.len() >= s.prefix.len() {
                        p
                    } else {
                        s.prefix.as_str()
                    };
                    let base = if shortest >= base.len() { base } else { p };
                    s.categories.push((cat, n, format!("{base:0<shortest$}")));
                }
            }
        };
        let depth = if trunk && p.starts_with(np) {
            np.len() + 3
        } else {
            3
        };
        match p.get(..depth).and_then(|head| at.get(head)) {
            Some(&k) => add(&mut stripes[k]),
            None if p.len() < depth => stripes
                .iter_mut()
                .filter(|s| s.prefix.starts_with(p))
                .for_each(add),
            None => {}
        }
    }
    for s in stripes.iter_mut().filter(|s| s.numbers <= 0.0) {
        let found = a.lookup_national(&s.prefix, day).filter(|x| x.is_foreign());
        s.foreign = found.map(|x| x.territory().name);
    }
    let mut stripes = stripes.into_iter();
    let rows = (rows.into_iter())
        .map(|r| (r, stripes.by_ref().take(100).collect::<Vec<_>>()))
        .filter(|(_, s)| s.iter().any(|s| s.numbers > 0.0 || s.foreign.is_some()))
        .collect();
    MapModel {
        day,
        rows,
        categories,
    }
}

/// The colour of the category at `i` in the plan's order: Kelly's colours of maximum contrast,
/// then hues apart.
fn colour(i: usize) -> String {
    const PALETTE: [&str; 19] = [
        "#0067a5", "#f38400", "#008856", "#be0032", "#875692", "#882d17", "#e68fac", "#8db600", "#2b3d26",
        "#604e97", "#f6a600", "#b3446c", "#654522", "#e25822", "#c2b280", "#a1caf1", "#dcd300", "#f99379",
        "#f3c300",
    ];
    PALETTE.get(i).map_or_else(
        || format!("hsl({}, 60%, 42%)", (i * 137) % 360),
        |c| c.to_string(),
    )
}

/// A count for people: whole numbers grouped by thousands, fractions as "< 1".
fn count(l: Lang, n: f64) -> String {
    if n > 0.0 && n < 1.0 {
        return "< 1".to_string();
    }
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push_str(l.w(",", "\u{202f}"));
        }
        out.push(c);
    }
    out
}

/// The opacity of a stripe whose numbers are allocated in this share.
fn opacity(share: f64) -> f64 {
    ((0.35 + 0.65 * share) * 100.0).round() / 100.0
}

fn none(l: Lang) -> &'static str {
    l.w("no number of this plan", "aucun numéro de ce plan")
}

fn others(l: Lang) -> &'static str {
    l.w("another plan's numbers", "numéros d'un autre plan")
}

/// Geometry of the map, in SVG user units (900 wide).
const LEFT: f64 = 46.0;
const PITCH: f64 = 85.0;
const BOX: f64 = 82.0;
const TOP: f64 = 30.0;
const ROW: f64 = 52.0;
const BAR: f64 = 34.0;

/// Draws the map: rows, boxes and stripes, then the legend.
fn map_svg(out: &mut String, a: &Artifact<'_>, m: &MapModel<'_>, l: Lang) {
    let stripes = || m.rows.iter().flat_map(|(_, s)| s.iter());
    let drawn = |i: usize| stripes().any(|s| s.main().is_some_and(|c| c.0 == i));
    let shown: Vec<usize> = (0..m.categories.len()).filter(|&i| drawn(i)).collect();
    let foreign = stripes().any(|s| s.foreign.is_some());
    let grid = TOP + ROW * m.rows.len() as f64;
    let height = grid + 20.0 + 18.0 * (shown.len().div_ceil(2) + 2) as f64;
    let (day, id, on) = (m.day, esc(a.plan_id()), l.w("numbers on", "numéros au"));
    let title = format!("Plan {id} — {on} {day}");
    w! {out, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"map\" viewBox=\"0 0 900 {height}\" width=\"900\" \
    height=\"{height}\" role=\"group\" aria-labelledby=\"map-title\" data-day=\"{day}\" data-plan=\"{id}\" \
    font-family=\"system-ui, sans-serif\" font-size=\"11\">\n<title id=\"map-title\">{title}</title>\n\
    <defs><pattern id=\"map-hatch\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\" \
    patternTransform=\"rotate(45)\"><rect width=\"5\" height=\"5\" fill=\"#eeeeee\"/>\
    <rect width=\"2\" height=\"5\" fill=\"#b0b0b0\"/></pattern></defs>\n\
    <text x=\"{LEFT}\" y=\"18\" font-size=\"13\" font-weight=\"600\">{title}</text>\n"}
    for (i, (row, stripes)) in m.rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let (x, ty) = (LEFT - 8.0, y + BAR / 2.0 + 5.0);
        w! {out, "<g class=\"row\" data-prefix=\"{row}\"><text x=\"{x}\" y=\"{ty}\" text-anchor=\"end\" \
        font-size=\"15\" font-weight=\"700\">{row}</text>\n"}
        for (b, ten) in stripes.chunks(10).enumerate() {
            let x0 = LEFT + PITCH * b as f64;
            for (k, s) in ten.iter().enumerate() {
                stripe(out, s, m, l, x0 + BOX / 10.0 * k as f64, y);
            }
            let (x, ty) = (x0 + BOX / 2.0, y + BAR + 12.0);
            w! {out, "<text x=\"{x}\" y=\"{ty}\" text-anchor=\"middle\" fill=\"#444\">{row}{b}</text>\n"}
        }
        out.push_str("</g>\n");
    }
    // The legend: the categories drawn, empty space, other plans' numbers, and the shading.
    let mut y = grid + 14.0;
    for (j, &i) in shown.iter().enumerate() {
        let (x, yy) = (LEFT + 430.0 * (j % 2) as f64, y + 18.0 * (j / 2) as f64);
        let c = colour(i);
        let (id, name) = (esc(m.categories[i].0), m.categories[i].1);
        let (label, name, ry, tx) = (esc(&cut(name, 66)), esc(name), yy - 10.0, x + 17.0);
        w! {out, "<g class=\"legend\" data-category=\"{id}\"><title>{name} ({id})</title><rect x=\"{x}\" \
        y=\"{ry}\" width=\"12\" height=\"12\" fill=\"{c}\"/><text x=\"{tx}\" y=\"{yy}\">{label}</text></g>\n"}
    }
    y += 18.0 * shown.len().div_ceil(2) as f64 + 4.0;
    let mut swatch = |x: f64, y: f64, fill: &str, opacity: f64, text: &str| {
        let (ry, tx) = (y - 10.0, x + 16.0);
        w! {out, "<rect x=\"{x}\" y=\"{ry}\" width=\"12\" height=\"12\" fill=\"{fill}\" \
        fill-opacity=\"{opacity}\"/><text x=\"{tx}\" y=\"{y}\">{text}</text>\n"}
    };
    swatch(LEFT, y, "#dddddd", 1.0, none(l));
    if foreign {
        swatch(LEFT + 215.0, y, "url(#map-hatch)", 1.0, others(l));
    }
    y += 18.0;
    if a.has_register() {
        for k in 0..5 {
            let share = k as f64 / 4.0;
            let pct = format!("{}{}%", share * 100.0, l.w("", "\u{202f}"));
            swatch(LEFT + 170.0 + 62.0 * k as f64, y, "#1f3b57", opacity(share), &pct);
        }
    }
    let shading = match a.has_register() {
        true => l.w("allocated in the register:", "attribués au registre :"),
        false => l.w(
            "the plan has no register: stripes are not shaded",
            "le plan n'a pas de registre : bandes non ombrées",
        ),
    };
    w! {out, "<text x=\"{LEFT}\" y=\"{y}\">{shading}</text>\n</svg>\n"}
}

/// One stripe: a rectangle with its figures in data attributes and a tooltip, in a link to a
/// number of its main category.
fn stripe(out: &mut String, s: &Stripe<'_>, m: &MapModel<'_>, l: Lang, x: f64, y: f64) {
    let (p, width) = (&s.prefix, BOX / 10.0 - 0.6);
    let Some((cat, _, sample)) = s.main() else {
        let (class, fill, what) = match s.foreign {
            Some(t) => (
                "foreign",
                "url(#map-hatch)",
                format!("{} ({})", others(l), esc(t)),
            ),
            None => ("empty", "#dddddd", none(l).to_string()),
        };
        w! {out, "<rect class=\"cell {class}\" data-prefix=\"{p}\" x=\"{x:.1}\" y=\"{y}\" width=\"{width:.1}\" \
        height=\"{BAR}\" fill=\"{fill}\"><title>{p} — {what}</title></rect>\n"}
        return;
    };
    let (id, name) = (esc(m.categories[*cat].0), esc(m.categories[*cat].1));
    let (share, fill, href, day, lang) = (s.share(), colour(*cat), url(sample), m.day, l.code());
    let exact = format!("{:.*}", if s.numbers.fract() == 0.0 { 0 } else { 3 }, s.numbers);
    let (o, pct, n) = (opacity(share), share * 100.0, count(l, s.numbers));
    let mut also: Vec<String> = s
        .categories
        .iter()
        .filter(|c| c.0 != *cat)
        .map(|c| esc(m.categories[c.0].0))
        .collect();
    if !also.is_empty() {
        also.insert(0, format!("; {}", l.w("also", "aussi")));
    }
    w! {out, "<a href=\"/?number={href}&amp;at={day}&amp;lang={lang}\"><rect class=\"cell\" \
    data-prefix=\"{p}\" data-category=\"{id}\" data-numbers=\"{exact}\" data-allocated=\"{share:.4}\" \
    x=\"{x:.1}\" y=\"{y}\" width=\"{width:.1}\" height=\"{BAR}\" fill=\"{fill}\" fill-opacity=\"{o}\">\
    <title>{p} — {name} ({id}): {n} {}, {pct:.0}{}{}</title></rect></a>\n",
    l.w("numbers", "numéros"), l.w("% allocated", "\u{202f}% attribués"), also.join(" ")}
}

const STYLE: &str = "
.error{color:#a00;font-weight:600}
body{font:16px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1a1a1a;margin:0 auto;max-width:960px;\
padding:0 16px 32px} header{border-bottom:1px solid #ccc;margin-bottom:12px} h1{font-size:1.45em;margin:.5em 0 .2em}
h2{font-size:1.2em} .meta{color:#555;font-size:.9em;margin:.2em 0 .7em} .meta span+span::before{content:' · '}
nav.lang{float:right;margin-top:1em} #number{width:15em}
form{display:flex;flex-wrap:wrap;gap:6px 12px;align-items:center;background:#f1f4f7;padding:12px;border-radius:6px}
form input{font:inherit;padding:5px 8px;border:1px solid #888;border-radius:4px}
button{font:inherit;padding:5px 16px;border-radius:4px;border:1px solid #1f3b57;background:#1f3b57;color:#fff}
code,.src{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em} .src,.basis,.e164{color:#555}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:8px 0} dt{font-weight:600} dd{margin:0}
table.verdicts{border-collapse:collapse;width:100%;margin:12px 0} .verdicts caption{text-align:left;font-weight:600}
.verdicts th,.verdicts td{border-top:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top}
.verdicts thead th{font-size:.85em;color:#555} td.basis{min-width:9em} td.src{white-space:nowrap}
.verdict{font-weight:700;white-space:nowrap} .verdict-allowed{color:#0b5d1e;background:#e2f3e5}
.verdict-forbidden{color:#8a1111;background:#fbe4e4} .verdict-conditional{color:#7a4b00;background:#fdf0d5}
.verdict-unknown{color:#333;background:#ececec} .doubt-mark{color:#8a5a00;font-size:.85em;white-space:nowrap}
.doubts{border-left:4px solid #d98c00;background:#fff7e6;padding:4px 12px;margin:12px 0} .doubts h3{font-size:1em}
.invalid{border-left:4px solid #b00;background:#fdeeee;padding:6px 12px}
details summary{cursor:pointer;color:#555;font-size:.85em} details ol{font-size:.9em;padding-left:1.4em}
.note{color:#555;font-size:.85em} #map{width:100%;height:auto;display:block}
#map a:hover .cell,#map a:focus .cell{stroke:#000;stroke-width:1} #map .cell.here{stroke:#000;stroke-width:2.5}
";

const SCRIPT: &str = r#"
(function () {
  var form = document.getElementById('ask'), slot = document.getElementById('answer-slot'), f = form && form.elements;
  if (!form || !slot || !window.fetch || !window.URLSearchParams) return;
  function query() {
    var q = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (v !== '' || k === 'number') q.append(k, v); });
    return q.toString();
  }
  function get(url) { return fetch(url).then(function (r) { if (!r.ok) throw r; return r.text(); }); }
  function mark() {  // outline the stripe of the number answered
    var s = document.getElementById('answer'), n = s ? s.getAttribute('data-national') || '' : '', best = null;
    document.querySelectorAll('#map .cell').forEach(function (c) {
      var p = c.getAttribute('data-prefix') || '';
      c.classList.remove('here');
      if (n && p && n.indexOf(p) === 0 && (!best || p.length > best.getAttribute('data-prefix').length)) best = c;
    });
    if (best) best.classList.add('here');
  }
  function show(q, push) {  // the answer in place, then the map of its day
    return get('/answer?' + q).then(function (t) {
      slot.innerHTML = t;
      if (push) history.pushState(null, '', '/?' + q);
      var map = document.getElementById('map'), at = f.at.value || form.getAttribute('data-today');
      if (!map || map.getAttribute('data-day') === at) return;
      return get('/map.svg?at=' + encodeURIComponent(at) + '&lang=' + encodeURIComponent(f.lang.value))
        .then(function (svg) { map.outerHTML = svg.replace(/^<\?xml[^>]*>\s*/, ''); });
    }).then(mark, function () { location.href = '/?' + q; });
  }
  form.addEventListener('submit', function (e) { e.preventDefault(); show(query(), true); });
  window.addEventListener('popstate', function () {
    var p = new URLSearchParams(location.search);
    f.number.value = p.get('number') || ''; f.at.value = p.get('at') || '';
    show(query(), false);
  });
  document.addEventListener('click', function (e) {  // a stripe: one of its numbers, in place
    var a = e.target.closest ? e.target.closest('#map a') : null;
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button) return;
    var p = new URLSearchParams((a.getAttribute('href') || '').split('?')[1] || '');
    e.preventDefault();
    f.number.value = p.get('number') || ''; f.at.value = p.get('at') || f.at.value;
    show(query(), true);
  });
})();
"#;

/// Expected values come from the plans' sources, read by `numplan::validate` (not from the
/// artifact), and are cited from them. The French plan's ids are not written here (a test of the
/// repository scans `src/` for them): they are read from the plan.
#[cfg(test)]
mod tests {
    use super::*;
    use numplan::plan::Plan;
    use std::sync::OnceLock;

    const CA: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/generated/ca.npa"));

    fn plan(id: &str) -> Plan {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("plan-sources");
        let checked = numplan::validate::check_dir(&dir.join(id));
        checked.plan.expect("a valid plan")
    }

    fn fr_plan() -> &'static Plan {
        static PLAN: OnceLock<Plan> = OnceLock::new();
        PLAN.get_or_init(|| plan("fr"))
    }

    fn day(s: &str) -> Date {
        Date::parse(s).expect("a date")
    }

    fn req(number: Option<&str>, lang: Lang) -> PageRequest<'_> {
        let at = None;
        PageRequest {
            number,
            at,
            lang,
            at_error: None,
        }
    }

    /// The answer for `number` on `at` (when `None`: today, 2026-01-01 in Paris, 2026-01-02 elsewhere).
    fn ask(a: &Artifact<'_>, number: &str, at: Option<&str>, lang: Lang) -> String {
        let today = |tz: &str| day(["2026-01-02", "2026-01-01"][usize::from(tz == "Europe/Paris")]);
        let req = PageRequest {
            at: at.map(day),
            ..req(Some(number), lang)
        };
        render_answer(a, &req, &today)
    }

    /// Asserts that `html` holds every line of `parts` (trimmed).
    fn has(html: &str, parts: &str) {
        for part in parts.lines().map(str::trim).filter(|p| !p.is_empty()) {
            assert!(html.contains(part), "no {part:?} in {html}");
        }
    }

    /// The `data-verdict` of the row of use `id`.
    fn verdict<'h>(html: &'h str, id: &str) -> &'h str {
        let row = &html[html.find(&format!("data-use=\"{id}\"")).expect("a row per use")..];
        let v = &row[row.find("data-verdict=\"").expect("a verdict") + 14..];
        &v[..v.find('"').unwrap_or(0)]
    }

    /// The category of the most specific range of the plan's sources holding `prefix` on `at`.
    fn category_of<'p>(plan: &'p Plan, prefix: &str, at: Date) -> &'p str {
        let r = plan.resolver().at(prefix, at).expect("a range");
        &plan.categories()[plan.ranges()[r].category].id
    }

    fn stripe<'m>(m: &'m MapModel<'_>, prefix: &str) -> &'m Stripe<'m> {
        let mut stripes = m.rows.iter().flat_map(|(_, s)| s);
        stripes.find(|s| s.prefix == prefix).expect("a stripe")
    }

    /// Every element opened is closed, in order (void elements and `/>` aside; scripts skipped).
    fn balanced(html: &str) {
        let (mut open, mut rest) = (Vec::new(), html);
        let void = ["meta", "input", "br", "!DOCTYPE", "?xml"];
        while let Some(i) = rest.find('<') {
            rest = &rest[i + 1..];
            let tag = &rest[..rest.find('>').expect("a tag ends")];
            let name = tag.split([' ', '\n']).next().unwrap_or("");
            if let Some(closed) = name.strip_prefix('/') {
                assert_eq!(open.pop(), Some(closed), "at …{}", &rest[..rest.len().min(80)]);
            } else if !tag.ends_with('/') && !void.contains(&name) {
                open.push(name);
                if name == "script" {
                    rest = &rest[rest.find("</script>").expect("a script ends")..];
                }
            }
        }
        assert!(open.is_empty(), "left open: {open:?}");
    }

    /// ranges.yaml:31 makes 0162 `Numéros polyvalents vérifiés` from 2023-01-01, inside 01–05
    /// (ranges.yaml:23); categories.yaml:84–102 allow them for every use from then ("an express
    /// derogation" for automated systems); MAJNUM.csv gives block 016212 to FREE.
    #[test]
    fn a_verified_number_is_allowed_for_every_use_and_names_its_block_holder() {
        let (fr, plan, on) = (numplan::embedded::fr().unwrap(), fr_plan(), day("2026-01-01"));
        let cat = category_of(plan, "0162", on);
        assert_ne!(cat, category_of(plan, "0140", on), "0162 refines 01–05");
        let html = ask(&fr, "01 62 12 34 56", Some("2026-01-01"), Lang::En);
        has(
            &html,
            &format!("data-field=\"category\" data-id=\"{cat}\">Numéros polyvalents vérifiés"),
        );
        has(
            &html,
            r#"<section id="answer" data-valid="true" data-day="2026-01-01"
            data-code="FREE"><strong>FREE</strong> Free, holder of block 016212
            Block holder
            ranges.yaml:31
            → +33162123456"#,
        );
        assert!(!html.contains("current operator"));
        for u in plan.uses() {
            assert_eq!(verdict(&html, &u.id), "allowed", "{}", u.id);
        }
        let html = ask(&fr, "0162123456", Some("2026-01-01"), Lang::Fr);
        has(&html, "Titulaire du bloc\n✓</span> autorisé");
        balanced(&html);
    }

    /// categories.yaml:35–83: `Numéros polyvalents` (01–05) are allowed for a person's call and
    /// message since 2019-08-01, forbidden to automated systems since 2023-01-01 (2022-1583
    /// §2.3.2 f); plan.yaml:104–110 names those uses "an automated system's call/message".
    #[test]
    fn automated_systems_may_not_show_a_geographic_number() {
        let (fr, plan) = (numplan::embedded::fr().unwrap(), fr_plan());
        let automated = |name: &str| name.starts_with("an automated system");
        assert_eq!(plan.uses().iter().filter(|u| automated(&u.name)).count(), 2);
        for (lang, words) in [(Lang::En, "allowed\nforbidden"), (Lang::Fr, "autorisé\ninterdit")] {
            let html = ask(&fr, "+33 1 40 12 34 56", Some("2026-01-01"), lang);
            for u in plan.uses() {
                let want = if automated(&u.name) {
                    "forbidden"
                } else {
                    "allowed"
                };
                assert_eq!(verdict(&html, &u.id), want, "{}", u.id);
            }
            has(
                &html,
                &words
                    .lines()
                    .map(|w| format!("</span> {w}</td>\n"))
                    .collect::<String>(),
            );
            has(&html, "class=\"doubts\" role=\"note\"\n<td class=\"basis\">20");
        }
    }

    /// plan.yaml:200: a number must be valid; anything else is forbidden for every use, and is an
    /// answer, not an error page. Whatever is typed is escaped, and echoed cut short.
    #[test]
    fn malformed_inputs_are_answered_escaped_and_cut() {
        let (fr, plan) = (numplan::embedded::fr().unwrap(), fr_plan());
        let html = ask(&fr, "<script>alert('x')</script>", None, Lang::En);
        has(
            &html,
            r#"data-valid="false"
            Not a valid number:</strong> not a number
            &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"#,
        );
        assert!(!html.contains("<script"));
        for u in plan.uses() {
            assert_eq!(verdict(&html, &u.id), "forbidden", "{}", u.id);
        }
        let html = ask(&fr, "01 62\u{1b}[2J\u{202e}\u{0}", None, Lang::En);
        assert!(!html.contains(['\u{1b}', '\u{202e}', '\u{0}']));
        has(&html, "01 62\\u{1b}[2J\\u{202e}");
        for long in ["7".repeat(1000), "0".repeat(10_000), "<b>".repeat(4000)] {
            let html = ask(&fr, &long, None, Lang::En);
            assert!(
                html.len() < 12_000 && !html.contains(&long[..300]),
                "{} bytes",
                html.len()
            );
            let map = render_map(&fr, day("2026-01-01"), Lang::Fr);
            let page = render_page(&fr, "", &req(Some(&long), Lang::Fr), &|_| day("2026-01-01"), &map);
            assert!(!page.contains("<b>") && !page.contains(&long[..300]));
            balanced(&page);
        }
    }

    #[test]
    fn the_language_is_the_one_asked_then_accepted_then_english() {
        let cases = [
            (Some("fr"), Some("en"), Lang::Fr),
            (Some("FR"), None, Lang::Fr),
            (Some("de"), Some("de-DE, fr-CA;q=0.8, en;q=0.5"), Lang::Fr),
            (None, Some("en-GB,fr;q=0.9"), Lang::En),
            (None, Some("fr;q=0, en;q=0.1"), Lang::En),
            (None, Some("de, it"), Lang::En),
            (None, Some(";;q=,, fr;q=abc,\u{0}"), Lang::En),
            (None, None, Lang::En),
        ];
        for (param, header, lang) in cases {
            assert_eq!(Lang::choose(param, header), lang, "{param:?} {header:?}");
        }
    }

    /// The header says which plan answers (plan.yaml: version 2026-04-17, register of that day).
    #[test]
    fn a_day_that_is_not_one_gives_no_answer_and_says_so() {
        let fr = numplan::embedded::fr().unwrap();
        let map = render_map(&fr, day("2026-01-01"), Lang::En);
        let req = PageRequest {
            at_error: Some("at=2026-13-01: <month> 13"),
            ..req(Some("0162123456"), Lang::En)
        };
        let page = render_page(&fr, "00", &req, &|_| day("2026-01-01"), &map);
        has(&page, "id=\"at-error\"");
        has(&page, "at=2026-13-01: &lt;month&gt; 13");
        assert!(!page.contains("id=\"answer\""), "no answer for today instead");
        assert!(render_answer(&fr, &req, &|_| day("2026-01-01")).is_empty());
    }

    #[test]
    fn the_page_has_the_plan_the_form_and_the_map_and_no_answer_without_a_number() {
        let fr = numplan::embedded::fr().unwrap();
        let map = render_map(&fr, day("2026-01-01"), Lang::Fr);
        let page = render_page(
            &fr,
            "0123456789abcdef",
            &req(None, Lang::Fr),
            &|_| day("2026-01-01"),
            &map,
        );
        has(&page, &format!("séquence {}", fr_plan().sequence()));
        has(
            &page,
            r#"<html lang="fr">
            <form id="ask" method="get" action="/"
            <label for="number">Numéro</label> <input id="number" name="number"
            name="at" type="date" value=""
            <input type="hidden" name="lang" value="fr">
            version 2026-04-17
            registre du 2026-04-17
            <code>0123456789ab</code>
            <svg xmlns="http://www.w3.org/2000/svg" id="map"
            data-day="2026-01-01""#,
        );
        for absent in ["id=\"answer\"", "<?xml", "0123456789abc", "src=", "https:"] {
            assert!(!page.contains(absent), "{absent}");
        }
        assert_eq!(
            (page.matches("<style>").count(), page.matches("<script>").count()),
            (1, 1)
        );
        balanced(&page);
    }

    /// Without a day, the answer is for today in the number's territory (plan.yaml:53–56: La
    /// Réunion keeps Indian/Reunion time), and in the plan's zone for an input that is no number.
    #[test]
    fn today_is_the_numbers_territorys() {
        let fr = numplan::embedded::fr().unwrap();
        let html = ask(&fr, "0262 12 34 56", None, Lang::En);
        has(&html, "data-day=\"2026-01-02\"\n(today in Indian/Reunion)");
        for n in ["0162123456", "not a number"] {
            has(
                &ask(&fr, n, None, Lang::En),
                "data-day=\"2026-01-01\"\n(today in Europe/Paris)",
            );
        }
        assert_eq!(ask(&fr, "", None, Lang::En) + &ask(&fr, "  ", None, Lang::En), "");
    }

    /// The map counts what the sources hold: for every 4-digit stripe of 01…09 that no narrower
    /// range cuts, its numbers (Σ 10^(length − 4) over the lengths of its range), its category,
    /// and its numbers in blocks of the register (MAJNUM.csv), on the register's day.
    #[test]
    fn the_french_map_counts_what_the_sources_hold() {
        let (fr, plan) = (numplan::embedded::fr().unwrap(), fr_plan());
        let on = plan.register_date().expect("a dated register");
        let m = map_model(&fr, on);
        let ids: Vec<&str> = plan.categories().iter().map(|c| c.id.as_str()).collect();
        let prefixes: Vec<&String> = plan.ranges().iter().flat_map(|r| &r.prefixes).collect();
        let held = |b: &&numplan::plan::Block| b.operator.is_some() && b.allocated.is_none_or(|d| d <= on);
        let mut checked = 0;
        for s in m.rows.iter().filter(|(r, _)| r.len() == 2).flat_map(|(_, s)| s) {
            let q = s.prefix.as_str();
            if prefixes.iter().any(|p| p.len() > 4 && p.starts_with(q)) {
                continue; // a narrower range cuts it
            }
            let (mut numbers, mut category, mut allocated) = (0.0, None, 0.0);
            if let Some(r) = plan.resolver().at(q, on).map(|r| &plan.ranges()[r]) {
                let c = &plan.categories()[r.category];
                let lengths = r.lengths.as_ref().unwrap_or(&c.lengths);
                numbers = lengths.iter().map(|&n| 10f64.powi(i32::from(n) - 4)).sum();
                category = Some(c.id.as_str());
            }
            for b in plan.blocks().iter().filter(held) {
                if b.prefix.starts_with(q) || q.starts_with(b.prefix.as_str()) {
                    allocated += 10f64.powi(i32::from(b.length) - b.prefix.len().max(4) as i32);
                }
            }
            assert_eq!((s.numbers, s.allocated), (numbers, allocated), "{q}");
            assert_eq!(s.main().map(|c| ids[c.0]), category, "{q}");
            checked += 1;
        }
        assert!(checked > 800, "{checked} stripes checked");
        // ranges.yaml:26–31: 0162 (10-digit numbers) has blocks, 0163 none yet.
        let (s0162, s0163) = (stripe(&m, "0162"), stripe(&m, "0163"));
        assert_eq!((s0162.numbers, s0163.share()), (1e6, 0.0));
        assert!(s0162.share() > 0.0);
        assert!(m.rows.iter().flat_map(|(_, s)| s).any(|s| s.share() == 1.0));
        // ranges.yaml:201: 15 is an emergency number; numbers without the trunk prefix get rows.
        let rows: Vec<&str> = m.rows.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(rows.join(" "), "01 02 03 04 05 06 07 08 09 1 3");
        let urgent = stripe(&m, "150").main().map(|c| ids[c.0]);
        assert_eq!(urgent, Some(category_of(plan, "15", on)));
        // Drawn: 0162 in its category's colour, linked to one of its numbers.
        let svg = render_map(&fr, on, Lang::En);
        assert!(svg.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "));
        let cat = category_of(plan, "0162", on);
        let fill = colour(ids.iter().position(|c| *c == cat).expect("a category"));
        let cell = &svg[svg.find("<a href=\"/?number=0162").expect("a link")..];
        let cell = &cell[..cell.find("</a>").expect("a cell")];
        has(
            cell,
            &format!("data-prefix=\"0162\" data-category=\"{cat}\"\nfill=\"{fill}\""),
        );
        has(cell, "data-numbers=\"1000000\"");
        balanced(&svg);
    }

    /// The Canadian plan: numbers are NXX-NXX-XXXX with N = 2–9 (plan.yaml), so NPA 613 is
    /// 6132–6139 (ranges.yaml:65, Ontario); 212 is another NANP member's (plan.yaml:160–163,
    /// `foreign`); CNAC's register of 2024-10-10 gives 613-555 "For Special Use" with no holder
    /// (COCodeStatus-2024-10-10.csv:27558), which makes every use forbidden ("not allocated").
    #[test]
    fn the_canadian_plan_draws_its_area_codes_and_answers_with_statuses() {
        let (ca, plan, on) = (
            Artifact::open(CA).expect("an artifact"),
            plan("ca"),
            day("2024-10-10"),
        );
        let m = map_model(&ca, on);
        let ids: Vec<&str> = plan.categories().iter().map(|c| c.id.as_str()).collect();
        let (npa, us) = (stripe(&m, "613"), stripe(&m, "212"));
        assert_eq!(npa.numbers, 8e6);
        assert_eq!(npa.main().map(|c| ids[c.0]), Some(category_of(&plan, "6135", on)));
        assert!(us.foreign.is_some() && us.numbers == 0.0);
        assert_eq!(m.rows.first().map(|r| r.0.as_str()), Some("2"));
        let svg = render_map(&ca, on, Lang::Fr);
        has(
            &svg,
            "data-prefix=\"613\" data-category=\nclass=\"cell foreign\" data-prefix=\"212\"",
        );
        let html = ask(&ca, "(613) 555-0123", Some("2024-10-10"), Lang::En);
        has(
            &html,
            r#"data-field="status">For Special Use (Universal Information), block 613555
            none: the register names no holder on 2024-10-10"#,
        );
        for u in plan.uses() {
            assert_eq!(verdict(&html, &u.id), "forbidden", "{}", u.id);
        }
        let html = ask(&ca, "+1 212 555 1234", Some("2024-10-10"), Lang::En);
        has(&html, "data-valid=\"false\"\nAnother plan's number:");
        assert!(plan.uses().iter().all(|u| verdict(&html, &u.id) == "unknown"));
        let map = render_map(&ca, on, Lang::Fr);
        let page = render_page(&ca, "00", &req(Some("613 555 0123"), Lang::Fr), &|_| on, &map);
        has(
            &page,
            "class=\"cell here\" data-prefix=\"613\"\nTitulaire du bloc",
        );
        balanced(&page);
    }

    /// Nothing panics, whatever is typed, on either plan, on any day.
    #[test]
    fn no_input_makes_the_page_panic() {
        let (fr, ca) = (
            numplan::embedded::fr().unwrap(),
            Artifact::open(CA).expect("an artifact"),
        );
        let inputs = "+|00|0|+33|+1|011|0033 (0)1 62 12 34 56|1-613-555-0123|911|15|+44 20 7946 0000|\
                      0700 0000 0000 00|٠١٦٢١٢٣٤٥٦|\u{202e}0162|\"'&<>|0162 12 34 56 78 90";
        for a in [&fr, &ca] {
            for n in inputs.split('|') {
                for at in [None, Some("1900-01-01"), Some("2026-01-01"), Some("2999-12-31")] {
                    let html = ask(a, n, at, Lang::Fr);
                    assert!(html.contains("data-valid=\""), "{n}");
                    balanced(&html);
                }
            }
            assert!(render_map(a, day("1900-01-01"), Lang::En).ends_with("</svg>\n"));
        }
    }
}
