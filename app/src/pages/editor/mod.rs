//! Institutions' equipment pages: their own list with accreditation warnings, and the editor for
//! a resource (description, rules, hours, rates; accreditation and blackouts once it exists).
//! Plain forms: they work before and without the wasm; the server checks every field.

use crate::domain::catalogue::{Audience, BlackoutKind};
use crate::i18n::*;

macro_rules! tr {
    ($i18n:ident, $($key:tt)+) => {
        Signal::derive(move || t_string!($i18n, $($key)+).to_string())
    };
}

pub(super) fn blackout_label(
    i18n: leptos_i18n::I18nContext<Locale>,
    kind: BlackoutKind,
) -> &'static str {
    match kind {
        BlackoutKind::Maintenance => t_string!(i18n, blackout.maintenance),
        BlackoutKind::Calibration => t_string!(i18n, blackout.calibration),
        BlackoutKind::Internal => t_string!(i18n, blackout.internal),
    }
}

pub(super) fn audience_label(
    i18n: leptos_i18n::I18nContext<Locale>,
    audience: Audience,
) -> &'static str {
    match audience {
        Audience::Everyone => t_string!(i18n, audience.everyone),
        Audience::Zone => t_string!(i18n, audience.zone),
        Audience::Institution => t_string!(i18n, audience.institution),
    }
}

/// A finding in words: the editor's refusals and the ledger's own.
pub(super) fn finding_text(i18n: leptos_i18n::I18nContext<Locale>, key: &str) -> String {
    match key.split_once(':') {
        Some(("serial_duplicate", line)) => {
            t_string!(i18n, ledger.serial_duplicate, line = line.to_string()).to_string()
        }
        _ => crate::components::forms::validation_text(i18n, key),
    }
}

mod accreditation;
mod blackouts;
mod form;
mod hours;
mod ledger;
mod list;
mod photos;
mod rates;

use accreditation::AccreditationSection;
use blackouts::BlackoutSection;
use form::{EditActions, Text};
pub use form::{EditResourcePage, NewResourcePage};
use hours::HoursSection;
pub use ledger::LedgerImportPage;
use ledger::LedgerPanel;
pub use list::MyResourcesPage;
use photos::PhotoSection;
use rates::RatesSection;
