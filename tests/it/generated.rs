//! The binary embeds `generated/fr.npa` (that `generated/` is what the sources compile to is
//! tested in xtask, where the generator lives).

use crate::util::repo;
use numplan::artifact::{Artifact, VerifyOptions};

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
    let plans = index["plans"].as_array().expect("a list of plans");
    let entry = plans
        .iter()
        .find(|p| p["plan"] == "fr")
        .expect("generated/index.json lists the French plan");
    assert_eq!(entry["file"], "fr.npa");
    assert_eq!(entry["size"], numplan::embedded::FR.len());
    let opened = Artifact::open(numplan::embedded::FR).unwrap();
    let sha: String = opened
        .stored_sha256()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(entry["sha256"], sha);
}
