//! A boundary around automerge calls that process bytes from a peer.
//!
//! automerge 0.12 can panic on crafted change bytes that parse but reference actors that
//! were never declared (an `unwrap` in its op import). A tablet or a server must never go
//! down because one peer sent such bytes, so every call that applies peer-supplied changes
//! runs inside [`contain`], and what it worked on is thrown away if it panics (a copy, or
//! on the server the document itself, read again from storage).

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`; a panic inside becomes `None`. Only for work on state that is discarded when
/// `None` comes back.
pub fn contain<T>(f: impl FnOnce() -> T) -> Option<T> {
    catch_unwind(AssertUnwindSafe(f)).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_becomes_none_and_a_value_passes_through() {
        assert_eq!(super::contain(|| 7), Some(7));
        let none: Option<()> = super::contain(|| panic!("crafted input"));
        assert!(none.is_none());
    }
}
