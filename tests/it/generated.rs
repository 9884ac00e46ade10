//! `generated/` is what the sources compile to, and the binary embeds it.

use crate::util::{copy_dir, repo, scratch};
use numplan::artifact::{Artifact, VerifyOptions};
use numplan::generate::{GenerateError, generate};

#[test]
fn generated_is_fresh() {
    match generate(&repo(""), true) {
        Ok(report) => assert!(report.changed.is_empty()),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_source_change_makes_generated_stale() {
    let root = scratch("stale-generated");
    copy_dir(&repo("plan-sources/fr"), &root.join("plan-sources/fr"));
    copy_dir(&repo("generated"), &root.join("generated"));
    assert!(generate(&root, true).is_ok(), "a faithful copy is fresh");

    // A reviewer's comment is a change of the sources: the artifact records their digest.
    let ranges = root.join("plan-sources/fr/ranges.yaml");
    let mut text = std::fs::read_to_string(&ranges).unwrap();
    text.push_str("# reviewed\n");
    std::fs::write(&ranges, text).unwrap();
    let err = generate(&root, true).unwrap_err();
    assert!(
        matches!(&err, GenerateError::Stale { files } if files.contains(&"generated/fr.npa".to_string()))
    );
    assert!(
        err.to_string().contains("run `cargo xtask generate` and commit"),
        "{err}"
    );
    let before = std::fs::read(root.join("generated/fr.npa")).unwrap();
    assert_eq!(
        before,
        std::fs::read(repo("generated/fr.npa")).unwrap(),
        "check mode writes nothing"
    );

    // Write mode brings it up to date.
    let report = generate(&root, false).unwrap();
    assert_eq!(
        report.changed,
        vec!["generated/fr.npa".to_string(), "generated/index.json".to_string()]
    );
    assert!(generate(&root, true).is_ok());
}

#[test]
fn the_embedded_artifact_is_generated_fr() {
    assert_eq!(
        numplan::embedded::FR,
        &std::fs::read(repo("generated/fr.npa")).unwrap()[..]
    );
    let a = numplan::embedded::fr().unwrap();
    a.verify(&VerifyOptions::default()).unwrap();
    assert_eq!(a.plan_id(), "fr");

    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo("generated/index.json")).unwrap()).unwrap();
    let entry = &index["plans"][0];
    assert_eq!(entry["plan"], "fr");
    assert_eq!(entry["size"], numplan::embedded::FR.len());
    let opened = Artifact::open(numplan::embedded::FR).unwrap();
    let sha: String = opened
        .stored_sha256()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(entry["sha256"], sha);
}
