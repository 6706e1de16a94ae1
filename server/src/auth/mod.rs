//! Authentication: JWT access tokens with a key id, refresh tokens stored hashed and
//! revocable, and the extractor that turns a bearer token into the calling user.

mod extractor;
mod tokens;

pub use extractor::{AuthUser, UncheckedUser, refused_session};
pub use tokens::{Claims, TokenKeys};
