//! Pure domain types and rules. Compiles to wasm as well as for the server, so the browser and the
//! server judge a slot with the same code.

/// Declares a closed set of names that are stored as text, with parsing and the translation key.
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                match raw { $($text => Some($name::$variant),)* _ => None }
            }
        }
    };
}

pub mod account;
pub mod availability;
pub mod booking;
pub mod catalogue;
pub mod editor;
pub mod email;
#[cfg(test)]
mod fuzz;
pub mod ids;
pub mod ledger;
pub mod link;
pub mod money;
pub mod policy;
pub mod report;
pub mod rules;
pub mod schedule;
pub mod services;
pub mod time;
pub mod utilisation;
pub mod vocabulary;
