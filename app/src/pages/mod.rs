pub mod catalogue;
pub mod free;
pub mod not_found;
pub mod resource;
