//! The real April 2026 register, as shipped in `plan-sources/fr/`.
//!
//! Expectations are independent of numplan: the row counts and territory counts are those of the
//! reference notes (computed there from the CSV with other tools), and the per-row checks below
//! re-read the raw bytes with a few lines of code of their own.

use crate::util::repo;
use numplan::register;
use numplan::validate;
use std::collections::HashMap;

fn raw_majnum() -> Vec<u8> {
    std::fs::read(repo("plan-sources/fr/MAJNUM.csv")).expect("the register is in the repository")
}

/// The data rows, split by hand: latin-1 bytes → chars, `;`, quotes stripped.
fn independent_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text: String = bytes.iter().map(|&b| b as char).collect();
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut fields = Vec::new();
            let mut cur = String::new();
            let mut quoted = false;
            for c in l.chars() {
                match c {
                    '"' => quoted = !quoted,
                    ';' if !quoted => fields.push(std::mem::take(&mut cur)),
                    _ => cur.push(c),
                }
            }
            fields.push(cur);
            fields
        })
        .collect()
}

#[test]
fn april_2026_register_loads_with_latin1_text_intact() {
    let bytes = raw_majnum();
    assert!(
        !bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
        "no BOM: the file is Arcep's bytes"
    );
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the file is latin-1, not UTF-8"
    );
    let text = register::decode(&bytes);
    let (rows, errors) = register::parse_majnum(&text);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(rows.len(), 19_991);

    let mut by_territory: HashMap<&str, usize> = HashMap::new();
    for r in &rows {
        *by_territory.entry(r.territoire.value.as_str()).or_default() += 1;
    }
    // Counts from the reference notes (fr-numbering-plan.md §2.2).
    assert_eq!(by_territory["Métropole"], 17_295);
    assert_eq!(by_territory["National"], 1_728);
    assert_eq!(by_territory["Guadeloupe, St Martin et St Barthélemy"], 238);
    assert_eq!(by_territory["La Réunion - Océan indien"], 139);
    assert_eq!(by_territory["La Réunion"], 130);
    assert_eq!(by_territory["Saint Pierre et Miquelon"], 9);

    // Row by row, against an independent split of the raw bytes.
    let expected = independent_rows(&bytes);
    assert_eq!(expected.len(), rows.len());
    for (r, e) in rows.iter().zip(&expected) {
        let got = [
            &r.ezabpqm.value,
            &r.tranche_debut.value,
            &r.tranche_fin.value,
            &r.mnemo.value,
            &r.territoire.value,
            &r.date_attribution.value,
        ];
        assert_eq!(
            got.map(String::as_str).to_vec(),
            e.iter().map(String::as_str).collect::<Vec<_>>()
        );
    }
}

#[test]
fn every_block_is_attached_to_a_category_territory_and_operator() {
    let checked = validate::check_dir(&repo("plan-sources/fr"));
    let plan = checked.plan.as_ref().unwrap_or_else(|| {
        panic!(
            "the French plan has errors:\n{}",
            numplan::diag::render_human(&checked.diagnostics, &checked.sources, false)
        )
    });
    let rows = independent_rows(&raw_majnum());
    let from_majnum: Vec<_> = plan
        .blocks()
        .iter()
        .filter(|b| b.source.file == "MAJNUM.csv")
        .collect();
    assert_eq!(from_majnum.len(), rows.len(), "every MAJNUM row becomes a block");
    let by_prefix: HashMap<&str, &Vec<String>> = rows.iter().map(|r| (r[0].as_str(), r)).collect();
    for b in &from_majnum {
        let row = by_prefix[b.prefix.as_str()];
        assert_eq!(
            plan.operators()[b.operator.expect("every MAJNUM block names its holder")].code,
            row[3],
            "operator of {}",
            b.prefix
        );
        let t = &plan.territories()[b.territory];
        assert!(
            t.register_names.contains(&row[4]),
            "territory of {}: {} vs {}",
            b.prefix,
            t.id,
            row[4]
        );
        assert_eq!(usize::from(b.length), row[1].len());
        let cat = &plan.categories()[plan.ranges()[b.range].category];
        assert!(cat.lengths.contains(&b.length), "{} in {}", b.prefix, cat.id);
    }
    // Blocks of the verified ranges allocated from 2023 on are attached to the NPV category.
    let npv = [
        "0162", "0270", "0377", "0424", "0568", "0948", "09475", "09476", "09477", "09478", "09479",
    ];
    let mut seen = 0;
    for b in &from_majnum {
        if npv.iter().any(|p| b.prefix.starts_with(p)) && b.allocated.is_some_and(|a| a.year() >= 2023) {
            seen += 1;
            assert_eq!(
                plan.categories()[plan.ranges()[b.range].category].id,
                "polyvalent-verifie",
                "{}",
                b.prefix
            );
        }
    }
    assert!(seen > 700, "NPV blocks allocated since 2023: {seen}");
    // Overseas territories carry their own country codes.
    let cc = |prefix: &str| {
        let b = from_majnum
            .iter()
            .find(|b| b.prefix.starts_with(prefix))
            .expect("a block");
        plan.territories()[b.territory].country_code
    };
    assert_eq!(cc("0262"), Some(262));
    assert_eq!(cc("0590"), Some(590));
    assert_eq!(cc("0594"), Some(594));
    assert_eq!(cc("0596"), Some(596));
    assert_eq!(cc("0508"), Some(508));
    assert_eq!(cc("0162"), Some(33));
}

/// CNAC's CO Code Status files (`plan-sources/ca/`), read by `register::cnac`, against the `csv`
/// crate reading the same bytes by header name: every row's code, status and holder agree, in all
/// three snapshots (7 and 8 columns).
#[test]
fn cnac_snapshots_read_as_the_csv_crate_reads_them() {
    use numplan::register::cnac::{Status, parse_co_code_status};
    for (file, date, columns) in [
        ("COCodeStatus-2023-08-04.csv", "2023-08-04", 7),
        ("COCodeStatus-2024-01-25.csv", "2024-01-25", 8),
        ("COCodeStatus-2024-10-10.csv", "2024-10-10", 8),
    ] {
        let bytes = std::fs::read(repo(&format!("plan-sources/ca/{file}"))).unwrap();
        let parsed = parse_co_code_status(std::str::from_utf8(&bytes).unwrap());
        assert!(
            parsed.errors.is_empty(),
            "{file}: {:?}",
            &parsed.errors[..parsed.errors.len().min(3)]
        );
        assert_eq!(
            parsed.date.map(|d| d.to_string()).as_deref(),
            Some(date),
            "{file}"
        );

        let mut reader = csv::Reader::from_reader(&bytes[..]);
        let headers = reader.headers().unwrap().clone();
        assert_eq!(headers.len(), columns, "{file}");
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let (npa, nxx, status, company, ocn) = (
            col("NPA"),
            col("CO Code (NXX)"),
            col("Status"),
            col("Company"),
            col("OCN"),
        );
        let expected: Vec<(String, String, String, String)> = reader
            .records()
            .map(|r| r.unwrap())
            .filter(|r| !r[npa].is_empty()) // the date row
            .map(|r| {
                (
                    format!("{}-{}", &r[npa], &r[nxx]),
                    r[status].to_string(),
                    r[company].to_string(),
                    r[ocn].to_string(),
                )
            })
            .collect();
        assert_eq!(expected.len(), 44_000, "{file}: 55 NPAs × 800 NXX");
        let got: Vec<(String, String, String, String)> = parsed
            .codes
            .iter()
            .map(|c| {
                let text = |t: &Option<numplan::register::cnac::Text>| {
                    t.as_ref().map_or(String::new(), |t| t.value.clone())
                };
                (
                    c.code(),
                    c.status.as_str().to_string(),
                    text(&c.company),
                    text(&c.ocn),
                )
            })
            .collect();
        assert_eq!(got, expected, "{file}");
        assert!(
            parsed.codes.iter().all(|c| !matches!(c.status, Status::Other(_))),
            "{file}"
        );
    }
}

/// The status counts of the newest snapshot, as the reference notes on CNAC's file give them.
#[test]
fn cnac_newest_snapshot_has_the_reference_status_counts() {
    use numplan::register::cnac::parse_co_code_status;
    let bytes = std::fs::read(repo("plan-sources/ca/COCodeStatus-2024-10-10.csv")).unwrap();
    let parsed = parse_co_code_status(std::str::from_utf8(&bytes).unwrap());
    let mut counts: HashMap<String, usize> = HashMap::new();
    for c in &parsed.codes {
        *counts.entry(c.status.as_str().to_string()).or_default() += 1;
    }
    let reference = [
        ("In Service", 27_572),
        ("Available", 13_319),
        ("New NPA", 1_552),
        ("For Special Use", 620),
        ("Not Available", 452),
        ("Assigned", 208),
        ("Moratorium on Assignment", 143),
        ("Plant Test", 109),
        ("Being Recovered", 8),
        ("New NPA Testing", 5),
        ("Stranded Code", 4),
        ("Protected", 3),
        ("Recovered/Aging", 3),
        ("Temporarily Unavailable", 2),
    ];
    for (status, n) in reference {
        assert_eq!(counts.get(status).copied(), Some(n), "{status}");
    }
    assert_eq!(counts.values().sum::<usize>(), 44_000);
    // A holder exactly for the statuses that have one; Stranded Code has an exchange area only.
    for c in &parsed.codes {
        assert_eq!(c.company.is_some(), c.status.has_holder(), "{}", c.code());
    }
    let stranded: Vec<String> = parsed
        .codes
        .iter()
        .filter(|c| c.status.as_str() == "Stranded Code")
        .map(|c| c.code())
        .collect();
    assert_eq!(stranded, ["431-309", "431-312", "431-313", "431-316"]);
}
