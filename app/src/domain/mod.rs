//! Pure domain types and rules. Compiles to wasm as well as for the server, so the browser and the
//! server judge a slot with the same code.

pub mod availability;
pub mod catalogue;
pub mod email;
pub mod ids;
pub mod money;
pub mod rules;
pub mod schedule;
pub mod time;
