//! Every parser of what people type, fed arbitrary text for a bounded number of cases (proptest,
//! run by `cargo test`): none panics, and what one accepts keeps its promise — money and opening
//! hours read back the same, an address is lower-cased and whole, a credit code is 18 characters,
//! a way back stays on the site, the editor's forms refuse or accept without falling over.

use super::account::{check_credit_code, check_name, check_password, check_phone};
use super::editor::{parse_day_hours, AccreditationForm, BlackoutForm, ResourceForm};
use super::email::Email;
use super::money::Money;
use proptest::prelude::*;

/// Text as people and scripts send it: anything, or something close to each format.
fn typed() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        "[0-9¥￥,.\\- ]{0,20}",
        "[0-9:\\-–~,，;；、 ]{0,40}",
        "[a-zA-Z0-9@._+\\-]{0,40}",
        "[0-9A-Z]{0,20}",
        any::<String>().prop_map(|s| s.chars().take(60).collect()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn money_reads_back_what_it_accepts(raw in typed()) {
        if let Ok(money) = Money::parse(&raw) {
            prop_assert!(money.fen() >= 0);
            prop_assert_eq!(Money::parse(&money.display()), Ok(money));
        }
    }

    #[test]
    fn an_accepted_address_is_whole(raw in typed()) {
        if let Ok(email) = Email::parse(&raw) {
            prop_assert!(email.as_str().contains('@'));
            prop_assert!(!email.as_str().chars().any(|c| c.is_whitespace() || c.is_control()));
        }
    }

    #[test]
    fn credit_codes_names_phones_and_passwords_never_panic(raw in typed()) {
        if let Ok(code) = check_credit_code(&raw) {
            prop_assert_eq!(code.chars().count(), 18);
        }
        if let Ok(name) = check_name(&raw) {
            prop_assert!(!name.chars().any(char::is_control));
        }
        let _ = check_phone(&raw);
        let _ = check_password(&raw, "someone@example.com");
    }

    #[test]
    fn opening_hours_read_back_what_they_accept(day in 1u8..=7, raw in typed()) {
        if let Some(periods) = parse_day_hours(day, &raw) {
            for pair in periods.windows(2) {
                prop_assert!(pair[0].closes_minute <= pair[1].opens_minute);
            }
            for p in &periods {
                prop_assert!(p.opens_minute < p.closes_minute && p.closes_minute <= 1440);
            }
            let written = super::editor::format_day_hours(&periods.iter().collect::<Vec<_>>());
            prop_assert_eq!(parse_day_hours(day, &written), Some(periods));
        }
    }

    #[test]
    fn ways_back_and_dates_never_panic(raw in typed()) {
        if let Some(path) = super::link::local_path(&raw) {
            prop_assert!(path.starts_with('/') && !path.starts_with("//"));
        }
        for format in ["%Y-%m-%d", "%Y-%m-%dT%H:%M"] {
            if let Ok(day) = chrono::NaiveDate::parse_from_str(&raw, format) {
                let _ = super::time::plausible(day);
            }
        }
    }

    #[test]
    fn the_editors_forms_refuse_or_accept_any_text(values in proptest::collection::vec(typed(), 40)) {
        let mut form = serde_json::to_value(ResourceForm::default()).expect("form");
        let fields: Vec<String> = form
            .as_object()
            .expect("object")
            .iter()
            .filter(|(_, v)| v.is_string())
            .map(|(k, _)| k.clone())
            .collect();
        for (field, value) in fields.iter().zip(values.iter().cycle()) {
            form[field.as_str()] = serde_json::Value::String(value.clone());
        }
        let form: ResourceForm = serde_json::from_value(form).expect("still a form");
        let _ = form.validate(2026);
        let accreditation = AccreditationForm {
            resource: 1,
            body: values[0].clone(),
            certificate_number: values[1].clone(),
            standards: values[2].clone(),
            valid_from: values[3].clone(),
            valid_until: values[4].clone(),
        };
        let _ = accreditation.validate();
        let blackout = BlackoutForm {
            resource: 1,
            kind: values[5].clone(),
            starts: values[6].clone(),
            ends: values[7].clone(),
            note: values[8].clone(),
            cancel_hits: None,
            reason: values[9].clone(),
        };
        let _ = blackout.kind();
    }
}
