//! Diagnostics: problems found in plan sources, as data.
//!
//! A [`Diagnostic`] has a stable [`Code`], a severity, a message, a primary location with a label,
//! optional secondary locations, and a help line. Rendering is separate: [`render_human`] draws
//! them rustc-style with `annotate-snippets` (colour is the caller's choice), [`render_json`] and
//! [`render_github`] serve tools and CI.
//!
//! Plan text and file names reach a terminal through these renderers (and the CLI's outputs):
//! [`escape_controls`] writes their control characters (C0, DEL, C1) and bidirectional controls
//! as `\u{…}`, so that no input can move the cursor, retitle the window or reorder what is shown;
//! validation refuses such characters in plan text ([`is_unsafe_text_char`]).

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
    ControlCharacter = "E0206", "control-character", "A text or file name holds a control character (C0 with tab and line feed, DEL, C1) or a bidirectional control (U+202A–U+202E, U+2066–U+2069, U+061C, U+200E, U+200F, U+2028, U+2029).";
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
    RegisterDate = "E0510", "register-date", "A register file's own date (CNAC's date row) is missing, malformed, or not the date plan.yaml gives it.";
    UnknownStatus = "E0511", "unknown-status", "A register row has a status the reader does not know (a warning: the row is kept, held only if it names a holder).";
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
    /// How many further diagnostics of the same code in the same file this one stands for, not
    /// shown (see [`cap`]); 0 for most.
    pub more: usize,
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
            more: 0,
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
            more: 0,
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

/// At most this many diagnostics of one code are shown for one file; the last one shown counts
/// the rest (a register with a hundred thousand duplicate rows gives 50 located errors and a
/// count, not a hundred thousand snippets).
pub const MAX_PER_FILE_AND_CODE: usize = 50;

/// Sorts the diagnostics (see [`sort`]) and keeps at most [`MAX_PER_FILE_AND_CODE`] of each code
/// in each file; the last one kept records in [`Diagnostic::more`] how many were left out.
/// Counts ([`count`], the renderers' summaries) still include them.
pub fn cap(diags: &mut Vec<Diagnostic>) {
    sort(diags);
    let mut shown: std::collections::HashMap<(Option<crate::span::FileId>, Code), (usize, usize)> =
        std::collections::HashMap::new();
    let mut kept: Vec<Diagnostic> = Vec::with_capacity(diags.len().min(4096));
    for d in diags.drain(..) {
        let key = (d.primary.as_ref().map(|p| p.span.file), d.code);
        let entry = shown.entry(key).or_insert((0, 0));
        if entry.0 < MAX_PER_FILE_AND_CODE {
            entry.0 += 1;
            entry.1 = kept.len();
            kept.push(d);
        } else {
            kept[entry.1].more += 1 + d.more;
        }
    }
    *diags = kept;
}

/// The numbers of errors and of warnings, counting those [`cap`] left out.
pub fn count(diags: &[Diagnostic]) -> (usize, usize) {
    diags.iter().fold((0, 0), |(e, w), d| match d.severity {
        Severity::Error => (e + 1 + d.more, w),
        Severity::Warning => (e, w + 1 + d.more),
    })
}

/// The note a capped diagnostic carries.
fn more_note(d: &Diagnostic, sources: &SourceMap) -> Option<String> {
    (d.more > 0).then(|| {
        let file = d.primary.as_ref().map_or(String::new(), |p| {
            format!(" in {}", sources.file(p.span.file).path())
        });
        format!(
            "{} more {} ({}){file} not shown",
            group_digits(d.more),
            d.code.as_str(),
            d.code.name()
        )
    })
}

/// Whether `c` is a bidirectional control (embedding, override or isolate, U+202A–U+202E and
/// U+2066–U+2069; the marks U+061C, U+200E and U+200F) or a Unicode line or paragraph separator
/// (U+2028, U+2029): printed raw, it reorders the text shown after it or breaks its line.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Whether `c` may not appear in plan text (names, descriptions, file names…): a C0 control (tab
/// and line feed included: plan text is one line, and a line break in a name would forge a line of
/// `query`'s output), DEL, a C1 control, or a bidirectional control. Printed raw, each could
/// rewrite a terminal's output (E0206).
pub fn is_unsafe_text_char(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// Whether `c` is written escaped by [`escape_controls`]: every control character (C0 with tab
/// and line breaks, DEL, C1) and the bidirectional controls.
fn is_escaped(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// `text` with its control characters (ANSI and OSC escapes, tabs and line breaks, DEL, C1) and
/// bidirectional controls written as `\u{…}`: input and plan text are never echoed raw to a
/// terminal.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_escaped) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_escaped(c) {
            let _ = write!(out, "{}", c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// Whether `c` is left raw by serde_json and escaped by [`escape_json_controls`]: DEL, the C1
/// controls and the bidirectional controls (serde_json escapes C0 itself).
pub fn is_json_escaped(c: char) -> bool {
    is_escaped(c) && (!c.is_ascii() || c == '\u{7f}')
}

/// A JSON document with its DEL, C1 and bidirectional control characters written as `\uXXXX`
/// escapes (serde_json escapes C0 itself): the same document for a parser, inert on a terminal.
/// Such characters only occur inside JSON strings, where the escape means the same character.
/// Every JSON output (`check`, `query`, `diff`) follows this one rule.
pub fn escape_json_controls(json: String) -> String {
    if !json.chars().any(is_json_escaped) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_json_escaped(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// A source excerpt with its C1 controls written as `\u{…}` (the renderer shows C0, DEL and
/// bidirectional controls as visible symbols itself, but prints C1 raw), and the map from byte
/// offsets in `text` to offsets in the result.
fn visible_excerpt(text: &str) -> (std::borrow::Cow<'_, str>, impl Fn(usize) -> usize) {
    let c1 = |c: char| ('\u{80}'..='\u{9f}').contains(&c);
    // (offset of a replaced character in `text`, bytes added by its escape)
    let mut shifts: Vec<(usize, usize)> = Vec::new();
    let shown = if text.chars().any(c1) {
        let mut out = String::with_capacity(text.len() + 16);
        for (i, c) in text.char_indices() {
            if c1(c) {
                let before = out.len();
                let _ = write!(out, "{}", c.escape_unicode());
                shifts.push((i, out.len() - before - c.len_utf8()));
            } else {
                out.push(c);
            }
        }
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    let map = move |offset: usize| {
        offset
            + shifts
                .iter()
                .take_while(|(at, _)| *at < offset)
                .map(|(_, added)| added)
                .sum::<usize>()
    };
    (shown, map)
}

/// A count for people: digits grouped by thousands with commas (`5,828,007`), as every human
/// output of numplan writes counts; anything that does not display as digits is left as it is.
pub fn group_digits(n: impl std::fmt::Display) -> String {
    let digits = n.to_string();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits;
    }
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
        let message = escape_controls(&d.message);
        let title = level.primary_title(message.as_ref()).id(d.code.as_str());
        let note = more_note(d, sources).map(|n| escape_controls(&n).into_owned());
        let help = d.help.as_deref().map(escape_controls);
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
                    for (lines, labels) in
                        excerpts(f, spans.iter().copied().filter(|(l, _)| l.span.file == file))
                    {
                        let text = lone_cr_as_lf(&f.text()[lines.clone()]);
                        let (excerpt, shift) = visible_excerpt(&text);
                        let excerpt = excerpt.into_owned();
                        let mut snippet = Snippet::source(excerpt.clone())
                            .path(escape_controls(f.path()).into_owned())
                            .line_start(f.line_col(lines.start).0)
                            .fold(true);
                        for (l, kind) in labels {
                            let range = l.span.range();
                            let range = range.start.max(lines.start) - lines.start
                                ..range.end.clamp(lines.start, lines.end) - lines.start;
                            let range = char_range(&excerpt, shift(range.start)..shift(range.end));
                            let label = escape_controls(&l.message).into_owned();
                            snippet = snippet.annotation(kind.span(range).label(label));
                        }
                        group = group.element(snippet);
                    }
                }
                if let Some(help) = &help {
                    group = group.element(Level::HELP.message(help.as_ref()));
                }
                if let Some(note) = &note {
                    group = group.element(Level::NOTE.message(note.as_str()));
                }
                groups.push(group);
            }
            None => {
                let mut group = Group::with_title(title);
                if let Some(help) = &help {
                    group = group.element(Level::HELP.message(help.as_ref()));
                }
                if let Some(note) = &note {
                    group = group.element(Level::NOTE.message(note.as_str()));
                }
                groups.push(group);
            }
        }
        out.push_str(&renderer.render(&groups));
        out.push_str("\n\n");
    }
    let (errors, warnings) = count(diags);
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

/// Two labels of a file this many lines apart or closer share one excerpt (the renderer folds
/// the lines between); farther apart, each has its own, so that a diagnostic never costs more
/// than about this many lines to render.
const EXCERPT_GAP_LINES: usize = 100;

/// `text` with each CR that is not followed by LF made a LF (same length, same offsets): the
/// renderer counts lines by LF, [`SourceMap`] also by a lone CR (old Mac files).
fn lone_cr_as_lf(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let lone = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    if !(0..bytes.len()).any(lone) {
        return std::borrow::Cow::Borrowed(text);
    }
    let fixed: String = text
        .char_indices()
        .map(|(i, c)| if c == '\r' && lone(i) { '\n' } else { c })
        .collect();
    std::borrow::Cow::Owned(fixed)
}

/// Labels with the kind of annotation they are drawn as.
type Labels<'l> = Vec<(&'l Label, AnnotationKind)>;

/// The excerpts of one file that a diagnostic shows: the byte ranges of whole lines around its
/// labels (labels close together share one), each with its labels. Rendering only these lines,
/// not the whole file, keeps the cost of a diagnostic proportional to what it shows, whatever
/// the file's size.
fn excerpts<'l>(
    f: &crate::span::SourceFile,
    labels: impl Iterator<Item = (&'l Label, AnnotationKind)>,
) -> Vec<(std::ops::Range<usize>, Labels<'l>)> {
    let mut labelled: Vec<(usize, usize, &'l Label, AnnotationKind)> = labels
        .map(|(l, kind)| {
            let range = l.span.range();
            let first = f.line_col(range.start).0;
            let last = f.line_col(range.end.max(range.start)).0;
            (first, last, l, kind)
        })
        .collect();
    labelled.sort_by_key(|&(first, last, ..)| (first, last));
    let mut out: Vec<(usize, usize, Labels<'l>)> = Vec::new();
    for (first, last, l, kind) in labelled {
        match out.last_mut() {
            Some((_, end, members)) if first <= *end + EXCERPT_GAP_LINES => {
                *end = (*end).max(last);
                members.push((l, kind));
            }
            _ => out.push((first, last, vec![(l, kind)])),
        }
    }
    // The excerpt with the primary label first: the renderer's `-->` line points at it.
    if let Some(i) = out.iter().position(|(.., members)| {
        members
            .iter()
            .any(|(_, kind)| matches!(kind, AnnotationKind::Primary))
    }) {
        out[..=i].rotate_right(1);
    }
    out.into_iter()
        .map(|(first, last, members)| {
            let start = f.line_start(first);
            // The end of the last line, without its line break.
            let end = f.line_start(last + 1);
            let text = &f.text()[start..end.max(start)];
            let trimmed = text.trim_end_matches(['\n', '\r']).len();
            (start..start + trimmed, members)
        })
        .collect()
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
/// `end_line`, `end_column`, `text` (the source it points at), `label`, `help`, `related`,
/// `more_not_shown` (see [`cap`]; the document's counts include those).
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
                "more_not_shown": d.more,
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
    let (errors, warnings) = count(diags);
    let doc = json!({
        "errors": errors,
        "warnings": warnings,
        "diagnostics": items,
    });
    let mut s = escape_json_controls(serde_json::to_string_pretty(&doc).unwrap_or_default());
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
        // Plan text and file names escaped first: the line breaks below are the only ones.
        let mut msg = escape_controls(&d.message).into_owned();
        if let Some(help) = &d.help {
            msg.push_str("\nhelp: ");
            msg.push_str(&escape_controls(help));
        }
        if let Some(note) = more_note(d, sources) {
            msg.push_str("\nnote: ");
            msg.push_str(&escape_controls(&note));
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
                    esc_prop(&escape_controls(f.path()))
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

    /// A file of `lines` lines `row N` and a duplicate-row error on each of `bad` (1-based), each
    /// pointing back at line 1.
    fn duplicates(lines: usize, bad: &[usize]) -> (SourceMap, Vec<Diagnostic>) {
        let text: String = (1..=lines).map(|n| format!("row {n}\n")).collect();
        let mut map = SourceMap::new();
        let f = map.add("MAJNUM.csv", text);
        let diags = bad
            .iter()
            .map(|&n| {
                let file = map.file(f);
                let start = file.line_start(n);
                let end = file.line_start(n + 1) - 1;
                Diagnostic::error(
                    Code::DuplicateBlock,
                    Span::new(f, start..end),
                    format!("duplicate of line 1 at {n}"),
                )
                .with_secondary(Span::new(f, 0..5), "first here")
            })
            .collect();
        (map, diags)
    }

    #[test]
    fn far_apart_labels_are_shown_with_their_own_line_numbers() {
        let (map, diags) = duplicates(100_000, &[99_999]);
        let out = render_human(&diags, &map, false);
        assert!(
            out.contains("--> MAJNUM.csv:99999:1"),
            "the header points at the primary label: {out}"
        );
        assert!(out.contains("::: MAJNUM.csv:1:1"), "{out}");
        // Line numbers in the gutter, and the text of both lines, but not the lines between.
        assert!(out.contains("99999 | row 99999"), "{out}");
        assert!(out.contains("1 | row 1"), "{out}");
        assert!(!out.contains("row 50000"), "{out}");
        assert!(out.contains("first here"), "{out}");
    }

    #[test]
    fn close_labels_share_one_excerpt() {
        let (map, diags) = duplicates(200, &[90]);
        let out = render_human(&diags, &map, false);
        // Lines 1 to 90 in one snippet, the lines between folded.
        assert!(out.contains("--> MAJNUM.csv:90:1"), "{out}");
        assert!(out.contains("...\n90 | row 90"), "{out}");
        assert_eq!(out.matches("MAJNUM.csv").count(), 1, "{out}");
    }

    #[test]
    fn cap_keeps_some_of_each_code_and_counts_the_rest() {
        let bad: Vec<usize> = (2..=1001).collect();
        let (map, mut diags) = duplicates(1001, &bad);
        cap(&mut diags);
        assert_eq!(diags.len(), MAX_PER_FILE_AND_CODE);
        assert_eq!(diags.last().map(|d| d.more), Some(1000 - MAX_PER_FILE_AND_CODE));
        assert_eq!(count(&diags), (1000, 0));
        let out = render_human(&diags, &map, false);
        assert!(out.ends_with("1000 errors, 0 warnings\n"), "{out}");
        assert!(out.contains("note: 950 more E0506"), "{out}");
        let v: serde_json::Value = serde_json::from_str(&render_json(&diags, &map)).unwrap();
        assert_eq!(v["errors"], 1000);
        assert_eq!(
            v["diagnostics"].as_array().map(Vec::len),
            Some(MAX_PER_FILE_AND_CODE)
        );
        assert_eq!(v["diagnostics"][MAX_PER_FILE_AND_CODE - 1]["more_not_shown"], 950);
        assert!(render_github(&diags, &map).contains("950 more E0506"));
    }

    #[test]
    fn cr_only_files_are_drawn_line_by_line() {
        let text: String = (1..=5).map(|n| format!("row {n}\r")).collect();
        let mut map = SourceMap::new();
        let f = map.add("old-mac.csv", text);
        let start = map.file(f).line_start(4);
        let d = Diagnostic::error(Code::DuplicateBlock, Span::new(f, start..start + 5), "again")
            .with_secondary(Span::new(f, 0..5), "first here");
        let out = render_human(&[d], &map, false);
        assert!(out.contains("--> old-mac.csv:4:1"), "{out}");
        assert!(out.contains("4 | row 4\n"), "{out}");
        assert!(!out.contains('\u{240d}'), "no CR symbol: {out}");
    }

    #[test]
    fn cr_only_files_are_counted_in_lines() {
        let mut map = SourceMap::new();
        let f = map.add("old-mac.csv", "a\rb\r\nc\nd".to_string());
        let file = map.file(f);
        assert_eq!(file.line_col(2), (2, 1), "after a lone CR");
        assert_eq!(file.line_col(5), (3, 1), "after CR LF");
        assert_eq!(file.line_col(7), (4, 1), "after LF");
    }

    #[test]
    fn controls_are_escaped_and_refused() {
        assert_eq!(
            escape_controls("a\u{1b}]0;x\u{7}\u{9b}\u{202e}\tb"),
            "a\\u{1b}]0;x\\u{7}\\u{9b}\\u{202e}\\u{9}b"
        );
        assert!(matches!(
            escape_controls("Numéros"),
            std::borrow::Cow::Borrowed(_)
        ));
        let json = escape_json_controls("{\"a\":\"x\u{9b}\u{2066}\u{7f}\u{200f}y\"}".to_string());
        assert_eq!(json, "{\"a\":\"x\\u009b\\u2066\\u007f\\u200fy\"}");
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["a"], "x\u{9b}\u{2066}\u{7f}\u{200f}y");
        for c in [
            '\u{0}', '\u{1b}', '\r', '\t', '\n', '\u{7f}', '\u{85}', '\u{9b}', '\u{202a}', '\u{202e}',
            '\u{2069}',
        ] {
            assert!(is_unsafe_text_char(c), "{c:?}");
        }
        for c in ['\u{61c}', '\u{200e}', '\u{200f}', '\u{2028}', '\u{2029}'] {
            assert!(is_unsafe_text_char(c), "{c:?}");
        }
        for c in ['é', '\u{a0}', '\u{200d}', '\u{2065}', '\u{2070}'] {
            assert!(!is_unsafe_text_char(c), "{c:?}");
        }
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(group_digits(0u64), "0");
        assert_eq!(group_digits(999u64), "999");
        assert_eq!(group_digits(1000u64), "1,000");
        assert_eq!(group_digits(5_828_007u64), "5,828,007");
        assert_eq!(
            group_digits(u128::MAX),
            "340,282,366,920,938,463,463,374,607,431,768,211,455"
        );
        assert_eq!(group_digits("-"), "-");
    }
}
