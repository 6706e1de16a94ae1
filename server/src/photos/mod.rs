//! Photo evidence: content-addressed blobs uploaded in resumable chunks, checked and
//! decoded under limits, with a thumbnail and a review preview, kept in a blob store (the
//! local file system or any S3-compatible object store).

pub mod exif;
pub mod process;
pub mod storage;
