//! What a photo's EXIF says about when, where and with what it was taken, and how it is
//! turned. Missing or broken EXIF is not an error: the fields stay empty. EXIF that is
//! partly broken (cameras and tablets write sub-IFDs with a next-IFD pointer, truncated
//! maker notes, ...) is read leniently: every field that parses is kept.

use exif::{In, Reader, Tag, Value};
use serde::Serialize;
use std::io::Cursor;

/// EXIF facts kept with a photo.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PhotoExif {
    /// `DateTimeOriginal` as written by the camera (`2026-11-20 14:03:11`).
    pub taken_at: Option<String>,
    /// Latitude in degrees, south negative.
    pub gps_lat: Option<f64>,
    /// Longitude in degrees, west negative.
    pub gps_lon: Option<f64>,
    /// Camera make and model.
    pub camera: Option<String>,
    /// EXIF orientation, 1 (upright) to 8.
    pub orientation: u16,
}

/// Reads the EXIF of a JPEG, PNG or WebP.
pub fn read_exif(bytes: &[u8]) -> PhotoExif {
    let mut reader = Reader::new();
    reader.continue_on_error(true);
    let read = reader
        .read_from_container(&mut Cursor::new(bytes))
        .or_else(|err| {
            err.distill_partial_result(|errors| {
                tracing::debug!(?errors, "EXIF partly unreadable; the rest is kept");
            })
        });
    let Ok(exif) = read else {
        return PhotoExif {
            orientation: 1,
            ..PhotoExif::default()
        };
    };
    let text = |tag: Tag| {
        exif.get_field(tag, In::PRIMARY).map(|f| {
            f.display_value()
                .to_string()
                .trim_matches('"')
                .trim()
                .to_owned()
        })
    };
    let taken_at = text(Tag::DateTimeOriginal).or_else(|| text(Tag::DateTime));
    let camera = match (text(Tag::Make), text(Tag::Model)) {
        (Some(make), Some(model)) if model.starts_with(&make) => Some(model),
        (Some(make), Some(model)) => Some(format!("{make} {model}")),
        (make, model) => make.or(model),
    }
    .filter(|c| !c.is_empty());
    let orientation = exif
        .get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|o| u16::try_from(o).ok())
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1);
    let coordinate = |value: Tag, reference: Tag, negative: &str| {
        let field = exif.get_field(value, In::PRIMARY)?;
        let Value::Rational(parts) = &field.value else {
            return None;
        };
        let degrees = parts
            .iter()
            .take(3)
            .enumerate()
            .fold(0.0, |sum, (i, r)| sum + r.to_f64() / [1.0, 60.0, 3600.0][i]);
        let sign = match text(reference) {
            Some(r) if r.starts_with(negative) => -1.0,
            _ => 1.0,
        };
        degrees.is_finite().then_some(sign * degrees)
    };
    PhotoExif {
        taken_at,
        gps_lat: coordinate(Tag::GPSLatitude, Tag::GPSLatitudeRef, "S"),
        gps_lon: coordinate(Tag::GPSLongitude, Tag::GPSLongitudeRef, "W"),
        camera,
        orientation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_photo_without_exif_reads_as_upright_and_empty() {
        let exif = read_exif(b"\xff\xd8\xff\xd9");
        assert_eq!(exif.orientation, 1);
        assert_eq!(exif.taken_at, None);
    }
}
