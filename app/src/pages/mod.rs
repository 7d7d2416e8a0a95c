pub mod account;
pub mod admin;
pub mod booking;
pub mod catalogue;
pub mod free;
pub mod manage;
pub mod not_found;
pub mod resource;
