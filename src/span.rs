//! Source files and locations in them.
//!
//! Every value read from a plan source keeps a [`Span`]: which file, and which bytes of its
//! (UTF-8) text. The [`SourceMap`] owns the texts and turns spans into `line:column` for
//! diagnostics. Register files are latin-1 on disk; they are decoded to UTF-8 before they enter
//! the map, so spans always index the decoded text.

use std::ops::Range;

/// Identifies a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A byte range of one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// The file.
    pub file: FileId,
    /// First byte (inclusive).
    pub start: u32,
    /// Last byte (exclusive).
    pub end: u32,
}

impl Span {
    /// A span of `range` in `file`, saturating offsets that do not fit in `u32`.
    pub fn new(file: FileId, range: Range<usize>) -> Span {
        let start = u32::try_from(range.start).unwrap_or(u32::MAX);
        let end = u32::try_from(range.end).unwrap_or(u32::MAX).max(start);
        Span { file, start, end }
    }

    /// The byte range, for slicing the file's text.
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// A sub-span, `range` being relative to this span's start (clamped to this span).
    pub fn subspan(self, range: Range<usize>) -> Span {
        let len = (self.end - self.start) as usize;
        let start = range.start.min(len);
        let end = range.end.clamp(start, len);
        Span::new(self.file, self.start as usize + start..self.start as usize + end)
    }
}

/// One source file: its path as shown to people, and its text.
#[derive(Debug)]
pub struct SourceFile {
    path: String,
    name: String,
    text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// The path as shown in diagnostics (relative, `/`-separated where the caller gave it so).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The file's name relative to its plan directory (`ranges.yaml`); the path when added
    /// without one.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file's text (decoded to UTF-8).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// Byte offset of the start of a 1-based line (the end of the text past the last line).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len())
    }
}

/// The offsets just after each line break of `text`: `\n`, `\r\n`, or a `\r` alone (old Mac
/// files; YAML counts it as a line break too), so that lines are counted as every reader of the
/// file counts them.
pub fn line_ends(text: &str) -> impl Iterator<Item = usize> + '_ {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().filter_map(move |(i, &b)| match b {
        b'\n' => Some(i + 1),
        b'\r' if bytes.get(i + 1) != Some(&b'\n') => Some(i + 1),
        _ => None,
    })
}

/// The source files of a plan, in the order they were read.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, path: impl Into<String>, text: String) -> FileId {
        let path = path.into();
        self.add_named(path.clone(), path, text)
    }

    /// Adds a file shown as `path` whose name in its plan directory is `name`.
    pub fn add_named(&mut self, path: impl Into<String>, name: impl Into<String>, text: String) -> FileId {
        let mut line_starts = vec![0];
        line_starts.extend(line_ends(&text));
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile {
            path: path.into(),
            name: name.into(),
            text,
            line_starts,
        });
        id
    }

    /// The file with this id.
    ///
    /// # Panics
    /// If the id does not come from this map (ids are only made by [`SourceMap::add`]).
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// All files with their ids.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        self.file(span.file).text.get(span.range()).unwrap_or("")
    }

    /// `path:line:column` of a span's start.
    pub fn locate(&self, span: Span) -> String {
        let f = self.file(span.file);
        let (l, c) = f.line_col(span.start as usize);
        format!("{}:{l}:{c}", f.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let mut map = SourceMap::new();
        let id = map.add("a.csv", "ab\nMétropole;x\n".to_string());
        let f = map.file(id);
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // "Métropole" is 10 bytes, 9 characters: ';' is byte 13, column 10.
        assert_eq!(f.line_col(3 + 10), (2, 10));
        assert_eq!(map.locate(Span::new(id, 13..14)), "a.csv:2:10");
        assert_eq!(f.line_start(2), 3);
    }

    #[test]
    fn sub_spans_are_clamped() {
        let s = Span::new(FileId(0), 10..20);
        assert_eq!(s.subspan(2..4).range(), 12..14);
        assert_eq!(s.subspan(5..99).range(), 15..20);
        assert_eq!(s.subspan(50..60).range(), 20..20);
    }
}
