//! Diagnostics: problems found in plan sources, as data.
//!
//! A [`Diagnostic`] has a stable [`Code`], a severity, a message, a primary location with a label,
//! optional secondary locations, and a help line. Rendering is separate: [`render_human`] draws
//! them rustc-style with `annotate-snippets` (colour is the caller's choice), [`render_json`] and
//! [`render_github`] serve tools and CI.

use crate::span::{SourceMap, Span};
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::fmt::Write as _;

/// How bad a problem is. Errors fail `check`; warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The plan is wrong; it will not compile.
    Error,
    /// Suspicious, but the plan compiles.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $name:literal, $doc:literal;)*) => {
        /// The stable code of a diagnostic. Codes are never reused for another meaning.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(#[doc = $doc] $variant,)*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as written in diagnostics, e.g. `E0101`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// A short kebab-case name, e.g. `unknown-key`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// One line saying what the code means.
            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => $doc,)* }
            }
        }
    };
}

codes! {
    Io = "E0001", "io", "A file of the plan cannot be read.";
    TooLarge = "E0002", "too-large", "A source file is larger than the limit, or the YAML exceeds its budget.";
    BadPath = "E0003", "bad-path", "A file name in plan.yaml is absolute or leaves the plan directory.";
    YamlSyntax = "E0101", "yaml-syntax", "The file is not valid YAML.";
    UnknownKey = "E0102", "unknown-key", "A key that the format does not have (often a misspelling).";
    YamlShape = "E0103", "yaml-shape", "A value has the wrong type, or a required key is missing.";
    DuplicateKey = "E0104", "duplicate-key", "A mapping has the same key twice.";
    BadId = "E0105", "bad-id", "An identifier is not a slug of lower-case letters, digits and `-`.";
    DuplicateId = "E0106", "duplicate-id", "Two definitions share one identifier.";
    RangeSyntax = "E0201", "range-syntax", "A `numbers:` value is not valid range syntax.";
    BadDate = "E0202", "bad-date", "A date cannot be read, or is not a calendar date.";
    EmptyPeriod = "E0203", "empty-period", "`until` is not after `from`.";
    BadValue = "E0204", "bad-value", "A value is out of its allowed set (a country code, a length, a dialling prefix).";
    UnknownTimeZone = "E0205", "unknown-time-zone", "A time zone is not in the IANA tz database that numplan bundles.";
    UnknownCategory = "E0301", "unknown-category", "A range names a category that is not defined.";
    UnknownTerritory = "E0302", "unknown-territory", "A range or register row names a territory that is not defined.";
    UnknownRule = "E0303", "unknown-rule", "A category states a rule that plan.yaml does not declare.";
    UnknownRuleValue = "E0304", "unknown-rule-value", "A rule is given a value its declaration does not allow.";
    UnknownDocument = "E0305", "unknown-document", "A `basis:` cites a document that plan.yaml does not declare.";
    RuleOverlap = "E0306", "rule-overlap", "Two statements of the same rule (or verdicts for the same use) of a category overlap in time.";
    UnknownUse = "E0307", "unknown-use", "A verdict or requirement names a use that plan.yaml does not declare.";
    UnknownCondition = "E0308", "unknown-condition", "A verdict or requirement names a condition that plan.yaml does not declare.";
    UnknownContext = "E0309", "unknown-context", "A condition's `when` names a context key or value that plan.yaml does not declare.";
    RangeConflict = "E0401", "range-conflict", "Two ranges cover the same numbers on the same date with different categories or territories.";
    LengthNotAllowed = "E0402", "length-not-allowed", "Numbers have a length that their category does not allow.";
    RedundantRange = "E0403", "redundant-range", "A range repeats another one exactly (same numbers, dates, category and territory).";
    RegisterFormat = "E0501", "register-format", "A register file's header, quoting or field count is wrong.";
    RegisterValue = "E0502", "register-value", "A register field is not what its column holds (digits, a dd/mm/yyyy date).";
    TrancheMismatch = "E0503", "tranche-mismatch", "Tranche_Debut/Tranche_Fin are not the block prefix padded with 0s and 9s.";
    BlockOutsidePlan = "E0504", "block-outside-plan", "A register block lies in no range of the plan.";
    UnknownOperator = "E0505", "unknown-operator", "A register block names an operator code that no operator list has.";
    DuplicateBlock = "E0506", "duplicate-block", "A register block is listed twice, or overlaps another block.";
    RegisterTerritory = "E0507", "register-territory", "A register block's Territoire is not a known territory name, or not its range's territory.";
    DuplicateOperator = "E0508", "duplicate-operator", "An operator code is defined twice.";
    SnapshotOrder = "E0509", "snapshot-order", "Register snapshots are not dated in order before the register's own date, or have no register date to follow.";
}

/// A labelled location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is there (may be empty).
    pub message: String,
}

/// One problem in the plan sources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The main location; `None` only when no file is involved (a missing plan directory).
    pub primary: Option<Label>,
    /// Related locations (the other range of a conflict, the first definition of a duplicate).
    pub secondary: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `span`, the label repeating nothing.
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary: Some(Label {
                span,
                message: String::new(),
            }),
            secondary: Vec::new(),
            help: None,
        }
    }

    /// An error that no file location can point at.
    pub fn error_unlocated(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
        }
    }

    /// Makes it a warning.
    pub fn warning(mut self) -> Diagnostic {
        self.severity = Severity::Warning;
        self
    }

    /// Sets the primary label's text.
    pub fn with_label(mut self, message: impl Into<String>) -> Diagnostic {
        if let Some(p) = &mut self.primary {
            p.message = message.into();
        }
        self
    }

    /// Adds a secondary location.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// `path:line:column` of the primary location, or `None`.
    pub fn location(&self, sources: &SourceMap) -> Option<String> {
        self.primary.as_ref().map(|p| sources.locate(p.span))
    }
}

/// Orders diagnostics by file, position, then code, so output is stable.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        let key = |d: &Diagnostic| d.primary.as_ref().map(|p| (p.span.file, p.span.start));
        key(a)
            .cmp(&key(b))
            .then(a.code.cmp(&b.code))
            .then(a.message.cmp(&b.message))
    });
}

/// Renders diagnostics rustc-style. `color` adds ANSI colours (decide with a terminal check and
/// `NO_COLOR`). Ends with a summary line when there is any diagnostic.
pub fn render_human(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diags {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let title = level.primary_title(d.message.as_str()).id(d.code.as_str());
        let mut groups: Vec<Group<'_>> = Vec::new();
        match &d.primary {
            Some(primary) => {
                let mut spans: Vec<(&Label, AnnotationKind)> = vec![(primary, AnnotationKind::Primary)];
                spans.extend(d.secondary.iter().map(|l| (l, AnnotationKind::Context)));
                // One snippet per file, in order of first appearance.
                let mut files = Vec::new();
                for (l, _) in &spans {
                    if !files.contains(&l.span.file) {
                        files.push(l.span.file);
                    }
                }
                let mut group = Group::with_title(title);
                for file in files {
                    let f = sources.file(file);
                    let mut snippet = Snippet::source(f.text()).path(f.path()).fold(true);
                    for (l, kind) in spans.iter().filter(|(l, _)| l.span.file == file) {
                        let range = char_range(f.text(), l.span.range());
                        snippet = snippet.annotation(kind.span(range).label(l.message.as_str()));
                    }
                    group = group.element(snippet);
                }
                if let Some(help) = &d.help {
                    group = group.element(Level::HELP.message(help.as_str()));
                }
                groups.push(group);
            }
            None => {
                let mut group = Group::with_title(title);
                if let Some(help) = &d.help {
                    group = group.element(Level::HELP.message(help.as_str()));
                }
                groups.push(group);
            }
        }
        out.push_str(&renderer.render(&groups));
        out.push_str("\n\n");
    }
    let errors = diags.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = diags.len() - errors;
    if !diags.is_empty() {
        let _ = writeln!(
            out,
            "{} error{}, {} warning{}",
            errors,
            if errors == 1 { "" } else { "s" },
            warnings,
            if warnings == 1 { "" } else { "s" }
        );
    }
    out
}

/// `range` widened to character boundaries and clamped to the text (a defence: spans are made on
/// boundaries, but a renderer must not panic if one is not).
fn char_range(text: &str, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let mut start = range.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = range.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// Renders diagnostics as a JSON document: `{"errors": N, "warnings": N, "diagnostics": [...]}`.
/// Each diagnostic has `code`, `name`, `severity`, `message`, `file`, `line`, `column`,
/// `end_line`, `end_column`, `text` (the source it points at), `label`, `help`, `related`.
pub fn render_json(diags: &[Diagnostic], sources: &SourceMap) -> String {
    use serde_json::{Value, json};
    let loc = |l: &Label| {
        let f = sources.file(l.span.file);
        let (line, column) = f.line_col(l.span.start as usize);
        let (end_line, end_column) = f.line_col(l.span.end as usize);
        json!({
            "file": f.path(),
            "line": line,
            "column": column,
            "end_line": end_line,
            "end_column": end_column,
            "text": sources.slice(l.span),
            "label": l.message,
        })
    };
    let items: Vec<Value> = diags
        .iter()
        .map(|d| {
            let mut v = json!({
                "code": d.code.as_str(),
                "name": d.code.name(),
                "severity": d.severity.as_str(),
                "message": d.message,
                "help": d.help,
                "related": d.secondary.iter().map(loc).collect::<Vec<_>>(),
            });
            let obj = v
                .as_object_mut()
                .expect("json! of an object literal is an object");
            match &d.primary {
                Some(p) => {
                    if let Value::Object(m) = loc(p) {
                        obj.extend(m);
                    }
                }
                None => {
                    for k in [
                        "file",
                        "line",
                        "column",
                        "end_line",
                        "end_column",
                        "text",
                        "label",
                    ] {
                        obj.insert(k.to_string(), Value::Null);
                    }
                }
            }
            v
        })
        .collect();
    let errors = diags.iter().filter(|d| d.severity == Severity::Error).count();
    let doc = json!({
        "errors": errors,
        "warnings": diags.len() - errors,
        "diagnostics": items,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// Renders diagnostics as GitHub Actions workflow commands (`::error file=…,line=…::message`).
pub fn render_github(diags: &[Diagnostic], sources: &SourceMap) -> String {
    // Workflow command escaping: properties escape `%`, CR, LF, `:` and `,`; messages `%`, CR, LF.
    fn esc_msg(s: &str) -> String {
        s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
    }
    fn esc_prop(s: &str) -> String {
        esc_msg(s).replace(':', "%3A").replace(',', "%2C")
    }
    let mut out = String::new();
    for d in diags {
        let mut msg = d.message.clone();
        if let Some(help) = &d.help {
            msg.push_str("\nhelp: ");
            msg.push_str(help);
        }
        let title = format!("{} {}", d.code.as_str(), d.code.name());
        match &d.primary {
            Some(p) => {
                let f = sources.file(p.span.file);
                let (line, col) = f.line_col(p.span.start as usize);
                let (end_line, end_col) = f.line_col(p.span.end as usize);
                let _ = write!(
                    out,
                    "::{} file={},line={line},col={col},endLine={end_line},",
                    d.severity.as_str(),
                    esc_prop(f.path())
                );
                if end_line == line {
                    let _ = write!(out, "endColumn={end_col},");
                }
                let _ = writeln!(out, "title={}::{}", esc_prop(&title), esc_msg(&msg));
            }
            None => {
                let _ = writeln!(
                    out,
                    "::{} title={}::{}",
                    d.severity.as_str(),
                    esc_prop(&title),
                    esc_msg(&msg)
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (SourceMap, Vec<Diagnostic>) {
        let mut map = SourceMap::new();
        let f = map.add("plan/ranges.yaml", "ranges:\n  - numbers: 01a2\n".to_string());
        let d = Diagnostic::error(Code::RangeSyntax, Span::new(f, 23..24), "bad range syntax")
            .with_label("expected a digit")
            .with_help("write digits, spaces and `-` only");
        (map, vec![d])
    }

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {}", c.as_str());
            assert!(c.as_str().len() == 5 && c.as_str().starts_with('E'));
            assert!(c.name().chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'));
        }
    }

    #[test]
    fn human_rendering_points_at_the_text() {
        let (map, diags) = sample();
        let out = render_human(&diags, &map, false);
        assert!(out.contains("error[E0201]: bad range syntax"), "{out}");
        assert!(out.contains("plan/ranges.yaml:2:16"), "{out}");
        assert!(out.contains("^ expected a digit"), "{out}");
        assert!(out.contains("help: write digits"), "{out}");
        assert!(out.ends_with("1 error, 0 warnings\n"), "{out}");
        assert!(!out.contains('\u{1b}'), "no colour unless asked");
    }

    #[test]
    fn json_and_github_carry_the_location() {
        let (map, diags) = sample();
        let v: serde_json::Value = serde_json::from_str(&render_json(&diags, &map)).unwrap();
        assert_eq!(v["errors"], 1);
        assert_eq!(v["diagnostics"][0]["line"], 2);
        assert_eq!(v["diagnostics"][0]["column"], 16);
        assert_eq!(v["diagnostics"][0]["text"], "a");
        let gh = render_github(&diags, &map);
        assert!(
            gh.starts_with("::error file=plan/ranges.yaml,line=2,col=16,endLine=2,endColumn=17,title=E0201 range-syntax::bad range syntax%0Ahelp: "),
            "{gh}"
        );
    }
}
