//! Testing services (检测服务) and their orders (委托单): the states an order moves through and
//! which side may move it, and how a standard typed loosely ("gb2423", "GB/T 2423.17") finds the
//! standards a service applies.
//!
//! | from             | action          | by          | to               |
//! |------------------|-----------------|-------------|------------------|
//! | submitted        | accept          | institution | accepted         |
//! | submitted        | quote           | institution | quoted           |
//! | submitted        | reject          | institution | rejected         |
//! | quoted           | accept_quote    | customer    | accepted         |
//! | quoted           | decline_quote   | customer    | declined         |
//! | accepted         | receive_samples | institution | samples_received |
//! | samples_received | start_testing   | institution | testing          |
//! | testing          | issue_report    | institution | report_issued    |
//! | report_issued    | close           | either      | closed           |
//! | submitted, quoted, accepted, samples_received | cancel | customer | cancelled |
//! | accepted, samples_received | cancel | institution | cancelled |

use super::catalogue::{AccreditationBody, CustomerCategory};
use super::ids::{OrganisationId, ResourceId, UserId};
use super::money::Money;
use super::vocabulary::{Bilingual, Named};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

text_enum!(
    /// Where an order stands.
    OrderStatus {
        Submitted = "submitted",
        Quoted = "quoted",
        Accepted = "accepted",
        Rejected = "rejected",
        Declined = "declined",
        SamplesReceived = "samples_received",
        Testing = "testing",
        ReportIssued = "report_issued",
        Closed = "closed",
        Cancelled = "cancelled",
    }
);

impl OrderStatus {
    /// Still in the institution's work (counts against its weekly capacity).
    pub fn in_work(self) -> bool {
        matches!(
            self,
            OrderStatus::Accepted | OrderStatus::SamplesReceived | OrderStatus::Testing
        )
    }

    /// Nothing more will happen to it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Rejected
                | OrderStatus::Declined
                | OrderStatus::Closed
                | OrderStatus::Cancelled
        )
    }
}

text_enum!(
    /// What someone does to an order.
    OrderAction {
        Accept = "accept",
        Quote = "quote",
        Reject = "reject",
        AcceptQuote = "accept_quote",
        DeclineQuote = "decline_quote",
        ReceiveSamples = "receive_samples",
        StartTesting = "start_testing",
        IssueReport = "issue_report",
        Close = "close",
        Cancel = "cancel",
    }
);

impl OrderAction {
    /// Whether the action needs a note the other side reads (a reason, or the quote's terms).
    pub fn needs_note(self) -> bool {
        matches!(
            self,
            OrderAction::Reject | OrderAction::Cancel | OrderAction::Quote
        )
    }
}

/// The side of an order a person is on: the ordering organisation's people, or the admins of
/// the institution that does the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Customer,
    Institution,
}

/// Where `action` by `party` takes an order that stands at `from`; `None` when it may not.
pub fn next(from: OrderStatus, action: OrderAction, party: Party) -> Option<OrderStatus> {
    use OrderAction as A;
    use OrderStatus as S;
    use Party::{Customer, Institution};
    match (from, action, party) {
        (S::Submitted, A::Accept, Institution) => Some(S::Accepted),
        (S::Submitted, A::Quote, Institution) => Some(S::Quoted),
        (S::Submitted, A::Reject, Institution) => Some(S::Rejected),
        (S::Quoted, A::AcceptQuote, Customer) => Some(S::Accepted),
        (S::Quoted, A::DeclineQuote, Customer) => Some(S::Declined),
        (S::Accepted, A::ReceiveSamples, Institution) => Some(S::SamplesReceived),
        (S::SamplesReceived, A::StartTesting, Institution) => Some(S::Testing),
        (S::Testing, A::IssueReport, Institution) => Some(S::ReportIssued),
        (S::ReportIssued, A::Close, _) => Some(S::Closed),
        (S::Submitted | S::Quoted | S::Accepted | S::SamplesReceived, A::Cancel, Customer) => {
            Some(S::Cancelled)
        }
        (S::Accepted | S::SamplesReceived, A::Cancel, Institution) => Some(S::Cancelled),
        _ => None,
    }
}

/// The actions `parties` may take on an order at `status`, in the table's order.
pub fn actions_for(status: OrderStatus, parties: &[Party]) -> Vec<OrderAction> {
    OrderAction::ALL
        .iter()
        .copied()
        .filter(|a| parties.iter().any(|p| next(status, *a, *p).is_some()))
        .collect()
}

impl OrderStatus {
    /// Whether the institution may hold instrument time for the order: from acceptance until the
    /// report is issued. Cancelling or issuing the report gives back what is still ahead.
    pub fn holds_time(self) -> bool {
        matches!(
            self,
            OrderStatus::Accepted | OrderStatus::SamplesReceived | OrderStatus::Testing
        )
    }

    /// Whether moving to this state gives back the instrument time held for the order.
    pub fn releases_time(self) -> bool {
        matches!(self, OrderStatus::Cancelled | OrderStatus::ReportIssued)
    }
}

text_enum!(
    /// How the samples reach the institution.
    Delivery { Bring = "bring", Post = "post", Pickup = "pickup" }
);

/// A standard's code read loosely: the letters before its number ("GB/T" → "GBT") and the
/// groups of digits ("2423.17-2008" → 2423, 17, 2008). Case, spaces and punctuation do not count.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StandardKey {
    pub letters: String,
    pub numbers: Vec<String>,
}

impl StandardKey {
    pub fn of(raw: &str) -> Self {
        let mut key = StandardKey::default();
        let mut digits = String::new();
        for c in raw.chars().flat_map(char::to_uppercase) {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            if !digits.is_empty() {
                key.numbers.push(std::mem::take(&mut digits));
            }
            if c.is_ascii_alphabetic() && key.numbers.is_empty() {
                key.letters.push(c);
            }
        }
        if !digits.is_empty() {
            key.numbers.push(digits);
        }
        key
    }

    pub fn is_empty(&self) -> bool {
        self.letters.is_empty() && self.numbers.is_empty()
    }

    /// Whether a code with this key is what `query` (typed loosely) asks for: its letters begin
    /// with the query's, its number groups equal the query's, the last of which may be the
    /// beginning of the code's ("gb2423" finds GB/T 2423.17; "2423.1" finds 2423.1 and 2423.17).
    pub fn answers(&self, query: &StandardKey) -> bool {
        if query.is_empty()
            || !self.letters.starts_with(&query.letters)
            || query.numbers.len() > self.numbers.len()
        {
            return false;
        }
        let n = query.numbers.len();
        query
            .numbers
            .iter()
            .zip(&self.numbers)
            .enumerate()
            .all(|(i, (q, c))| {
                if i + 1 == n {
                    c.starts_with(q.as_str())
                } else {
                    c == q
                }
            })
    }
}

/// Working days (Monday to Friday) after `from` up to and including `to`; 0 when `to` is not
/// after `from`.
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    use chrono::Datelike;
    let mut n = 0;
    let mut day = from;
    while day < to {
        day = match day.succ_opt() {
            Some(d) => d,
            None => break,
        };
        if day.weekday().num_days_from_monday() < 5 {
            n += 1;
        }
    }
    n
}

/// Whether a service applying `codes` matches the standard typed as `query`.
pub fn applies_standard(codes: &[String], query: &str) -> bool {
    let query = StandardKey::of(query);
    codes.iter().any(|c| StandardKey::of(c).answers(&query))
}

/// Why a published service is not in search: one of its standards is in no valid accreditation
/// of its institution any more (expired, or removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub standard: String,
    /// The last day an accreditation covered it, when one did.
    pub expired_on: Option<NaiveDate>,
}

/// A service as search and comparison show it, for the person asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSummary {
    pub id: i64,
    pub name: Bilingual,
    pub institution: Named<OrganisationId>,
    pub standards: Vec<String>,
    pub products: String,
    pub turnaround_days: i64,
    pub capacity_per_week: i64,
    /// Samples in the institution's work for this service now.
    pub load: i64,
    /// The earliest day a new order's testing could start, given the load and the capacity.
    pub earliest_start: NaiveDate,
    /// The price per sample at the asker's rate (the category it is), if the service has one.
    pub price: Option<(CustomerCategory, Money)>,
    /// The accreditations that cover the service's standards, and the day the first of them
    /// ends (the service leaves search after it).
    pub bodies: Vec<AccreditationBody>,
    pub accredited_until: Option<NaiveDate>,
}

/// The search's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicesPage {
    pub services: Vec<ServiceSummary>,
    /// Whether the asker may order (signed in, confirmed member of an organisation).
    pub can_order: bool,
}

/// A service's page: its summary and what an order needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDetail {
    pub summary: ServiceSummary,
    pub sample_quantity: String,
    pub sample_form: String,
    pub packaging: String,
    pub prices: Vec<(CustomerCategory, Money)>,
    pub resources: Vec<Named<ResourceId>>,
    pub can_order: bool,
    /// The asker's organisation's name and credit code, to prefill the invoice details.
    pub invoice_title: String,
    pub credit_code: String,
}

/// A published service as its institution manages it, with why it is out of search, if it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnService {
    pub id: i64,
    pub name: Bilingual,
    pub standards: Vec<String>,
    pub turnaround_days: i64,
    pub capacity_per_week: i64,
    pub listed: bool,
    pub withdrawn: Vec<Withdrawal>,
    pub open_orders: i64,
}

/// What an institution's services page holds: its services, and the standards it may offer
/// (those in a valid accreditation of one of its resources today).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionServices {
    pub institution: Named<OrganisationId>,
    pub services: Vec<OwnService>,
    pub standards: Vec<String>,
    pub resources: Vec<Named<ResourceId>>,
    /// The form as it opens: empty for a new service, or filled with the one being changed.
    pub form: ServiceForm,
}

/// A line of an order list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRow {
    pub id: i64,
    pub service: Bilingual,
    pub institution: Bilingual,
    pub customer: Bilingual,
    pub status: OrderStatus,
    pub samples: i64,
    pub price: Money,
    pub created_at: i64,
}

/// The orders a person sees: those of their organisation, and those to their institutions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrdersPage {
    pub placed: Vec<OrderRow>,
    pub received: Vec<OrderRow>,
    pub utc_offset_seconds: i32,
}

/// One step of an order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub at: i64,
    pub by: String,
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    pub note: String,
}

/// Everything on an order's page, with what the reader may do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDetail {
    pub row: OrderRow,
    pub service_id: i64,
    pub requester: String,
    pub sample_description: String,
    pub delivery: Delivery,
    pub tracking_number: String,
    pub requested_by: Option<NaiveDate>,
    pub invoice_title: String,
    pub credit_code: String,
    pub category: CustomerCategory,
    pub quoted: Option<Money>,
    pub promised_days: i64,
    pub status_note: String,
    pub report: Option<String>,
    pub rating: Option<(i64, String)>,
    pub events: Vec<OrderEvent>,
    pub actions: Vec<OrderAction>,
    pub can_rate: bool,
    pub utc_offset_seconds: i32,
    pub requester_id: UserId,
    /// Instrument time held for the order, for both sides to see.
    pub held: Vec<HeldTime>,
    /// The service's instruments the institution may hold time on now (empty for the customer,
    /// or when the order's state holds none).
    pub hold_on: Vec<Named<ResourceId>>,
}

/// Instrument time held for an order: a blackout of one of the service's instruments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldTime {
    pub id: i64,
    pub resource: Named<ResourceId>,
    pub starts_at: i64,
    pub ends_at: i64,
}

/// The form holding instrument time for an order, as the browser sends it (local times as
/// `YYYY-MM-DDTHH:MM`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldForm {
    pub order: i64,
    pub resource: i64,
    pub starts: String,
    pub ends: String,
}

/// The form publishing a service, as the browser sends it (numbers as typed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceForm {
    pub institution: i64,
    /// The service being changed; none for a new one.
    #[serde(default)]
    pub service: Option<i64>,
    pub name_zh: String,
    pub name_en: String,
    /// One standard per line.
    pub standards: String,
    pub products: String,
    pub sample_quantity: String,
    pub sample_form: String,
    pub packaging: String,
    pub turnaround_days: String,
    pub capacity_per_week: String,
    /// Yuan per sample for each customer category; empty when the category has no price of its
    /// own.
    pub price_own: String,
    pub price_zone: String,
    pub price_external: String,
    pub price_sme: String,
    /// The institution's instruments the service uses (ticked boxes; none is fine).
    #[serde(default)]
    pub resources: Vec<i64>,
}

/// The order form, as the browser sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderForm {
    pub service: i64,
    pub samples: String,
    pub sample_description: String,
    pub delivery: String,
    #[serde(default)]
    pub tracking_number: String,
    #[serde(default)]
    pub requested_by: String,
    pub invoice_title: String,
    pub credit_code: String,
}

text_enum!(
    /// Where a need on the board stands: open for offers, matched (an offer became an order),
    /// closed at its deadline, or withdrawn by the enterprise.
    NeedStatus { Open = "open", Matched = "matched", Closed = "closed", Withdrawn = "withdrawn" }
);

text_enum!(
    /// Who sees a need: the institutions of the poster's zone, or every institution.
    Visibility { Zone = "zone", All = "all" }
);

/// Whether an institution should be told of a need: when the need names a standard, one of the
/// institution's accredited standards answers it (read loosely); otherwise when the need's
/// product appears in one of the institution's services' names or products, or one of those
/// products appears in the need.
pub fn need_matches(
    (standard, title, product): (&str, &str, &str),
    accredited: &[String],
    offered: &[String],
) -> bool {
    if !standard.trim().is_empty() {
        return applies_standard(accredited, standard);
    }
    let need = format!("{title} {product}").to_lowercase();
    let product = product.trim().to_lowercase();
    offered.iter().any(|text| {
        let text = text.to_lowercase();
        (!product.is_empty() && text.contains(&product))
            || text
                .split(['、', ',', '，', '/', ';', '；'])
                .map(str::trim)
                .filter(|p| p.chars().count() >= 2)
                .any(|p| need.contains(p))
    })
}

/// The form posting a need.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedForm {
    pub title: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub standard: String,
    #[serde(default)]
    pub quantity: String,
    pub deadline: String,
    /// Yuan, optional.
    #[serde(default)]
    pub budget: String,
    pub visibility: String,
}

/// An institution's answer to a need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferView {
    pub id: i64,
    pub institution: Named<OrganisationId>,
    pub service: Named<i64>,
    pub price: Money,
    pub turnaround_days: i64,
    pub note: String,
    pub created_at: i64,
}

/// A need as the board shows it to its reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedView {
    pub id: i64,
    pub customer: Bilingual,
    pub title: String,
    pub product: String,
    pub standard: String,
    pub quantity: String,
    pub deadline: NaiveDate,
    pub budget: Option<Money>,
    pub visibility: Visibility,
    pub status: NeedStatus,
    pub created_at: i64,
    /// Every offer (for the posting organisation); the reader's own (for an institution).
    pub offers: Vec<OfferView>,
    pub order: Option<i64>,
    /// For an institution: whether it matches the institution's accreditation or services.
    pub matches: bool,
}

/// The needs board: the reader's organisation's needs, and the open needs the institutions they
/// run can answer, with the services an offer can name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedsPage {
    pub mine: Vec<NeedView>,
    pub open: Vec<NeedView>,
    pub services: Vec<Named<i64>>,
    pub can_post: bool,
    pub utc_offset_seconds: i32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_table_is_what_next_allows() {
        use OrderAction as A;
        use OrderStatus as S;
        let table: &[(S, A, &[Party], S)] = &[
            (S::Submitted, A::Accept, &[Party::Institution], S::Accepted),
            (S::Submitted, A::Quote, &[Party::Institution], S::Quoted),
            (S::Submitted, A::Reject, &[Party::Institution], S::Rejected),
            (S::Quoted, A::AcceptQuote, &[Party::Customer], S::Accepted),
            (S::Quoted, A::DeclineQuote, &[Party::Customer], S::Declined),
            (
                S::Accepted,
                A::ReceiveSamples,
                &[Party::Institution],
                S::SamplesReceived,
            ),
            (
                S::SamplesReceived,
                A::StartTesting,
                &[Party::Institution],
                S::Testing,
            ),
            (
                S::Testing,
                A::IssueReport,
                &[Party::Institution],
                S::ReportIssued,
            ),
            (
                S::ReportIssued,
                A::Close,
                &[Party::Customer, Party::Institution],
                S::Closed,
            ),
            (S::Submitted, A::Cancel, &[Party::Customer], S::Cancelled),
            (S::Quoted, A::Cancel, &[Party::Customer], S::Cancelled),
            (
                S::Accepted,
                A::Cancel,
                &[Party::Customer, Party::Institution],
                S::Cancelled,
            ),
            (
                S::SamplesReceived,
                A::Cancel,
                &[Party::Customer, Party::Institution],
                S::Cancelled,
            ),
        ];
        for from in S::ALL {
            for action in A::ALL {
                for party in [Party::Customer, Party::Institution] {
                    let expected = table
                        .iter()
                        .find(|(f, a, p, _)| f == from && a == action && p.contains(&party))
                        .map(|(.., to)| *to);
                    assert_eq!(
                        next(*from, *action, party),
                        expected,
                        "{from:?} {action:?} {party:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn nothing_leaves_a_final_state_and_testing_cannot_be_cancelled() {
        for from in OrderStatus::ALL.iter().filter(|s| s.is_final()) {
            assert!(actions_for(*from, &[Party::Customer, Party::Institution]).is_empty());
        }
        for from in [OrderStatus::Testing, OrderStatus::ReportIssued] {
            for party in [Party::Customer, Party::Institution] {
                assert_eq!(next(from, OrderAction::Cancel, party), None);
            }
        }
    }

    #[test]
    fn standards_typed_loosely_find_their_codes() {
        let codes = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let damp_heat = codes(&["GB/T 2423.17-2008"]);
        for query in [
            "GB/T 2423.17",
            "gb2423",
            "GB 2423",
            "gbt2423.17",
            "2423.17",
            "2423.1",
            " GB/T2423 ",
        ] {
            assert!(applies_standard(&damp_heat, query), "{query}");
        }
        for query in [
            "GB/T 2423.18",
            "GB 2424",
            "IEC 2423",
            "2423.17-2009",
            "",
            "  ",
        ] {
            assert!(!applies_standard(&damp_heat, query), "{query}");
        }
        let batteries = codes(&["GB 31241-2022", "IEC 62133-2:2017"]);
        assert!(applies_standard(&batteries, "iec62133"));
        assert!(applies_standard(&batteries, "GB31241"));
        assert!(!applies_standard(&batteries, "GB/T 31241"));
    }

    #[test]
    fn working_days_skip_weekends() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 12, day).unwrap();
        // Friday 4 → Monday 7: one working day; the same day: none; a fortnight: ten.
        assert_eq!(working_days_between(d(4), d(7)), 1);
        assert_eq!(working_days_between(d(4), d(4)), 0);
        assert_eq!(working_days_between(d(7), d(4)), 0);
        assert_eq!(working_days_between(d(7), d(21)), 10);
    }

    #[test]
    fn a_need_is_told_to_institutions_by_standard_or_else_by_product() {
        let accredited = vec!["GB 18580".to_string(), "GB/T 29899".to_string()];
        let offered =
            vec!["人造板、木家具、板式家具 / wood-based panels, wooden furniture".to_string()];
        assert!(need_matches(("gb18580", "", ""), &accredited, &offered));
        assert!(!need_matches(
            ("GB 38031", "木家具", "木家具"),
            &accredited,
            &offered
        ));
        assert!(need_matches(
            ("", "儿童衣柜甲醛检测", "木家具"),
            &accredited,
            &offered
        ));
        assert!(need_matches(
            ("", "板式家具送检", ""),
            &accredited,
            &offered
        ));
        assert!(!need_matches(
            ("", "锂电池针刺", "电芯"),
            &accredited,
            &offered
        ));
    }

    proptest! {
        /// A code always answers itself however it is spaced and cased, and any query made of
        /// its letters and a beginning of its numbers.
        #[test]
        fn a_code_answers_its_own_prefixes(
            letters in "[A-Z]{1,4}",
            numbers in prop::collection::vec(1u32..99999, 1..4),
            keep in 1usize..4,
            cut in 1usize..6,
        ) {
            let code = format!("{}/T {}", letters, numbers.iter().map(u32::to_string).collect::<Vec<_>>().join("."));
            let key = StandardKey::of(&code);
            prop_assert!(key.answers(&StandardKey::of(&code.to_lowercase().replace(' ', ""))));
            let keep = keep.min(numbers.len());
            let mut query: Vec<String> = numbers[..keep].iter().map(u32::to_string).collect();
            let last = query.pop().unwrap_or_default();
            query.push(last.chars().take(cut).collect());
            let query = format!("{} {}", letters.to_lowercase(), query.join("."));
            prop_assert!(key.answers(&StandardKey::of(&query)), "{} {}", code, query);
        }
    }
}
