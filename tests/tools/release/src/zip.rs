//! A zip archive holding one executable, as the registry serves a provider package: the
//! binary at the root, deflated, with Unix mode bits so Terraform's unpacking keeps it
//! executable (PKWARE APPNOTE 6.3: local header, data, central directory, end record).
//!
//! Written here rather than with a zip crate: one entry needs about sixty lines over the
//! deflate and CRC-32 crates the workspace already builds, the entry's timestamp is pinned
//! (1980-01-01, the format's epoch) so the same binary always gives the same zip, and the
//! archives are checked by Python's `zipfile` in the tests and by Terraform itself end to end.

use std::io::Write;

use anyhow::{bail, Context};
use flate2::write::DeflateEncoder;
use flate2::Compression;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
/// Version 2.0: deflate.
const VERSION_NEEDED: u16 = 20;
/// Made by Unix (3) so readers take the external attributes as a Unix mode.
const VERSION_MADE_BY: u16 = (3 << 8) | VERSION_NEEDED;
const METHOD_DEFLATE: u16 = 8;
/// MS-DOS date for 1980-01-01 (day 1, month 1, year 0); the time is midnight.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;
/// A regular file, rwxr-xr-x.
pub const EXECUTABLE_MODE: u32 = 0o100_755;

/// Writes a zip with a single file `name` holding `data` with Unix `mode`.
pub fn write_single_file(
    out: &mut impl Write,
    name: &str,
    data: &[u8],
    mode: u32,
) -> anyhow::Result<()> {
    if name.is_empty() || name.contains(['/', '\\']) || !name.is_ascii() {
        bail!("zip entry name {name:?} must be a plain ASCII file name");
    }
    let name_len = u16::try_from(name.len()).context("zip entry name too long")?;
    let mut deflater = DeflateEncoder::new(Vec::new(), Compression::default());
    deflater.write_all(data)?;
    let compressed = deflater.finish()?;
    let size = u32::try_from(data.len()).context("file too large for a zip without Zip64")?;
    let compressed_size =
        u32::try_from(compressed.len()).context("file too large for a zip without Zip64")?;
    let crc = crc32fast::hash(data);

    let mut zip = Vec::with_capacity(compressed.len() + 2 * name.len() + 128);
    // Local file header.
    put32(&mut zip, LOCAL_HEADER);
    put16(&mut zip, VERSION_NEEDED);
    put16(&mut zip, 0); // flags
    put16(&mut zip, METHOD_DEFLATE);
    put16(&mut zip, DOS_TIME);
    put16(&mut zip, DOS_DATE);
    put32(&mut zip, crc);
    put32(&mut zip, compressed_size);
    put32(&mut zip, size);
    put16(&mut zip, name_len);
    put16(&mut zip, 0); // extra field length
    zip.extend_from_slice(name.as_bytes());
    zip.extend_from_slice(&compressed);

    let central_offset = u32::try_from(zip.len()).context("zip too large")?;
    put32(&mut zip, CENTRAL_HEADER);
    put16(&mut zip, VERSION_MADE_BY);
    put16(&mut zip, VERSION_NEEDED);
    put16(&mut zip, 0); // flags
    put16(&mut zip, METHOD_DEFLATE);
    put16(&mut zip, DOS_TIME);
    put16(&mut zip, DOS_DATE);
    put32(&mut zip, crc);
    put32(&mut zip, compressed_size);
    put32(&mut zip, size);
    put16(&mut zip, name_len);
    put16(&mut zip, 0); // extra field length
    put16(&mut zip, 0); // comment length
    put16(&mut zip, 0); // disk number
    put16(&mut zip, 0); // internal attributes
    put32(&mut zip, mode << 16); // external attributes: the Unix mode in the high half
    put32(&mut zip, 0); // offset of the local header
    zip.extend_from_slice(name.as_bytes());
    let central_size = u32::try_from(zip.len()).context("zip too large")? - central_offset;

    put32(&mut zip, END_OF_CENTRAL_DIRECTORY);
    put16(&mut zip, 0); // this disk
    put16(&mut zip, 0); // disk with the central directory
    put16(&mut zip, 1); // entries on this disk
    put16(&mut zip, 1); // entries in all
    put32(&mut zip, central_size);
    put32(&mut zip, central_offset);
    put16(&mut zip, 0); // comment length
    out.write_all(&zip)?;
    Ok(())
}

fn put16(buf: &mut Vec<u8>, v: u16) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    /// Python's `zipfile` (python3 is on every machine that runs the tests) is an independent
    /// reader: it checks the CRC, the sizes and both directories, and reports the mode.
    #[test]
    fn python_reads_back_name_content_and_executable_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.zip");
        let data: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let mut file = std::fs::File::create(&path).unwrap();
        write_single_file(
            &mut file,
            "terraform-provider-x_v1.0.0",
            &data,
            EXECUTABLE_MODE,
        )
        .unwrap();
        drop(file);
        let script = r#"
import sys, zipfile, hashlib
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
(info,) = z.infolist()
print(info.filename, oct(info.external_attr >> 16), info.compress_type, info.date_time, hashlib.sha256(z.read(info)).hexdigest())
"#;
        let out = Command::new("python3")
            .args(["-c", script])
            .arg(&path)
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let hex = crate::dist::sha256_hex(&data);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("terraform-provider-x_v1.0.0 0o100755 8 (1980, 1, 1, 0, 0, 0) {hex}")
        );
        assert!(
            std::fs::metadata(&path).unwrap().len() < data.len() as u64 / 2,
            "deflated"
        );
    }

    #[test]
    fn the_same_input_gives_the_same_bytes() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        write_single_file(&mut a, "f", b"same", EXECUTABLE_MODE).unwrap();
        write_single_file(&mut b, "f", b"same", EXECUTABLE_MODE).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn names_with_folders_are_refused() {
        assert!(write_single_file(&mut Vec::new(), "bin/x", b"", EXECUTABLE_MODE).is_err());
        assert!(write_single_file(&mut Vec::new(), "", b"", EXECUTABLE_MODE).is_err());
    }
}
