//! Server functions: the boundary. Each parses its input into domain types, asks the backend, and
//! returns wire types; no SQL and no business rules live here.

pub mod catalogue;
