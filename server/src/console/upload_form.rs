//! A console form that carries a file (`multipart/form-data`): the session's CSRF token must
//! come before the file, small text fields are read whole, and the file is saved to a
//! temporary file under the configured size limit.

use crate::console::session::{ConsoleError, ConsoleUser};
use crate::error::ApiError;
use crate::services::imports::{clean_file_name, save_upload};
use actix_multipart::Multipart;
use futures_util::StreamExt;
use std::collections::BTreeMap;

/// A file form as read.
pub struct UploadForm {
    /// The text fields by name.
    pub fields: BTreeMap<String, String>,
    /// The file.
    pub file: tempfile::NamedTempFile,
    /// The file's name as the browser gave it (cleaned).
    pub file_name: String,
}

impl UploadForm {
    /// A text field, empty when absent.
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |v| v.as_str())
    }
}

/// Reads a small text field.
async fn text_field(field: &mut actix_multipart::Field) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest("form-invalid", e.to_string()))?;
        bytes.extend_from_slice(&chunk);
        if bytes.len() > 1024 {
            return Err(ApiError::BadRequest(
                "form-invalid",
                "a form field is too long".into(),
            ));
        }
    }
    String::from_utf8(bytes).map_err(|e| ApiError::BadRequest("form-invalid", e.to_string()))
}

/// Reads a file form with the text fields `names` (others are skipped): refused (403)
/// without the session's token before the file, 400 `file-missing` without a file.
pub async fn read(
    who: &ConsoleUser,
    mut form: Multipart,
    names: &[&str],
    max_bytes: u64,
) -> Result<UploadForm, ConsoleError> {
    let mut csrf_ok = false;
    let mut fields = BTreeMap::new();
    let mut file = None;
    let mut file_name = String::new();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| ApiError::BadRequest("form-invalid", e.to_string()))?;
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "csrf" => {
                who.check_csrf(&text_field(&mut field).await?)?;
                csrf_ok = true;
            }
            "file" if csrf_ok => {
                file_name = clean_file_name(
                    field.content_disposition().and_then(|d| d.get_filename()),
                    "upload",
                );
                file = Some(save_upload(&mut field, max_bytes).await?);
            }
            other if names.contains(&other) => {
                fields.insert(name, text_field(&mut field).await?);
            }
            _ => {}
        }
    }
    if !csrf_ok {
        who.check_csrf("")?;
    }
    let file = file.ok_or_else(|| ApiError::BadRequest("file-missing", "choose a file".into()))?;
    Ok(UploadForm {
        fields,
        file,
        file_name,
    })
}
