//! Checking and deriving a photo, as pure CPU work over bytes: the format is recognised
//! from the bytes (never the name), the dimensions are read from the header and refused
//! before anything is decoded when they exceed the limits (a decompression bomb costs
//! microseconds), then the image is decoded under a memory limit, EXIF is read, and a
//! thumbnail and a review preview are made upright and without metadata. JPEGs are
//! decoded straight at the smallest DCT scale that still covers the preview.

use super::exif::{PhotoExif, read_exif};
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, ImageFormat, RgbImage};
use std::io::Cursor;

/// Long side of the thumbnail, in pixels.
pub const THUMBNAIL_PX: u32 = 256;
/// Long side of the review preview, in pixels.
pub const PREVIEW_PX: u32 = 1280;
const JPEG_QUALITY: u8 = 82;

/// Limits on what is decoded.
#[derive(Debug, Clone, Copy)]
pub struct DecodeLimits {
    /// Most pixels (width × height) accepted.
    pub max_pixels: u64,
    /// Most bytes a decoder may allocate.
    pub max_alloc: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_pixels: 50_000_000,
            max_alloc: 512 * 1024 * 1024,
        }
    }
}

/// Why a photo is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoRejection {
    /// Not JPEG, PNG or WebP.
    #[error("not a JPEG, PNG or WebP image")]
    Unsupported,
    /// Too many pixels (a decompression bomb or an absurd size).
    #[error("{width}×{height} pixels is over the limit of {limit}")]
    TooManyPixels {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
        /// The limit.
        limit: u64,
    },
    /// The bytes do not decode.
    #[error("the image does not decode: {0}")]
    Corrupt(String),
}

impl PhotoRejection {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unsupported => "photo-unsupported-type",
            Self::TooManyPixels { .. } => "photo-too-many-pixels",
            Self::Corrupt(_) => "photo-corrupt",
        }
    }
}

/// What processing a photo produced.
#[derive(Debug, Clone)]
pub struct ProcessedPhoto {
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub media_type: &'static str,
    /// Width of the original as stored (before orientation).
    pub width: u32,
    /// Height of the original.
    pub height: u32,
    /// What EXIF said.
    pub exif: PhotoExif,
    /// JPEG thumbnail, upright, no metadata.
    pub thumbnail: Vec<u8>,
    /// JPEG preview, upright, no metadata.
    pub preview: Vec<u8>,
}

/// Recognises the format from the bytes.
pub fn sniff(bytes: &[u8]) -> Result<(ImageFormat, &'static str), PhotoRejection> {
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Ok((ImageFormat::Jpeg, "image/jpeg")),
        Ok(ImageFormat::Png) => Ok((ImageFormat::Png, "image/png")),
        Ok(ImageFormat::WebP) => Ok((ImageFormat::WebP, "image/webp")),
        _ => Err(PhotoRejection::Unsupported),
    }
}

/// Width and height from the header only.
pub fn dimensions(bytes: &[u8], format: ImageFormat) -> Result<(u32, u32), PhotoRejection> {
    image::ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| PhotoRejection::Corrupt(e.to_string()))
}

fn check_pixels(width: u32, height: u32, limits: &DecodeLimits) -> Result<(), PhotoRejection> {
    if u64::from(width) * u64::from(height) > limits.max_pixels || width == 0 || height == 0 {
        return Err(PhotoRejection::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    Ok(())
}

/// Size with the long side `long`, keeping the aspect ratio (never upscaling).
fn fit(width: u32, height: u32, long: u32) -> (u32, u32) {
    let side = width.max(height);
    if side <= long {
        return (width, height);
    }
    let scale = f64::from(long) / f64::from(side);
    (
        ((f64::from(width) * scale).round() as u32).max(1),
        ((f64::from(height) * scale).round() as u32).max(1),
    )
}

/// Checks, decodes and derives a photo.
pub fn process(bytes: &[u8], limits: &DecodeLimits) -> Result<ProcessedPhoto, PhotoRejection> {
    let (format, media_type) = sniff(bytes)?;
    let (width, height) = dimensions(bytes, format)?;
    check_pixels(width, height, limits)?;
    let exif = read_exif(bytes);
    let (preview_w, preview_h) = fit(width, height, PREVIEW_PX);
    let decoded = match format {
        ImageFormat::Jpeg => decode_jpeg_scaled(bytes, preview_w, preview_h, limits)?,
        _ => decode_other(bytes, format, limits)?,
    };
    let preview = resize(&decoded, preview_w, preview_h)?;
    let (thumb_w, thumb_h) = fit(preview_w, preview_h, THUMBNAIL_PX);
    let thumbnail = resize(&preview, thumb_w, thumb_h)?;
    Ok(ProcessedPhoto {
        media_type,
        width,
        height,
        thumbnail: encode_jpeg(upright(thumbnail, exif.orientation))?,
        preview: encode_jpeg(upright(preview, exif.orientation))?,
        exif,
    })
}

/// JPEG decoded at the smallest DCT scale (1/8 … 1) still at least `want` in both sides.
fn decode_jpeg_scaled(
    bytes: &[u8],
    want_w: u32,
    want_h: u32,
    limits: &DecodeLimits,
) -> Result<RgbImage, PhotoRejection> {
    let corrupt = |e: jpeg_decoder::Error| PhotoRejection::Corrupt(e.to_string());
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(usize::try_from(limits.max_alloc).unwrap_or(usize::MAX));
    decoder.read_info().map_err(corrupt)?;
    let clamp = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
    let (w, h) = decoder
        .scale(clamp(want_w), clamp(want_h))
        .map_err(corrupt)?;
    let pixels = decoder.decode().map_err(corrupt)?;
    let info = decoder
        .info()
        .ok_or_else(|| PhotoRejection::Corrupt("no image information".into()))?;
    let (w, h) = (u32::from(w), u32::from(h));
    let rgb = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels,
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        jpeg_decoder::PixelFormat::L16 => pixels
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0]])
            .collect(),
        jpeg_decoder::PixelFormat::CMYK32 => pixels
            .chunks_exact(4)
            .flat_map(|p| {
                let k = u16::from(p[3]);
                let channel = |c: u8| ((u16::from(c) * k) / 255) as u8;
                [channel(p[0]), channel(p[1]), channel(p[2])]
            })
            .collect(),
    };
    RgbImage::from_raw(w, h, rgb)
        .ok_or_else(|| PhotoRejection::Corrupt("decoded size does not match".into()))
}

fn decode_other(
    bytes: &[u8],
    format: ImageFormat,
    limits: &DecodeLimits,
) -> Result<RgbImage, PhotoRejection> {
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(image_limits);
    let image = reader
        .decode()
        .map_err(|e| PhotoRejection::Corrupt(e.to_string()))?;
    Ok(image.into_rgb8())
}

fn resize(src: &RgbImage, width: u32, height: u32) -> Result<RgbImage, PhotoRejection> {
    if src.width() == width && src.height() == height {
        return Ok(src.clone());
    }
    let failed = |e: &dyn std::fmt::Display| PhotoRejection::Corrupt(format!("resize: {e}"));
    // Borrowed: the decoded image is megabytes and only read.
    let source = ImageRef::new(src.width(), src.height(), src.as_raw(), PixelType::U8x3)
        .map_err(|e| failed(&e))?;
    let mut target = Image::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    Resizer::new()
        .resize(&source, &mut target, &options)
        .map_err(|e| failed(&e))?;
    RgbImage::from_raw(width, height, target.into_vec())
        .ok_or_else(|| PhotoRejection::Corrupt("resized size does not match".into()))
}

/// Applies the EXIF orientation (1–8) so the image shows upright.
fn upright(image: RgbImage, orientation: u16) -> DynamicImage {
    let image = DynamicImage::ImageRgb8(image);
    match orientation {
        2 => image.fliph(),
        3 => image.rotate180(),
        4 => image.flipv(),
        5 => image.rotate90().fliph(),
        6 => image.rotate90(),
        7 => image.rotate270().fliph(),
        8 => image.rotate270(),
        _ => image,
    }
}

fn encode_jpeg(image: DynamicImage) -> Result<Vec<u8>, PhotoRejection> {
    let mut out = Vec::new();
    let rgb = image.into_rgb8();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode(
            rgb.as_raw(),
            rgb.width(),
            rgb.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| PhotoRejection::Corrupt(format!("encode: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        });
        encode_jpeg(DynamicImage::ImageRgb8(image)).unwrap()
    }

    #[test]
    fn a_jpeg_becomes_a_thumbnail_and_a_preview_of_the_right_sizes() {
        let photo = process(&jpeg(3000, 2000), &DecodeLimits::default()).unwrap();
        assert_eq!((photo.width, photo.height), (3000, 2000));
        let thumb = image::load_from_memory(&photo.thumbnail).unwrap();
        let preview = image::load_from_memory(&photo.preview).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (256, 171));
        assert_eq!((preview.width(), preview.height()), (1280, 853));
    }

    #[test]
    fn a_png_and_a_webp_are_accepted_and_other_bytes_are_not() {
        let image = DynamicImage::ImageRgb8(RgbImage::from_pixel(40, 30, image::Rgb([9, 9, 9])));
        for format in [ImageFormat::Png, ImageFormat::WebP] {
            let mut bytes = Vec::new();
            image
                .write_to(&mut Cursor::new(&mut bytes), format)
                .unwrap();
            let photo = process(&bytes, &DecodeLimits::default()).unwrap();
            assert_eq!((photo.width, photo.height), (40, 30), "{format:?}");
        }
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert_eq!(
            process(gif, &DecodeLimits::default()).unwrap_err().code(),
            "photo-unsupported-type"
        );
        assert_eq!(
            process(b"%PDF-1.7 photo.jpg", &DecodeLimits::default())
                .unwrap_err()
                .code(),
            "photo-unsupported-type"
        );
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        // A PNG header claiming 100000×100000 pixels.
        let mut bytes = Vec::new();
        let image = DynamicImage::ImageLuma8(image::GrayImage::new(1, 1));
        image
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        bytes[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = process(&bytes, &DecodeLimits::default()).unwrap_err();
        assert_eq!(err.code(), "photo-too-many-pixels", "{err}");
    }

    /// CRC-32 (IEEE) as PNG chunks carry it.
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn orientation_turns_the_derived_images_upright() {
        let turned = upright(RgbImage::new(40, 20), 6);
        assert_eq!((turned.width(), turned.height()), (20, 40));
        let kept = upright(RgbImage::new(40, 20), 1);
        assert_eq!((kept.width(), kept.height()), (40, 20));
    }
}
