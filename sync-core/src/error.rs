//! Errors of the document layer. Every variant has a stable kebab-case code.

use crate::path::DocPath;

/// What went wrong reading or editing a household document.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// Nothing at the path.
    #[error("no value at `{0}`")]
    NotFound(DocPath),
    /// A key on the way is not a map.
    #[error("`{0}` is not a map")]
    NotAMap(DocPath),
    /// Writing a scalar here would replace a container (section, entry, set).
    #[error("`{0}` holds a container; write its fields instead")]
    WouldReplaceContainer(DocPath),
    /// Objects are added through the entry methods, not `put`.
    #[error("`{0}`: only scalar values can be put; add entries with the entry methods")]
    NotAScalar(DocPath),
    /// An entry with this key already exists.
    #[error("entry `{0}` already exists")]
    EntryExists(DocPath),
    /// A value does not fit the schema.
    #[error("value does not fit the schema: {0}")]
    Shape(String),
    /// The bytes are not an automerge document.
    #[error("not a household document: {0}")]
    Load(String),
    /// The automerge library refused an operation.
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}

impl DocError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            DocError::NotFound(_) => "path-not-found",
            DocError::NotAMap(_) => "path-not-a-map",
            DocError::WouldReplaceContainer(_) => "container-not-writable",
            DocError::NotAScalar(_) => "value-not-scalar",
            DocError::EntryExists(_) => "entry-exists",
            DocError::Shape(_) => "schema-mismatch",
            DocError::Load(_) => "document-unreadable",
            DocError::Automerge(_) => "automerge-error",
        }
    }
}
