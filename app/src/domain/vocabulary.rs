//! The words every part of the domain shares: names in two languages, who may book, and whether a
//! resource can be booked at all. A leaf: it imports nothing of the domain, so the catalogue, the
//! rules and the schedule can all use it without importing each other in a circle.

use serde::{Deserialize, Serialize};

text_enum!(ResourceStatus { Available = "available", Maintenance = "maintenance", Retired = "retired" });
text_enum!(
    /// Who may book a resource: anyone, members of the zone, or the owner institution's own people.
    Audience { Everyone = "everyone", Zone = "zone", Institution = "institution" }
);

/// A name in both languages; the interface shows the one matching the reader's language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bilingual {
    pub zh: String,
    pub en: String,
}

impl Bilingual {
    pub fn pick(&self, english: bool) -> &str {
        if english && !self.en.is_empty() {
            &self.en
        } else {
            &self.zh
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named<Id> {
    pub id: Id,
    pub name: Bilingual,
}
