//! The integration tests, one binary: each module drives the real router (or the real server
//! binary) on a real SQLite file, a real PostgreSQL server or a real SMTP server. One binary links
//! the application once instead of once per file.

mod common;

mod accounts;
mod authorization;
mod availability;
mod bookings;
mod catalogue;
mod claims;
mod concurrency;
mod database;
mod durability;
mod editor;
mod group_commit;
mod ledger;
mod logs;
mod mail;
mod malformed;
mod photos;
mod postgres;
mod properties;
mod reports;
mod rest;
mod security;
mod servers;
mod services;
mod site;
