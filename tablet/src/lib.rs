//! The reference tablet client. Filled in by the tablet work; must not depend on the server crate.
