//! Database migrations (append-only, `mYYYYMMDD_HHMMSS_verb_noun.rs`). Filled in by the server work; must not depend on server code.
