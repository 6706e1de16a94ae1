//! Request bodies read under a limit that holds after decompression: the compressed bytes
//! are read up to the limit, then inflated through a reader that stops one byte past it, so
//! a small compressed body never becomes a large allocation. Decoders run with bounded
//! windows (zstd at most 8 MiB; gzip and deflate 32 KiB and brotli 16 MiB by their formats).

use crate::error::ApiError;
use actix_web::HttpRequest;
use actix_web::http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use actix_web::web;
use futures_util::StreamExt;
use std::io::Read;

/// The largest zstd window accepted (2^23 bytes).
const ZSTD_WINDOW_LOG_MAX: u32 = 23;

/// A content coding the server reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// Not compressed.
    Identity,
    /// `gzip`.
    Gzip,
    /// `deflate` (zlib).
    Deflate,
    /// `br`.
    Brotli,
    /// `zstd`.
    Zstd,
}

impl Coding {
    /// The coding a `Content-Encoding` header names; several codings are not accepted.
    pub fn of(req: &HttpRequest) -> Result<Self, ApiError> {
        let Some(value) = req.headers().get(CONTENT_ENCODING) else {
            return Ok(Coding::Identity);
        };
        let name = value
            .to_str()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match name.as_str() {
            "" | "identity" => Ok(Coding::Identity),
            "gzip" | "x-gzip" => Ok(Coding::Gzip),
            "deflate" => Ok(Coding::Deflate),
            "br" => Ok(Coding::Brotli),
            "zstd" => Ok(Coding::Zstd),
            other => Err(ApiError::UnsupportedMedia(
                "content-encoding-unsupported",
                format!("content encoding `{other}` is not accepted (gzip, deflate, br, zstd)"),
            )),
        }
    }
}

/// Reads the body, inflating it per `Content-Encoding`, refusing it (413) as soon as the
/// compressed or the inflated bytes pass `limit`.
pub async fn read_limited(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let coding = Coding::of(req)?;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let mut stream = payload.into_inner();
    let mut raw = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest("body-unreadable", e.to_string()))?;
        if raw.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        raw.extend_from_slice(&chunk);
    }
    if coding == Coding::Identity {
        return Ok(raw);
    }
    tokio::task::spawn_blocking(move || inflate(coding, &raw, limit))
        .await
        .map_err(|e| ApiError::Internal(format!("inflating the body: {e}")))?
}

/// Inflates `raw` under `limit`.
pub fn inflate(coding: Coding, raw: &[u8], limit: usize) -> Result<Vec<u8>, ApiError> {
    let unreadable =
        |e: std::io::Error| ApiError::BadRequest("body-unreadable", format!("cannot inflate: {e}"));
    let reader: Box<dyn Read + '_> = match coding {
        Coding::Identity => Box::new(raw),
        Coding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(raw)),
        Coding::Deflate => Box::new(flate2::read::ZlibDecoder::new(raw)),
        Coding::Brotli => Box::new(brotli_decompressor::Decompressor::new(raw, 64 * 1024)),
        Coding::Zstd => {
            let mut decoder = zstd::stream::read::Decoder::new(raw).map_err(unreadable)?;
            decoder
                .window_log_max(ZSTD_WINDOW_LOG_MAX)
                .map_err(unreadable)?;
            Box::new(decoder)
        }
    };
    let mut out = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(unreadable)?;
    if out.len() > limit {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zeros_gzip(n: usize) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![0u8; n]).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn a_body_inflating_past_the_limit_is_refused_without_inflating_it_all() {
        let bomb = zeros_gzip(64 * 1024 * 1024);
        assert!(bomb.len() < 100 * 1024);
        let refused = inflate(Coding::Gzip, &bomb, 1024 * 1024).unwrap_err();
        assert_eq!(refused.code(), "payload-too-large");
        let zstd_bomb = zstd::encode_all(&vec![0u8; 64 * 1024 * 1024][..], 19).unwrap();
        let refused = inflate(Coding::Zstd, &zstd_bomb, 1024 * 1024).unwrap_err();
        assert_eq!(refused.code(), "payload-too-large");
    }

    #[test]
    fn bodies_within_the_limit_inflate_whole() {
        let body = b"zoufang".repeat(1000);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&body).unwrap();
        assert_eq!(
            inflate(Coding::Gzip, &gz.finish().unwrap(), 1 << 20).unwrap(),
            body
        );
        let zst = zstd::encode_all(&body[..], 3).unwrap();
        assert_eq!(inflate(Coding::Zstd, &zst, 1 << 20).unwrap(), body);
        assert_eq!(
            inflate(Coding::Zstd, &zst, 10).unwrap_err().code(),
            "payload-too-large"
        );
        assert!(inflate(Coding::Gzip, b"not gzip", 1 << 20).is_err());
    }
}
