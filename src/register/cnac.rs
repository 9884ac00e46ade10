//! CNAC's "CO Code Status" file: the Canadian register of central-office codes, read as published.
//!
//! The Canadian Numbering Administrator publishes `COCodeStatus_ALL.csv`: every central-office code
//! (`NPA-NXX`, a block of 10,000 numbers) of every Canadian geographic area code, with its status
//! and, for the statuses that have one, its holder. The format, as CNAC writes it:
//!
//! - ASCII, `,`-separated, CRLF line ends; non-empty text fields in double quotes (some contain a
//!   comma), `NPA` and `CO Code (NXX)` unquoted;
//! - a header row naming the columns. Its columns changed over time (a `Province` column appeared
//!   in December 2023), so they are read **by name**: `NPA`, `CO Code (NXX)`, `Status`, `Company`
//!   and `OCN` are required; `Exchange Area`, `Province` and `Remarks` are read when present;
//! - a date row: empty fields, then the snapshot's date (`YYYY-MM-DD`) in the last column. It is
//!   the only date of the file: rows have no allocation date;
//! - one row per code, every NXX of every NPA, whatever its status.
//!
//! [`parse_co_code_status`] returns the codes, the snapshot date and every problem, located in the
//! text, as the Arcep readers do. A status this module does not know is kept as
//! [`Status::Other`] and reported, not fatal. Nothing here panics, whatever the input.

use super::{Field, RegisterError, RegisterErrorKind, records_separated};
use crate::date::Date;
use std::ops::Range;

/// A code's status in the register, as CNAC writes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// `In Service`: held and in service.
    InService,
    /// `Assigned`: assigned to a carrier, not yet in service.
    Assigned,
    /// `Being Recovered`: being taken back from its holder.
    BeingRecovered,
    /// `New NPA Testing`: held for the testing of a new area code.
    NewNpaTesting,
    /// `Available`: free for assignment.
    Available,
    /// `Available as Initial Code only`.
    AvailableAsInitialCodeOnly,
    /// `New NPA`: a code of an area code not yet in service.
    NewNpa,
    /// `For Special Use`: N11, 555, 950, 976, 988 and the like.
    ForSpecialUse,
    /// `Not Available`: reserved (an NXX equal to an NPA, future relief, …).
    NotAvailable,
    /// `Moratorium on Assignment`.
    MoratoriumOnAssignment,
    /// `Plant Test`.
    PlantTest,
    /// `Stranded Code`: an exchange area but no holder.
    StrandedCode,
    /// `Protected`.
    Protected,
    /// `Recovered/Aging`.
    RecoveredAging,
    /// `Temporarily Unavailable`.
    TemporarilyUnavailable,
    /// `New Entrants Reserved`.
    NewEntrantsReserved,
    /// A status this version does not know, as written.
    Other(String),
}

/// Every status this module knows, with its text in the file.
const STATUSES: &[(&str, Status)] = &[
    ("In Service", Status::InService),
    ("Assigned", Status::Assigned),
    ("Being Recovered", Status::BeingRecovered),
    ("New NPA Testing", Status::NewNpaTesting),
    ("Available", Status::Available),
    (
        "Available as Initial Code only",
        Status::AvailableAsInitialCodeOnly,
    ),
    ("New NPA", Status::NewNpa),
    ("For Special Use", Status::ForSpecialUse),
    ("Not Available", Status::NotAvailable),
    ("Moratorium on Assignment", Status::MoratoriumOnAssignment),
    ("Plant Test", Status::PlantTest),
    ("Stranded Code", Status::StrandedCode),
    ("Protected", Status::Protected),
    ("Recovered/Aging", Status::RecoveredAging),
    ("Temporarily Unavailable", Status::TemporarilyUnavailable),
    ("New Entrants Reserved", Status::NewEntrantsReserved),
];

impl Status {
    /// The status written as `text`; [`Status::Other`] when it is none this module knows.
    pub fn parse(text: &str) -> Status {
        STATUSES
            .iter()
            .find(|(name, _)| *name == text)
            .map_or_else(|| Status::Other(text.to_string()), |(_, s)| s.clone())
    }

    /// The status as the file writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Status::Other(text) => text,
            known => STATUSES
                .iter()
                .find(|(_, s)| s == known)
                .map_or("", |(name, _)| name),
        }
    }

    /// Whether a code of this status has a holder (Company and OCN filled): In Service,
    /// Assigned, Being Recovered and New NPA Testing, in every snapshot CNAC published.
    pub fn has_holder(&self) -> bool {
        matches!(
            self,
            Status::InService | Status::Assigned | Status::BeingRecovered | Status::NewNpaTesting
        )
    }
}

/// A field's text and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    /// The value, unquoted and trimmed.
    pub value: String,
    /// The byte range of the field in the text.
    pub span: Range<usize>,
}

/// One central-office code of the register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoCode {
    /// The 1-based line of its row.
    pub line: usize,
    /// The byte range of the row.
    pub span: Range<usize>,
    /// The area code, three digits.
    pub npa: Text,
    /// The central-office code, three digits.
    pub nxx: Text,
    /// Its status.
    pub status: Status,
    /// Where the status is written.
    pub status_span: Range<usize>,
    /// The exchange area, when the file has the column and the row a value.
    pub exchange_area: Option<Text>,
    /// The province (Canada Post code), when the file has the column and the row a value.
    pub province: Option<Text>,
    /// The holder's company name, when the row has one.
    pub company: Option<Text>,
    /// The holder's Operating Company Number, when the row has one.
    pub ocn: Option<Text>,
    /// CNAC's remarks, when any.
    pub remarks: Option<Text>,
}

impl CoCode {
    /// `NPA-NXX`, e.g. `613-555`.
    pub fn code(&self) -> String {
        format!("{}-{}", self.npa.value, self.nxx.value)
    }
}

/// What [`parse_co_code_status`] read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoCodeFile {
    /// The snapshot's date, from the file's date row.
    pub date: Option<Date>,
    /// Where that date is written.
    pub date_span: Option<Range<usize>>,
    /// The codes, in file order.
    pub codes: Vec<CoCode>,
    /// Every problem found.
    pub errors: Vec<RegisterError>,
}

/// Field `i`'s text, trimmed, moved out of the record (no copy when there is nothing to trim);
/// `None` when absent or blank.
fn take_text(fields: &mut [Field], i: usize) -> Option<Text> {
    let f = fields.get_mut(i)?;
    let trimmed = f.value.trim();
    if trimmed.is_empty() {
        return None;
    }
    let value = if trimmed.len() == f.value.len() {
        std::mem::take(&mut f.value)
    } else {
        trimmed.to_string()
    };
    Some(Text {
        value,
        span: f.span.clone(),
    })
}

/// The columns a CO Code Status file must have.
const REQUIRED: [&str; 5] = ["NPA", "CO Code (NXX)", "Status", "Company", "OCN"];

/// Reads a CO Code Status file (its text: the file is ASCII, so any UTF-8 decoding will do).
pub fn parse_co_code_status(text: &str) -> CoCodeFile {
    let (records, mut errors) = records_separated(text, ',');
    let mut out = CoCodeFile::default();
    let mut rows = records.into_iter();
    let Some(header) = rows.next() else {
        errors.push(RegisterError::new(
            RegisterErrorKind::Header,
            0..0,
            "the file is empty: a CO Code Status file starts with its header row",
            None,
        ));
        out.errors = errors;
        return out;
    };
    let names: Vec<&str> = header.fields.iter().map(|f| f.value.trim()).collect();
    let column = |name: &str| names.iter().position(|n| *n == name);
    let missing: Vec<&str> = REQUIRED.iter().copied().filter(|n| column(n).is_none()).collect();
    if !missing.is_empty() {
        errors.push(RegisterError::new(
            RegisterErrorKind::Header,
            header.span.clone(),
            format!(
                "the header lacks the column{} {}",
                if missing.len() == 1 { "" } else { "s" },
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some(format!(
                "a CO Code Status file names its columns: {}",
                REQUIRED.join(", ")
            )),
        ));
        out.errors = errors;
        return out;
    }
    let index = |name: &str| column(name).unwrap_or(usize::MAX);
    let (npa, nxx, status, company, ocn) = (
        index("NPA"),
        index("CO Code (NXX)"),
        index("Status"),
        index("Company"),
        index("OCN"),
    );
    let (area, province, remarks) = (column("Exchange Area"), column("Province"), column("Remarks"));
    let width = names.len();
    out.codes.reserve(rows.len());

    for mut row in rows {
        if row.fields.len() != width {
            errors.push(RegisterError::new(
                RegisterErrorKind::FieldCount,
                row.span.clone(),
                format!("this row has {} fields, the header {width}", row.fields.len()),
                Some("every row has one field per column of the header (read by name)".into()),
            ));
            continue;
        }
        let blank = |i: usize| row.fields.get(i).is_none_or(|f| f.value.trim().is_empty());
        // The date row: empty fields, then the snapshot's date in the last column.
        if out.date_span.is_none() && out.codes.is_empty() && blank(npa) && blank(nxx) {
            if let Some((value, span)) = row.fields.last().map(|f| (f.value.trim(), f.span.clone())) {
                match Date::parse(value) {
                    Ok(d) if value.len() == 10 => {
                        out.date = Some(d);
                        out.date_span = Some(span);
                    }
                    _ => errors.push(RegisterError::new(
                        RegisterErrorKind::Date,
                        span,
                        format!("`{value}` is not the snapshot's date"),
                        Some(
                            "the second row holds the snapshot's date, YYYY-MM-DD, in its last field".into(),
                        ),
                    )),
                }
            }
            continue;
        }
        let mut ok = true;
        let mut digits = |t: Option<Text>, what: &str, first: u8| -> Text {
            let t = t.unwrap_or(Text {
                value: String::new(),
                span: row.span.clone(),
            });
            let b = t.value.as_bytes();
            if !(b.len() == 3 && b.iter().all(u8::is_ascii_digit) && b[0] >= first) {
                errors.push(RegisterError::new(
                    RegisterErrorKind::Value,
                    t.span.clone(),
                    format!("`{}` is not {what}", t.value),
                    Some(format!(
                        "{what} has three digits, the first from {} to 9",
                        char::from(first)
                    )),
                ));
                ok = false;
            }
            t
        };
        let mut fields = std::mem::take(&mut row.fields);
        let mut text = |i: usize| take_text(&mut fields, i);
        let code_npa = digits(text(npa), "an area code (NPA)", b'2');
        let code_nxx = digits(text(nxx), "a central-office code (NXX)", b'2');
        let status_field = text(status);
        let status_span = status_field.as_ref().map_or(row.span.clone(), |t| t.span.clone());
        let code_status = Status::parse(status_field.as_ref().map_or("", |t| t.value.as_str()));
        if let Status::Other(value) = &code_status {
            errors.push(RegisterError::new(
                RegisterErrorKind::UnknownStatus,
                status_span.clone(),
                format!("unknown status `{value}`"),
                Some(format!(
                    "the statuses CNAC publishes are: {}",
                    STATUSES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                )),
            ));
        }
        let (holder_company, holder_ocn) = (text(company), text(ocn));
        match (code_status.has_holder(), &holder_company, &holder_ocn) {
            (true, Some(_), Some(_)) | (false, None, None) => {}
            (false, ..) if matches!(code_status, Status::Other(_)) => {}
            (true, ..) => {
                errors.push(RegisterError::new(
                    RegisterErrorKind::Value,
                    row.span.clone(),
                    format!(
                        "a code {} has a holder, but this row names no Company and OCN",
                        code_status.as_str()
                    ),
                    Some("a held code names its holder's company and OCN".into()),
                ));
                ok = false;
            }
            (false, ..) => {
                errors.push(RegisterError::new(
                    RegisterErrorKind::Value,
                    row.span.clone(),
                    format!(
                        "a code {} has no holder, but this row names one",
                        code_status.as_str()
                    ),
                    Some(
                        "only codes In Service, Assigned, Being Recovered or New NPA Testing have a holder"
                            .into(),
                    ),
                ));
                ok = false;
            }
        }
        if ok {
            out.codes.push(CoCode {
                line: row.line,
                span: row.span.clone(),
                npa: code_npa,
                nxx: code_nxx,
                status: code_status,
                status_span,
                exchange_area: area.and_then(&mut text),
                province: province.and_then(&mut text),
                company: holder_company,
                ocn: holder_ocn,
                remarks: remarks.and_then(&mut text),
            });
        }
    }
    if out.date_span.is_none() && errors.iter().all(|e| e.kind != RegisterErrorKind::Date) {
        errors.push(RegisterError::new(
            RegisterErrorKind::Date,
            header.span.clone(),
            "the file has no date row",
            Some("the row after the header holds the snapshot's date, YYYY-MM-DD, in its last field".into()),
        ));
    }
    out.errors = errors;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEVEN: &str = "\"NPA\",\"CO Code (NXX)\",\"Status\",\"Exchange Area\",\"Company\",\"OCN\",\"Remarks\"\r\n\
,,,,,,2023-08-04\r\n\
204,200,\"In Service\",\"Winnipeg\",\"FlexITy Solutions Inc\",\"930E\",\r\n\
204,211,\"For Special Use\",,,,\"Community Information and Referral Services\"\r\n";

    const EIGHT: &str = "\"NPA\",\"CO Code (NXX)\",\"Status\",\"Exchange Area\",\"Province\",\"Company\",\"OCN\",\"Remarks\"\r\n\
,,,,,,,2024-10-10\r\n\
902,238,\"In Service\",\"Halifax\",,\"Bell Aliant, a division of Bell Canada\",\"8000\",\"Billing NXX\"\r\n\
613,555,\"For Special Use\",,,,,\"Universal Information\"\r\n";

    #[test]
    fn both_headers_are_read_by_name() {
        let seven = parse_co_code_status(SEVEN);
        assert!(seven.errors.is_empty(), "{:?}", seven.errors);
        assert_eq!(seven.date, Date::new(2023, 8, 4));
        assert_eq!(seven.codes.len(), 2);
        let c = &seven.codes[0];
        assert_eq!(
            (c.code(), &c.status, c.line),
            ("204-200".to_string(), &Status::InService, 3)
        );
        assert_eq!(c.ocn.as_ref().map(|t| t.value.as_str()), Some("930E"));
        assert_eq!(c.province, None, "no Province column");
        assert_eq!(seven.codes[1].company, None);

        let eight = parse_co_code_status(EIGHT);
        assert!(eight.errors.is_empty(), "{:?}", eight.errors);
        assert_eq!(eight.date, Date::new(2024, 10, 10));
        let c = &eight.codes[0];
        assert_eq!(
            c.company.as_ref().map(|t| t.value.as_str()),
            Some("Bell Aliant, a division of Bell Canada"),
            "a quoted comma is part of the value"
        );
        assert_eq!(c.remarks.as_ref().map(|t| t.value.as_str()), Some("Billing NXX"));
        assert_eq!(eight.codes[1].status, Status::ForSpecialUse);
    }

    #[test]
    fn problems_are_located_and_reading_goes_on() {
        let text = "\"NPA\",\"CO Code (NXX)\",\"Status\",\"Exchange Area\",\"Province\",\"Company\",\"OCN\",\"Remarks\"\n\
,,,,,,,2024-10-10\n\
204,200,\"In Service\",\"Winnipeg\",\"Zayo Canada Inc.\",\"8304\",\n\
204,1x1,\"Available\",,,,,\n\
204,202,\"Parked\",,,,,\n\
204,203,\"Available\",,,\"Someone\",\"1234\",\n\
204,204,\"In Service\",,,,,\n\
204,205,\"Available\",,,,,\n";
        let file = parse_co_code_status(text);
        let kinds: Vec<RegisterErrorKind> = file.errors.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                RegisterErrorKind::FieldCount,
                RegisterErrorKind::Value,
                RegisterErrorKind::UnknownStatus,
                RegisterErrorKind::Value,
                RegisterErrorKind::Value,
            ]
        );
        // A 7-field row in an 8-column file is located on its line.
        assert_eq!(
            &text[file.errors[0].span.clone()],
            "204,200,\"In Service\",\"Winnipeg\",\"Zayo Canada Inc.\",\"8304\","
        );
        assert_eq!(&text[file.errors[1].span.clone()], "1x1");
        // The unknown status is kept; the good rows are read.
        let codes: Vec<String> = file.codes.iter().map(CoCode::code).collect();
        assert_eq!(codes, ["204-202", "204-205"]);
        assert_eq!(file.codes[0].status, Status::Other("Parked".into()));
    }

    #[test]
    fn a_file_without_its_columns_or_its_date_is_refused() {
        let file = parse_co_code_status("\"NPA\",\"Status\"\n204,\"Available\"\n");
        assert_eq!(file.errors.len(), 1);
        assert!(
            file.errors[0]
                .message
                .contains("`CO Code (NXX)`, `Company`, `OCN`"),
            "{}",
            file.errors[0].message
        );
        let file = parse_co_code_status(
            "\"NPA\",\"CO Code (NXX)\",\"Status\",\"Company\",\"OCN\"\n204,200,\"Available\",,\n",
        );
        assert_eq!(file.date, None);
        assert!(file.errors.iter().any(|e| e.kind == RegisterErrorKind::Date));
        assert!(parse_co_code_status("").errors[0].message.contains("empty"));
    }

    #[test]
    fn statuses_round_trip_and_know_their_holders() {
        for (name, status) in STATUSES {
            assert_eq!(&Status::parse(name), status);
            assert_eq!(status.as_str(), *name);
        }
        let held: Vec<&str> = STATUSES
            .iter()
            .filter(|(_, s)| s.has_holder())
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(
            held,
            ["In Service", "Assigned", "Being Recovered", "New NPA Testing"]
        );
        assert_eq!(Status::parse("Parked").as_str(), "Parked");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse_co_code_status(&s);
        }
    }
}
