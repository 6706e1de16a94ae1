//! Review of visits: the pure state machine ([`machine`]) apart from the services that load
//! its facts and carry out its effects.

pub mod machine;
