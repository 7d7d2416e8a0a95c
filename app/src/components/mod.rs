//! Reusable pieces of interface; no SQL and no business rules.

pub mod badges;
pub mod charts;
pub mod data;
pub mod error_view;
pub mod format;
pub mod forms;
pub mod layout;
pub mod options;
pub mod query;
pub mod report_table;
pub mod week_grid;
