//! Test images: noisy JPEGs (so they do not compress to nothing), EXIF blocks, bombs.

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};
use image::{ImageFormat, RgbImage};
use std::io::Cursor;

/// A JPEG of `width`×`height` noisy pixels.
pub fn jpeg(width: u32, height: u32, seed: u32) -> Vec<u8> {
    noisy_jpeg(width, height, seed, 0x3f)
}

/// A JPEG of gradients with noise of up to `noise` levels: 0x3f makes large files that do
/// not compress away, 0x07 about the size of a phone camera's photo.
pub fn noisy_jpeg(width: u32, height: u32, seed: u32, noise: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let image = RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state & noise) as u8;
        image::Rgb([
            ((x * 255 / width.max(1)) as u8).wrapping_add(noise),
            ((y * 255 / height.max(1)) as u8).wrapping_add(noise / 2),
            noise.wrapping_mul(3),
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode(
            image.as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// The same JPEG with an EXIF block: camera `ZouCam T1`, taken `2026:11:20 10:30:00`,
/// at 41°45'36" N 86°9'0" E (Korla), orientation 6 (turned 90° clockwise).
pub fn with_exif(jpeg: &[u8]) -> Vec<u8> {
    let ascii = |s: &str| Value::Ascii(vec![s.as_bytes().to_vec()]);
    let rational = |v: &[(u32, u32)]| {
        Value::Rational(
            v.iter()
                .map(|&(num, denom)| Rational { num, denom })
                .collect(),
        )
    };
    let fields = [
        Field {
            tag: Tag::Make,
            ifd_num: In::PRIMARY,
            value: ascii("ZouCam"),
        },
        Field {
            tag: Tag::Model,
            ifd_num: In::PRIMARY,
            value: ascii("T1"),
        },
        Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![6]),
        },
        Field {
            tag: Tag::DateTimeOriginal,
            ifd_num: In::PRIMARY,
            value: ascii("2026:11:20 10:30:00"),
        },
        Field {
            tag: Tag::GPSLatitudeRef,
            ifd_num: In::PRIMARY,
            value: ascii("N"),
        },
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: rational(&[(41, 1), (45, 1), (36, 1)]),
        },
        Field {
            tag: Tag::GPSLongitudeRef,
            ifd_num: In::PRIMARY,
            value: ascii("E"),
        },
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: rational(&[(86, 1), (9, 1), (0, 1)]),
        },
    ];
    let mut writer = Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, true).unwrap();
    let tiff = tiff.into_inner();
    let mut segment = b"Exif\0\0".to_vec();
    segment.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xff, 0xe1]);
    out.extend_from_slice(&((segment.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&segment);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// [`with_exif`], with the EXIF written the way several camera and tablet makers write it:
/// the Exif sub-IFD carries a non-zero next-IFD pointer (the specification wants zero).
pub fn with_quirky_exif(jpeg: &[u8]) -> Vec<u8> {
    let mut out = with_exif(jpeg);
    // The TIFF header follows SOI (2), APP1 marker and length (4) and "Exif\0\0" (6).
    let tiff = 12;
    let big_endian = &out[tiff..tiff + 2] == b"MM";
    let read16 = |b: &[u8], at: usize| {
        let v = [b[at], b[at + 1]];
        usize::from(if big_endian {
            u16::from_be_bytes(v)
        } else {
            u16::from_le_bytes(v)
        })
    };
    let read32 = |b: &[u8], at: usize| {
        let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        (if big_endian {
            u32::from_be_bytes(v)
        } else {
            u32::from_le_bytes(v)
        }) as usize
    };
    let ifd0 = tiff + read32(&out, tiff + 4);
    let exif_ifd = (0..read16(&out, ifd0))
        .map(|i| ifd0 + 2 + 12 * i)
        .find(|&entry| read16(&out, entry) == 0x8769)
        .map(|entry| tiff + read32(&out, entry + 8))
        .expect("an Exif sub-IFD");
    let next = exif_ifd + 2 + 12 * read16(&out, exif_ifd);
    let pointer = (ifd0 - tiff) as u32;
    let bytes = if big_endian {
        pointer.to_be_bytes()
    } else {
        pointer.to_le_bytes()
    };
    out[next..next + 4].copy_from_slice(&bytes);
    out
}

/// A tiny PNG whose header claims `side`×`side` pixels: a decompression bomb.
pub fn png_bomb(side: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::DynamicImage::ImageLuma8(image::GrayImage::new(1, 1))
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .unwrap();
    bytes[16..20].copy_from_slice(&side.to_be_bytes());
    bytes[20..24].copy_from_slice(&side.to_be_bytes());
    // A real bomb carries a valid checksum over the IHDR chunk's type and data.
    let mut crc = flate2::Crc::new();
    crc.update(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    bytes
}
