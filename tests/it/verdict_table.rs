//! A table of caller-ID verdicts written by hand from the regulator's text, not from the plan
//! sources: for each category and each use, the verdict expected in each period, asked of the real
//! binary on the days either side of each date where the rules change.
//!
//! Every expected value below comes from the project's reference notes on the French plan
//! (`fr-numbering-plan.md`, kept outside the repository; nothing here reads it). The `§` numbers in
//! the comments are that document's sections, which quote or summarise the Arcep texts:
//! §1.1 (2018-0881, caller-ID conditions and automated systems from 2019-08-01), §1.2 (2019-0954,
//! the Conseil d'État of 2021-02-12 and the repeal by 2021-0532 of 2021-04-08), §1.3 (2022-1583, in
//! force 2023-01-01), §1.4 and §6.3 (authentication, cut-off 2024-10-01; 2025-2215 from
//! 2026-01-01), §1.5 (categories, tariffs), §6.1 (the consolidated annex of 2026-01-01 on automated
//! systems), §6.2 (the general caller-ID conditions), §6.4 (short-number tariffs, lengths). Where
//! the notes and an older summary disagree, §6 (the consolidated text) wins.
//!
//! The plan sources under `plan-sources/fr/*.yaml` are the data under test and are not read. The
//! test reads Arcep's register (`MAJNUM.csv`, `MAJNFB.csv`, and the older `MAJNUM-2025-07-03.csv`
//! snapshot only to keep free numbers free) to pick, for each row, a number that is allocated on
//! every day asked, or, when the register has no such block, a number no block has ever held.

use crate::util::{repo, root};
use std::io::Write;
use std::process::{Command, Stdio};

/// The four uses, in the order of a row's `cells`.
const USES: [&str; 4] = ["voice", "sms", "automated-voice", "automated-sms"];

/// The days asked, each with its period:
///
/// | period | from | what starts (reference §) |
/// |---|---|---|
/// | 0 | — | nothing on caller ID is stated yet, except the 089 voice ban of 2012 (§1.1, §6.1) |
/// | 1 | 2019-08-01 | general caller-ID conditions of 2018-0881 §2.2.2 (§1.1, §6.2); ban on 06/07 for automated systems (§1.2) |
/// | 2 | 2021-01-01 | ban on 01–05/09 for automated systems (§1.2) |
/// | 3 | 2021-04-08 | both bans repealed by 2021-0532 after the Conseil d'État (§1.2) |
/// | 4 | 2023-01-01 | 2022-1583: §2.3.2 f ban on territorialised numbers, NPV, platform and extended categories, mobiles from their own access (§1.3, §6.1) |
/// | 5 | 2024-10-01 | cut-off of unauthenticated calls (§1.4, §6.3): an authentication condition, which does not change a verdict when unsettled |
/// | 6 | 2026-01-01 | 2025-2215: intérêt-général numbers, masking of unauthenticated foreign mobile calls, not a cut (§1.4, §6.3) |
///
/// Each date D is asked on D-1 and D. 2026-11-30 is asked too, for the NPV blocks of the 2026 table,
/// allocated on 2026-02-20 (§0).
const DAYS: [(&str, usize); 13] = [
    ("2019-07-31", 0),
    ("2019-08-01", 1),
    ("2020-12-31", 1),
    ("2021-01-01", 2),
    ("2021-04-07", 2),
    ("2021-04-08", 3),
    ("2022-12-31", 3),
    ("2023-01-01", 4),
    ("2024-09-30", 4),
    ("2024-10-01", 5),
    ("2025-12-31", 5),
    ("2026-01-01", 6),
    ("2026-11-30", 6),
];

/// What the headline of a verdict must say, besides its verdict.
#[derive(Clone, Copy, Debug)]
enum Head {
    /// The headline `basis` contains this text.
    BasisHas(&'static str),
    /// The headline `reason` contains this text (case-insensitive).
    ReasonHas(&'static str),
}

/// One line of the table: a category, the numbers that stand for it, and the expected verdict of
/// each use in each period.
struct Row {
    label: &'static str,
    /// The expected category slug.
    slug: &'static str,
    /// The first day asked: the category (or the range) exists from then on.
    from: &'static str,
    /// Which register blocks (by EZABPQM) may stand for the row.
    block: fn(&str) -> bool,
    /// When no block qualifies: the prefix of a number no block holds, and that number's length.
    free: (&'static str, usize),
    /// Per use (`USES` order), one character per period 0..=6:
    /// `U` unknown, `A` allowed, `F` forbidden, `C` conditional, `c` allowed or conditional (the
    /// reference supports both), `D` the reference is unsure: the verdict must carry a doubt,
    /// `-` not asked (before `from`).
    /// For a row whose number turns out unallocated, these are replaced: `U` in period 0 and
    /// forbidden with a reason starting `not allocated` from period 1 (§6.2).
    cells: [&'static str; 4],
    /// Headline checks: (use, first period, check).
    heads: &'static [(&'static str, usize, Head)],
}

/// Metropolitan NPV prefixes (§0, §6.1 table).
const NPV: [&str; 12] = [
    "0162", "0163", "0270", "0271", "0377", "0378", "0424", "0425", "0568", "0569", "0948", "0949",
];
/// Intérêt-général prefixes (§6.1 table; §1.5 for the 2026 table).
const IG: [&str; 6] = ["01510", "02810", "03410", "04410", "05410", "09410"];

/// A 01–05/09 block that no refinement (NPV, intérêt général, platform, extended, 2026 NPV
/// additions) takes over.
fn plain_polyvalent(e: &str) -> bool {
    let refined = NPV.iter().chain(IG.iter()).any(|p| e.starts_with(p))
        || [
            "0901", "0937", "0938", "0939", "0947", "02687", "02688", "02689", "0598",
        ]
        .iter()
        .any(|p| e.starts_with(p));
    !refined
}

/// The automated ban on territorialised numbers, §6.1: « Les numéros territorialisés […] ne
/// peuvent être utilisés comme identifiant de l'appelant […] pour des appels ou des messages émis
/// par des systèmes automatisés » (§2.3.2 f of the annex, "not §2.2.2").
const TERRITORIALISED_BAN: &[(&str, usize, Head)] = &[
    ("automated-voice", 4, Head::BasisHas("§2.3.2 f")),
    ("automated-sms", 4, Head::BasisHas("§2.3.2 f")),
];

/// The express derogations of §6.1, headed by the section of their category in the 2022-1583
/// annex (§1.3: 2.3.5 mobiles de longueur étendue, 2.3.7 polyvalents vérifiés, 2.3.9 plateforme
/// technique), from 2023-01-01 (period 4). (The extended polyvalent numbers, §2.3.8, have no
/// allocated block to ask about: their row is answered "not allocated".)
const NPV_HEADS: &[(&str, usize, Head)] = &[
    ("automated-voice", 4, Head::BasisHas("§2.3.7")),
    ("automated-sms", 4, Head::BasisHas("§2.3.7")),
];
const PLATFORM_HEADS: &[(&str, usize, Head)] = &[
    ("automated-voice", 4, Head::BasisHas("§2.3.9")),
    ("automated-sms", 4, Head::BasisHas("§2.3.9")),
];
const M2M_HEADS: &[(&str, usize, Head)] = &[
    ("automated-voice", 4, Head::BasisHas("§2.3.5")),
    ("automated-sms", 4, Head::BasisHas("§2.3.5")),
];
/// 089: « 089 voice caller ID has been banned since 2012 » (§6.1): the headline names 089.
const HEADS_089: &[(&str, usize, Head)] = &[
    ("voice", 1, Head::ReasonHas("089")),
    ("automated-voice", 1, Head::ReasonHas("089")),
];

/// Mobiles: the §2.3.2 f ban, and condition g (« que pour les appels et messages émis depuis
/// l'accès mobile qu'ils identifient », §6.1).
const MOBILE_HEADS: &[(&str, usize, Head)] = &[
    ("voice", 4, Head::ReasonHas("mobile access")),
    ("sms", 4, Head::ReasonHas("mobile access")),
    ("automated-voice", 4, Head::BasisHas("§2.3.2 f")),
    ("automated-sms", 4, Head::BasisHas("§2.3.2 f")),
];

// Polyvalent (01–05, 09):
// - voice, periods 1–2: `c`. §1.1: from 2019-08-01, « calls presenting 01–05 or 09 numbers must not
//   originate abroad or arrive via an international interconnection unless the number's operator
//   can guarantee conformity call by call », a condition on the call (conditional), which §1.2
//   describes as a ban on *unauthenticated* foreign calls (an authentication condition, which does
//   not change a verdict): either reading. Repealed by 2021-0532 on 2021-04-08 (§1.2). Otherwise
//   allowed under the general conditions (§6.2).
// - sms: the territoriality rule is about calls; allowed from 2019-08-01 (§6.2).
// - automated, period 1: allowed. §1.2 (Conseil d'État): the ban applied to 06/07 « from 1 Aug
//   2019 » and to 01–05/09 « from 1 Jan 2021 ». (§1.1's 2019 summary says 2019-08-01 for all;
//   the ruling's dates are the more precise source.)
// - automated, period 2: forbidden until the repeal of 2021-04-08 (§1.2); period 3 allowed again;
//   from 2023-01-01 forbidden by §2.3.2 f (§6.1); the exceptions (≤ 5 numbers, ±20 %) need
//   context, so the ban stands without it.
const POLYVALENT: [&str; 4] = ["UccAAAA", "UAAAAAA", "UAFAFFF", "UAFAFFF"];

// NPV, intérêt général, metropolitan platform and extended polyvalent numbers: the §6.1 table of
// « express derogation » (automated systems MAY present them) from 2023-01-01 (2026-01-01 for
// intérêt général); a person's use is under the general conditions (§6.2) only. The NPV condition
// (operator-verified assignee consent, §1.3) is an assignee-consent condition: no change of verdict.
const DEROGATION_2023: [&str; 4] = ["----AAA", "----AAA", "----AAA", "----AAA"];
const DEROGATION_2026: [&str; 4] = ["------A", "------A", "------A", "------A"];
// The §6.1 table lists only metropolitan prefixes for platform (0937, 0938, 09390–09394), extended
// polyvalent (09010–09014) and extended mobile (07000–07004) numbers, while it adds the overseas
// NPV prefixes explicitly; its consequence line speaks of "0937–0939" and "0901x" as a whole.
// Whether the overseas ranges share the derogation is unsure: the automated verdict must carry a
// doubt. A person's use: general conditions (§6.2).
const OVERSEAS_DEROGATION_UNSURE: [&str; 4] = ["----AAA", "----AAA", "----DDD", "----DDD"];

// Mobile (06, 073–079, overseas):
// - person, periods 1–3: general conditions (§6.2); « reserved for interpersonal communications
//   from 1 Jan 2023 » (§1.3), condition g « depuis l'accès mobile qu'ils identifient » (§6.1):
//   conditional from 2023-01-01, the headline naming the mobile access.
// - automated: banned from 2019-08-01 (§1.1, §1.2 "06/07 (from 1 Aug 2019)"), repealed on
//   2021-04-08 (§1.2), banned again from 2023-01-01 by §2.3.2 f with no exception: « les exceptions
//   […] ne s'appliquent pas aux numéros mobiles » (§6.1).
const MOBILE: [&str; 4] = ["UAAACCC", "UAAACCC", "UFFAFFF", "UFFAFFF"];

// Extended mobile (0700, 14 digits, metropolitan):
// - automated, periods 1–3: §1.1 « Allowed instead: extended-length mobile numbers (if assigned to
//   a mobile access) »: allowed, or conditional on that access; from 2023-01-01 the §6.1 derogation
//   (07000–07004): allowed.
// - person: no specific statement; the general conditions (§6.2) allow it, the 2019 "assigned to a
//   mobile access" may make it conditional: either.
const MOBILE_ETENDU: [&str; 4] = ["Ucccccc", "Ucccccc", "UcccAAA", "UcccAAA"];
const MOBILE_ETENDU_OUTRE_MER: [&str; 4] = ["----ccc", "----ccc", "----DDD", "----DDD"];

// Free and banalisé special numbers (0800–0805, 0806–0809): §1.1 automated systems may use
// « special or short numbers » except 089 for voice and premium-rate ones for SMS; §1.3 (2023)
// « special numbers other than 089 »; §6.1 en-contact: « à tarification gratuite ou banalisée ».
// A person's use: general conditions (§6.2).
const SPECIAL_FREE_OR_BANALISE: [&str; 4] = ["UAAAAAA", "UAAAAAA", "UAAAAAA", "UAAAAAA"];

// Premium special numbers 081x/082x:
// - automated SMS: forbidden from 2019-08-01 (§1.1 "for SMS/MMS, premium-rate special numbers";
//   §6.1 « des numéros spéciaux à tarification majorée »).
// - automated voice: §6.1 « UNSURE for 081/082 voice from automated systems »: must carry a doubt.
// - person: §6.1 « the SMS ban on premium 08 numbers applies to *automated* messages, not to a
//   person's SMS »; no ban on a person's call from 081/082: general conditions (§6.2).
const SPECIAL_MAJORE: [&str; 4] = ["UAAAAAA", "UAAAAAA", "UDDDDDD", "UFFFFFF"];

// 089x: « 089 voice caller ID has been banned since 2012 » (§6.1; §1.5 « 089 is barred as voice
// caller ID »), so voice is forbidden in every period asked, for a person and for an automated
// system. SMS: automated forbidden as premium (as 081/082); a person's SMS is not under that ban
// (§6.1), general conditions (§6.2).
const SPECIAL_089: [&str; 4] = ["FFFFFFF", "UAAAAAA", "FFFFFFF", "UFFFFFF"];

// Data services (0836, 085x) and internet dial-up (086x): the reference states no caller-ID rule
// for them and no tariff, and says « 0868 and the 085x/0836 "data services" placements are not
// sourced » (§6.4; only 0860 is named, as « internet dial-up access »). The other special numbers
// get their person and automated cells from §1.1/§1.3 (« special or short numbers » usable, with
// the 089 and premium exceptions); here even membership of those rules rests on an unsourced
// placement and an unknown tariff, and the §6.2 conditions are necessary, not a permission. The
// reference is silent: every cell from 2019-08-01 must carry a doubt.
const SPECIAL_TARIFF_UNSOURCED: [&str; 4] = ["UDDDDDD", "UDDDDDD", "UDDDDDD", "UDDDDDD"];

// Emergency numbers: §1.5 « I did not find an explicit clause banning emergency numbers as caller
// ID. [INFERENCE: they fail "attributed + assigned + callable back to the caller" anyway.] »,
// i.e. conditions (3) and (4) of §6.2 from 2019-08-01: forbidden for every use.
const URGENCE: [&str; 4] = ["UFFFFFF", "UFFFFFF", "UFFFFFF", "UFFFFFF"];

// Operator short numbers 10XY: a person's use under the general conditions (§6.2). Automated: short
// numbers are allowed for voice by the 2019 summary, but §6.1 bans « numéros courts à tarification
// banalisée ou majorée » (SMS for sure, voice UNSURE) and no tariff of 10XY is given: doubt.
const COURT_OPERATEUR: [&str; 4] = ["UAAAAAA", "UAAAAAA", "UDDDDDD", "UDDDDDD"];

// Short numbers « à fonctionnalité banalisée » (3008, 3170–3179): usable as caller ID despite
// having no attributaire/affectataire, « under the subscriber's operator's responsibility and only
// toward its own subscribers » (2022-1583 §2.4.8 e, §1.3): conditional from 2023-01-01. Before,
// the reference does not say whether 2018-0881 had that exception (without it they fail §6.2 (3)):
// doubt. Automated: §6.4 says 3170–3179 are « not free-tariff » (an inference from the list of
// §2.4.9), which would put them under the banalisé/majoré short-number ban of §6.1; the tariff is
// not stated: doubt.
const COURT_BANALISE: [&str; 4] = ["UDDDCCC", "UDDDCCC", "UDDDDDD", "UDDDDDD"];

// Free short numbers (3000–3007, 3009–3169, 3180–3199, §6.4): short numbers allowed to automated
// systems (§1.1), « short numbers starting 30/31 » among the exceptions of 2023 (§1.3), and not
// banalisé or majoré (§6.1): allowed everywhere from 2019-08-01.
const COURT_GRATUIT: [&str; 4] = ["UAAAAAA", "UAAAAAA", "UAAAAAA", "UAAAAAA"];

// Generalist short numbers 32xx–39xx and directory numbers 118XYZ: not free (the free 3BPQ are
// only 3000–3007, 3009–3169, 3180–3199, §6.4; « 3BPQ and 118XYZ can be premium », §1.5), so
// banalisé or majoré: automated SMS forbidden from 2019-08-01 (§1.1, §6.1); automated voice
// UNSURE as for 081/082 (§6.1; §1.3 lists only 30/31 short numbers as exceptions from 2023): doubt.
// A person's use: general conditions (§6.2).
const COURT_PAYANT: [&str; 4] = ["UAAAAAA", "UAAAAAA", "UDDDDDD", "UFFFFFF"];

// Harmonised European 116XYZ: « 116xyz free » (§1.5). Automated, periods 1–3: short numbers other
// than banalisé/majoré ones allowed (§1.1). From 2023-01-01: free, so outside the §6.1 ban, but
// §1.3 (eu-etc.com) names only « short numbers starting 30/31 » among the exceptions: doubt.
const COURT_116: [&str; 4] = ["UAAAAAA", "UAAAAAA", "UAAADDD", "UAAADDD"];

#[rustfmt::skip]
fn rows() -> Vec<Row> {
    let r = |label, slug, from, block: fn(&str) -> bool, free, cells, heads| Row {
        label,
        slug,
        from,
        block,
        free,
        cells,
        heads,
    };
    const NONE: &[(&str, usize, Head)] = &[];
    const Y0: &str = "2019-07-31";
    const Y23: &str = "2023-01-01";
    vec![
        // Polyvalent.
        r("polyvalent 01", "polyvalent", Y0, |e| e.starts_with("01") && plain_polyvalent(e), ("0140", 10), POLYVALENT, TERRITORIALISED_BAN),
        r("polyvalent 09", "polyvalent", Y0, |e| e.starts_with("095") || e.starts_with("097"), ("0970", 10), POLYVALENT, TERRITORIALISED_BAN),
        r("polyvalent 0262 (Réunion)", "polyvalent", Y0, |e| e.starts_with("0262"), ("0262", 10), POLYVALENT, TERRITORIALISED_BAN),
        // NPV from 2023-01-01 (before, 0162… are `polyvalent`).
        r("NPV 0162", "polyvalent-verifie", Y23, |e| e.starts_with("0162"), ("0162", 10), DEROGATION_2023, NPV_HEADS),
        r("NPV 0948", "polyvalent-verifie", Y23, |e| e.starts_with("0948"), ("0948", 10), DEROGATION_2023, NPV_HEADS),
        r("NPV 0163 (no block)", "polyvalent-verifie", Y23, |e| e.starts_with("0163"), ("0163", 10), DEROGATION_2023, NONE),
        r("NPV 0949 (no block)", "polyvalent-verifie", Y23, |e| e.starts_with("0949"), ("0949", 10), DEROGATION_2023, NONE),
        // §6.1 table: « (+ overseas 09475–09479, 02688, 02689, 05987–05989) ».
        r("NPV 09475 (Guadeloupe)", "polyvalent-verifie", Y23, |e| e.starts_with("09475"), ("09475", 10), DEROGATION_2023, NONE),
        r("NPV 09479 (Réunion)", "polyvalent-verifie", Y23, |e| e.starts_with("09479"), ("09479", 10), DEROGATION_2023, NONE),
        // The 2026 additions, allocated on 2026-02-20 (§0): asked on 2026-11-30 only, since the
        // date of the 2026 table that adds them is not given.
        r("NPV 02688 (2026 table)", "polyvalent-verifie", "2026-11-30", |e| e.starts_with("02688"), ("02688", 10), DEROGATION_2026, NONE),
        r("NPV 05987 (2026 table)", "polyvalent-verifie", "2026-11-30", |e| e.starts_with("05987"), ("05987", 10), DEROGATION_2026, NONE),
        // Intérêt général, from 2026-01-01 (§1.4, §6.1).
        r("intérêt général 01510", "polyvalent-interet-general", "2026-01-01", |e| e.starts_with("01510"), ("01510", 10), DEROGATION_2026, NONE),
        r("intérêt général 09410", "polyvalent-interet-general", "2026-01-01", |e| e.starts_with("09410"), ("09410", 10), DEROGATION_2026, NONE),
        // Platform numbers, from 2023-01-01 (§1.3, §6.1).
        r("plateforme 0937", "polyvalent-plateforme", Y23, |e| e.starts_with("0937"), ("0937", 10), DEROGATION_2023, NONE),
        r("plateforme 0938", "polyvalent-plateforme", Y23, |e| e.starts_with("0938"), ("0938", 10), DEROGATION_2023, NONE),
        r("plateforme 09390", "polyvalent-plateforme", Y23, |e| e.starts_with("09390"), ("09390", 10), DEROGATION_2023, PLATFORM_HEADS),
        r("plateforme 09395 (outre-mer)", "polyvalent-plateforme", Y23, |e| e.starts_with("09395"), ("09395", 10), OVERSEAS_DEROGATION_UNSURE, NONE),
        // Extended polyvalent: 14 digits in metropolitan France, 13 overseas (§6.4).
        r("étendu 09010", "polyvalent-etendu", Y23, |e| e.starts_with("09010"), ("09010", 14), DEROGATION_2023, NONE),
        r("étendu 09015 (outre-mer)", "polyvalent-etendu", Y23, |e| e.starts_with("09015"), ("09015", 13), OVERSEAS_DEROGATION_UNSURE, NONE),
        // Mobiles.
        r("mobile 06", "mobile", Y0, |e| e.starts_with("06") && !e.starts_with("0639") && !e.starts_with("069"), ("0612", 10), MOBILE, MOBILE_HEADS),
        r("mobile 074–079", "mobile", Y0, |e| ["074", "075", "076", "077", "078", "079"].iter().any(|p| e.starts_with(p)), ("0751", 10), MOBILE, MOBILE_HEADS),
        r("mobile 073 (no block)", "mobile", Y0, |e| e.starts_with("073"), ("073", 10), MOBILE, MOBILE_HEADS),
        r("mobile 0690 (Guadeloupe)", "mobile", Y0, |e| e.starts_with("0690"), ("0690", 10), MOBILE, MOBILE_HEADS),
        r("mobile 0639 (Mayotte)", "mobile", Y0, |e| e.starts_with("0639"), ("0639", 10), MOBILE, MOBILE_HEADS),
        r("mobile étendu 07000", "mobile-etendu", Y0, |e| e.starts_with("07000"), ("07000", 14), MOBILE_ETENDU, M2M_HEADS),
        r("mobile étendu 07007 (outre-mer)", "mobile-etendu", Y23, |e| e.starts_with("07007"), ("07007", 13), MOBILE_ETENDU_OUTRE_MER, NONE),
        // Special numbers.
        r("spécial gratuit 0800", "special-gratuit", Y0, |e| e.starts_with("0800"), ("0800", 10), SPECIAL_FREE_OR_BANALISE, NONE),
        r("spécial banalisé 0806", "special-banalise", Y0, |e| e.starts_with("0806"), ("0806", 10), SPECIAL_FREE_OR_BANALISE, NONE),
        r("spécial majoré 081", "special-majore", Y0, |e| e.starts_with("081"), ("081", 10), SPECIAL_MAJORE, NONE),
        r("spécial majoré 082", "special-majore", Y0, |e| e.starts_with("082"), ("082", 10), SPECIAL_MAJORE, NONE),
        r("spécial majoré 089", "special-majore-089", Y0, |e| e.starts_with("089"), ("089", 10), SPECIAL_089, HEADS_089),
        r("spécial données 0836", "special-donnees", Y0, |e| e.starts_with("0836"), ("0836", 10), SPECIAL_TARIFF_UNSOURCED, NONE),
        r("spécial données 085", "special-donnees", Y0, |e| e.starts_with("085"), ("085", 10), SPECIAL_TARIFF_UNSOURCED, NONE),
        // §6.4: « 0860PQMCDU: internet dial-up access »; 0868 is not sourced, so 0860 stands here.
        r("spécial internet 0860", "special-internet", Y0, |e| e.starts_with("0860"), ("0860", 10), SPECIAL_TARIFF_UNSOURCED, NONE),
        // Emergency and short numbers (MAJNFB holds the emergency and banalisé short numbers).
        r("urgence 15", "urgence", Y0, |e| e == "15", ("15", 2), URGENCE, NONE),
        r("urgence 112", "urgence", Y0, |e| e == "112", ("112", 3), URGENCE, NONE),
        r("urgence 116000", "urgence", Y0, |e| e == "116000", ("116000", 6), URGENCE, NONE),
        r("court opérateur 10XY", "court-operateur", Y0, |e| e.len() == 4 && e.starts_with("10"), ("1099", 4), COURT_OPERATEUR, NONE),
        r("court banalisé 3008", "court-banalise", Y0, |e| e == "3008", ("3008", 4), COURT_BANALISE, NONE),
        r("court banalisé 3170", "court-banalise", Y0, |e| e == "3170", ("3170", 4), COURT_BANALISE, NONE),
        r("court gratuit 3000–3007", "court-gratuit", Y0, |e| e.len() == 4 && ("3000".."3008").contains(&e), ("3005", 4), COURT_GRATUIT, NONE),
        r("court gratuit 3009–3169", "court-gratuit", Y0, |e| e.len() == 4 && ("3009".."3170").contains(&e), ("3150", 4), COURT_GRATUIT, NONE),
        r("court généraliste 32xx–39xx", "court-generaliste", Y0, |e| e.len() == 4 && ("32".."4").contains(&e), ("3299", 4), COURT_PAYANT, NONE),
        r("court renseignements 118XYZ", "court-renseignements", Y0, |e| e.len() == 6 && e.starts_with("118"), ("118999", 6), COURT_PAYANT, NONE),
        r("court harmonisé européen 116XYZ", "court-harmonise-europeen", Y0, |e| e.len() == 6 && e.starts_with("116") && e != "116000" && e != "116117", ("116123", 6), COURT_116, NONE),
    ]
}

/// One register row: EZABPQM, Tranche_Debut, Date_Attribution as `YYYY-MM-DD`, and the file.
struct Block {
    prefix: String,
    first: String,
    date: String,
    file: &'static str,
}

/// The rows of a register file, split by hand from its latin-1 bytes (`;`, quotes only around
/// values with spaces, never around a `;`; LF or CRLF).
fn register(file: &'static str) -> Vec<Block> {
    let bytes = std::fs::read(repo(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let text: String = bytes.iter().map(|&b| b as char).collect();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(';').map(|f| f.trim_matches('"')).collect();
            let d: Vec<&str> = f[5].split('/').collect();
            assert_eq!(d.len(), 3, "{file}: date of {l}");
            Block {
                prefix: f[0].to_string(),
                first: f[1].to_string(),
                date: format!("{}-{}-{}", d[2], d[1], d[0]),
                file,
            }
        })
        .collect()
}

/// A number of `len` digits starting with `prefix` that no block of `all` holds.
fn free_number(prefix: &str, len: usize, all: &[&Block]) -> String {
    if prefix.len() == len {
        assert!(
            all.iter().all(|b| b.prefix != prefix),
            "{prefix} is in the register"
        );
        return prefix.to_string();
    }
    let rest = len - prefix.len();
    let width = rest.min(4);
    (0..10usize.pow(width as u32))
        .map(|i| format!("{prefix}{i:0width$}{}", "0".repeat(rest - width)))
        .find(|n| all.iter().all(|b| !n.starts_with(&b.prefix)))
        .unwrap_or_else(|| panic!("no free number under {prefix}"))
}

/// Runs the binary once for one day on many numbers; one JSON answer per number, in order.
fn ask_day(day: &str, numbers: &[String], extra: &[&str]) -> Vec<serde_json::Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_numplan"))
        .current_dir(root())
        .args(["query", "--format", "json", "--at", day])
        .args(extra)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the numplan binary runs");
    let mut input = numbers.join("\n");
    input.push('\n');
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "numplan query --at {day}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(answers.len(), numbers.len(), "one answer per number on {day}");
    answers
}

/// `verdict — reason — basis` of one use of an answer, for the mismatch list.
fn got(v: &serde_json::Value, use_id: &str) -> String {
    let u = &v["verdicts"][use_id];
    format!(
        "{} — reason: {} — basis: {} — doubts: {}",
        u["verdict"],
        u["reason"],
        u["basis"],
        u["doubts"].as_array().map_or(0, Vec::len)
    )
}

/// Checks one cell; returns what was expected when the answer disagrees.
fn check_cell(cell: char, heads: &[Head], v: &serde_json::Value, use_id: &str) -> Option<String> {
    let u = &v["verdicts"][use_id];
    let verdict = u["verdict"].as_str().unwrap_or("");
    let reason = u["reason"].as_str().unwrap_or("");
    let basis = u["basis"].as_str().unwrap_or("");
    let (ok, mut expected) = match cell {
        'U' => (verdict == "unknown", "unknown".to_string()),
        'A' => (verdict == "allowed", "allowed".to_string()),
        'F' => (verdict == "forbidden", "forbidden".to_string()),
        'C' => (verdict == "conditional", "conditional".to_string()),
        'c' => (
            verdict == "allowed" || verdict == "conditional",
            "allowed or conditional".to_string(),
        ),
        // The answer carries the doubt: on the verdict, or on the range, category or territory
        // that answers (the answer's own `doubts`).
        'D' => (
            u["doubts"].as_array().is_some_and(|d| !d.is_empty())
                || v["doubts"].as_array().is_some_and(|d| !d.is_empty()),
            "a doubt (the reference is unsure)".to_string(),
        ),
        'N' => (
            verdict == "forbidden" && reason.starts_with("not allocated"),
            "forbidden, reason starting `not allocated`".to_string(),
        ),
        other => panic!("bad cell {other:?}"),
    };
    let mut ok = ok;
    for h in heads {
        match h {
            Head::BasisHas(s) => {
                ok &= basis.contains(s);
                expected.push_str(&format!(", basis containing `{s}`"));
            }
            Head::ReasonHas(s) => {
                ok &= reason.to_lowercase().contains(&s.to_lowercase());
                expected.push_str(&format!(", reason mentioning `{s}`"));
            }
        }
    }
    (!ok).then_some(expected)
}

#[test]
fn verdicts_by_category_use_and_day_follow_the_regulators_text() {
    let majnum = register("plan-sources/fr/MAJNUM.csv");
    let majnfb = register("plan-sources/fr/MAJNFB.csv");
    let older = register("plan-sources/fr/MAJNUM-2025-07-03.csv");
    let current: Vec<&Block> = majnum.iter().chain(&majnfb).collect();
    let every: Vec<&Block> = current.iter().copied().chain(&older).collect();

    let rows = rows();
    // For each row, its number and whether a block holds it on every day asked.
    let picked: Vec<(String, Option<&'static str>)> = rows
        .iter()
        .map(|row| {
            assert!(DAYS.iter().any(|(d, _)| *d == row.from), "{}: from", row.label);
            for (cells, use_id) in row.cells.iter().zip(USES) {
                assert_eq!(cells.len(), 7, "{} {use_id}", row.label);
                // Every day asked has a cell (a period may hold days on both sides of `from`).
                for (d, p) in DAYS {
                    let c = cells.as_bytes()[p] as char;
                    assert!(d < row.from || c != '-', "{} {use_id} period {p}", row.label);
                }
            }
            match current
                .iter()
                .find(|b| (row.block)(&b.prefix) && b.date.as_str() <= row.from)
            {
                Some(b) => (b.first.clone(), Some(b.file)),
                None => (free_number(row.free.0, row.free.1, &every), None),
            }
        })
        .collect();

    let mut mismatches = Vec::new();
    for (day, period) in DAYS {
        let asked: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].from <= day).collect();
        let numbers: Vec<String> = asked.iter().map(|&i| picked[i].0.clone()).collect();
        let answers = ask_day(day, &numbers, &[]);
        for (&i, v) in asked.iter().zip(&answers) {
            let row = &rows[i];
            let (number, held) = &picked[i];
            let who = format!("{} [{}] on {day}: {number}", row.label, row.slug);
            if v["valid"] != true || v["category"] != row.slug {
                mismatches.push(format!(
                    "{who}: expected a valid `{}` number; got valid={} category={} error={}",
                    row.slug, v["valid"], v["category"], v["error"]
                ));
            }
            // The emergency and banalisé short numbers come from MAJNFB, whose entries have no
            // operator: whether they count as "allocated" is not what this table is about.
            if *held != Some("plan-sources/fr/MAJNFB.csv") && v["allocated"] != held.is_some() {
                mismatches.push(format!(
                    "{who}: expected allocated={} ({}); got allocated={} holder={}",
                    held.is_some(),
                    held.map_or("no register block holds it".to_string(), |f| format!(
                        "a block of {f}"
                    )),
                    v["allocated"],
                    v["holder"]
                ));
            }
            for (k, use_id) in USES.iter().enumerate() {
                let mut cell = row.cells[k].as_bytes()[period] as char;
                let mut heads: Vec<Head> = row
                    .heads
                    .iter()
                    .filter(|(u, from, _)| u == use_id && period >= *from)
                    .map(|(_, _, h)| *h)
                    .collect();
                if held.is_none() {
                    // §6.2: a number in no allocated block fails conditions (2)–(4) from 2019-08-01.
                    cell = if period == 0 { 'U' } else { 'N' };
                    heads.clear();
                }
                if let Some(expected) = check_cell(cell, &heads, v, use_id) {
                    mismatches.push(format!(
                        "{who} {use_id}: expected {expected}; got {}",
                        got(v, use_id)
                    ));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} disagreements with the table:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn unallocated_numbers_are_forbidden_for_every_use() {
    let all: Vec<Block> = register("plan-sources/fr/MAJNUM.csv")
        .into_iter()
        .chain(register("plan-sources/fr/MAJNUM-2025-07-03.csv"))
        .collect();
    let holds = |n: &str| all.iter().any(|b| n.starts_with(&b.prefix));
    assert!(!holds("0400123456"), "0400123456 is in the register");
    // A six-digit 0162xx prefix that no block of either register snapshot touches (neither a block
    // containing it nor a smaller block inside it).
    let free = (0..100)
        .map(|i| format!("0162{i:02}"))
        .find(|p| {
            all.iter()
                .all(|b| !b.prefix.starts_with(p.as_str()) && !p.starts_with(&b.prefix))
        })
        .expect("a free 0162xx block");
    let numbers = ["0400123456".to_string(), format!("{free}1234")];

    let mut mismatches = Vec::new();
    for day in ["2023-06-01", "2026-11-30"] {
        for (n, v) in numbers.iter().zip(ask_day(day, &numbers, &[])) {
            if v["allocated"] != false {
                mismatches.push(format!(
                    "{n} on {day}: expected allocated=false; got {}",
                    v["allocated"]
                ));
            }
            for use_id in USES {
                if let Some(expected) = check_cell('N', &[], &v, use_id) {
                    mismatches.push(format!(
                        "{n} on {day} {use_id}: expected {expected}; got {}",
                        got(&v, use_id)
                    ));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} disagreements:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn automated_exceptions_lift_the_territorialised_ban_but_not_for_mobiles() {
    // §6.1: the §2.3.2 f ban has three exceptions (≤ 5 numbers in 30 days, messages sent ≈
    // received, calls sent ≤ 20 % of received), and « les exceptions introduites au 2ᵉ alinéa dudit
    // paragraphe 2.3.2f) ne s'appliquent pas aux numéros mobiles ». With the exception settled,
    // a polyvalent number is usable by the automated system; a mobile number is still not.
    let majnum = register("plan-sources/fr/MAJNUM.csv");
    let first = |pred: fn(&str) -> bool| {
        majnum
            .iter()
            .find(|b| pred(&b.prefix) && b.date.as_str() <= "2023-01-01")
            .map(|b| b.first.clone())
            .expect("a block")
    };
    let polyvalent = first(|e| e.starts_with("01") && plain_polyvalent(e));
    let mobile = first(|e| e.starts_with("06") && !e.starts_with("0639") && !e.starts_with("069"));
    let numbers = [polyvalent, mobile];
    let mut mismatches = Vec::new();
    for day in ["2023-01-01", "2026-01-01"] {
        let answers = ask_day(day, &numbers, &["--context", "automated-exception=yes"]);
        for ((n, v), cell) in numbers.iter().zip(&answers).zip(['A', 'F']) {
            for use_id in ["automated-voice", "automated-sms"] {
                if let Some(expected) = check_cell(cell, &[], v, use_id) {
                    mismatches.push(format!(
                        "{n} on {day} {use_id} with automated-exception=yes: expected {expected}; got {}",
                        got(v, use_id)
                    ));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} disagreements:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
