//! Just enough OpenPGP (RFC 9580, version 4 packets) for a throwaway release key: an RSA key
//! that signs, its ASCII-armored public key (the registry's `signing_keys.gpg_public_keys`) and
//! a binary detached signature (`..._SHA256SUMS.sig`), which Terraform checks with
//! `openpgp.CheckDetachedSignature` before it installs a package.
//!
//! Why not gpg or an OpenPGP crate: a fresh machine has cargo and python3, not necessarily
//! gpg, and the `pgp` crate brings about a hundred crates and a newer minimum Rust than the
//! workspace's. RSA key generation and PKCS#1 v1.5 signing come from aws-lc (already built for
//! TLS); this module only lays out packets. Real releases are signed by gpg with the
//! maintainers' key (see `signing`); Terraform itself verifies what this module writes in the
//! registry end-to-end test.

use anyhow::{anyhow, bail, Context};
use aws_lc_rs::digest::{self, SHA1_FOR_LEGACY_USE_ONLY, SHA256};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use base64::Engine;

const TAG_SIGNATURE: u8 = 2;
const TAG_PUBLIC_KEY: u8 = 6;
const TAG_USER_ID: u8 = 13;
const ALGO_RSA: u8 = 1;
const HASH_SHA256: u8 = 8;
/// Signature types.
const SIG_BINARY_DOCUMENT: u8 = 0x00;
const SIG_POSITIVE_CERTIFICATION: u8 = 0x13;
/// Signature subpacket types.
const SUB_CREATION_TIME: u8 = 2;
const SUB_ISSUER_KEY_ID: u8 = 16;
const SUB_PREFERRED_HASHES: u8 = 21;
const SUB_KEY_FLAGS: u8 = 27;
const SUB_ISSUER_FINGERPRINT: u8 = 33;
/// Key flags: may certify other keys (0x01) and sign data (0x02).
const FLAGS_CERTIFY_AND_SIGN: u8 = 0x03;

/// An RSA signing key with one user id, created now.
pub struct SigningKey {
    key: RsaKeyPair,
    created: u32,
    public_body: Vec<u8>,
    fingerprint: [u8; 20],
    user_id: String,
}

impl SigningKey {
    /// Generates a 3072-bit RSA key (gpg's default size) for `user_id`, e.g.
    /// `Name <mail@example.com>`.
    pub fn generate(user_id: &str) -> anyhow::Result<Self> {
        let key = RsaKeyPair::generate(KeySize::Rsa3072)
            .map_err(|_| anyhow!("RSA key generation failed"))?;
        let created = unix_now()?;
        let (n, e) = rsa_public_numbers(key.public_key().as_ref())?;
        let mut public_body = vec![4];
        public_body.extend_from_slice(&created.to_be_bytes());
        public_body.push(ALGO_RSA);
        put_mpi(&mut public_body, n);
        put_mpi(&mut public_body, e);
        let mut fingerprint = [0u8; 20];
        let mut hashed = Vec::with_capacity(public_body.len() + 3);
        put_key_hash_prefix(&mut hashed, &public_body)?;
        fingerprint.copy_from_slice(digest::digest(&SHA1_FOR_LEGACY_USE_ONLY, &hashed).as_ref());
        Ok(Self {
            key,
            created,
            public_body,
            fingerprint,
            user_id: user_id.to_string(),
        })
    }

    /// The v4 fingerprint in upper-case hex, as gpg prints it.
    pub fn fingerprint_hex(&self) -> String {
        hex_upper(&self.fingerprint)
    }

    /// The key id (the fingerprint's last eight bytes) in upper-case hex, the registry's
    /// `key_id`.
    pub fn key_id_hex(&self) -> String {
        hex_upper(&self.key_id())
    }

    fn key_id(&self) -> [u8; 8] {
        let mut id = [0u8; 8];
        id.copy_from_slice(&self.fingerprint[12..]);
        id
    }

    /// The transferable public key (key, user id, self-signature), ASCII-armored.
    pub fn armored_public_key(&self) -> anyhow::Result<String> {
        let mut certified = Vec::new();
        put_key_hash_prefix(&mut certified, &self.public_body)?;
        certified.push(0xB4);
        certified.extend_from_slice(&u32::try_from(self.user_id.len())?.to_be_bytes());
        certified.extend_from_slice(self.user_id.as_bytes());
        let mut extra = Vec::new();
        put_subpacket(&mut extra, SUB_KEY_FLAGS, &[FLAGS_CERTIFY_AND_SIGN]);
        put_subpacket(&mut extra, SUB_PREFERRED_HASHES, &[HASH_SHA256]);
        let self_signature = self.signature(SIG_POSITIVE_CERTIFICATION, &certified, &extra)?;

        let mut packets = Vec::new();
        put_packet(&mut packets, TAG_PUBLIC_KEY, &self.public_body);
        put_packet(&mut packets, TAG_USER_ID, self.user_id.as_bytes());
        packets.extend_from_slice(&self_signature);
        Ok(armor("PGP PUBLIC KEY BLOCK", &packets))
    }

    /// A binary detached signature over `document`, what `gpg --detach-sign` writes.
    pub fn sign_detached(&self, document: &[u8]) -> anyhow::Result<Vec<u8>> {
        self.signature(SIG_BINARY_DOCUMENT, document, &[])
    }

    /// A signature packet of `sig_type` over `signed` (RFC 9580 5.2.3 and 5.2.4): the hash
    /// covers the signed data, the packet's hashed part and the v4 trailer.
    fn signature(
        &self,
        sig_type: u8,
        signed: &[u8],
        extra_hashed: &[u8],
    ) -> anyhow::Result<Vec<u8>> {
        let created = unix_now()?.max(self.created);
        let mut hashed_subpackets = Vec::new();
        put_subpacket(
            &mut hashed_subpackets,
            SUB_CREATION_TIME,
            &created.to_be_bytes(),
        );
        let mut issuer = vec![4];
        issuer.extend_from_slice(&self.fingerprint);
        put_subpacket(&mut hashed_subpackets, SUB_ISSUER_FINGERPRINT, &issuer);
        hashed_subpackets.extend_from_slice(extra_hashed);

        let mut head = vec![4, sig_type, ALGO_RSA, HASH_SHA256];
        head.extend_from_slice(&u16::try_from(hashed_subpackets.len())?.to_be_bytes());
        head.extend_from_slice(&hashed_subpackets);

        let mut message = Vec::with_capacity(signed.len() + head.len() + 6);
        message.extend_from_slice(signed);
        message.extend_from_slice(&head);
        message.extend_from_slice(&[4, 0xFF]);
        message.extend_from_slice(&u32::try_from(head.len())?.to_be_bytes());
        let hash = digest::digest(&SHA256, &message);
        let mut value = vec![0u8; self.key.public_modulus_len()];
        // RSA_PKCS1_SHA256 hashes `message` itself and wraps the digest in a DigestInfo:
        // exactly the EMSA-PKCS1-v1_5 encoding OpenPGP specifies for RSA.
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                &message,
                &mut value,
            )
            .map_err(|_| anyhow!("RSA signing failed"))?;

        let mut unhashed = Vec::new();
        put_subpacket(&mut unhashed, SUB_ISSUER_KEY_ID, &self.key_id());
        let mut body = head;
        body.extend_from_slice(&u16::try_from(unhashed.len())?.to_be_bytes());
        body.extend_from_slice(&unhashed);
        body.extend_from_slice(&hash.as_ref()[..2]);
        put_mpi(&mut body, &value);
        let mut packet = Vec::new();
        put_packet(&mut packet, TAG_SIGNATURE, &body);
        Ok(packet)
    }
}

fn unix_now() -> anyhow::Result<u32> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the clock is before 1970")?
        .as_secs();
    u32::try_from(secs).context("OpenPGP v4 times end in 2106")
}

/// `0x99`, the two-byte length and the key body: how a v4 key enters fingerprints and
/// certification hashes.
fn put_key_hash_prefix(buf: &mut Vec<u8>, public_body: &[u8]) -> anyhow::Result<()> {
    buf.push(0x99);
    buf.extend_from_slice(&u16::try_from(public_body.len())?.to_be_bytes());
    buf.extend_from_slice(public_body);
    Ok(())
}

/// A packet with an OpenPGP (new format) header.
fn put_packet(buf: &mut Vec<u8>, tag: u8, body: &[u8]) {
    buf.push(0xC0 | tag);
    let len = body.len();
    if len < 192 {
        buf.push(len as u8);
    } else if len < 8384 {
        let rest = len - 192;
        buf.push((rest >> 8) as u8 + 192);
        buf.push((rest & 0xFF) as u8);
    } else {
        buf.push(0xFF);
        buf.extend_from_slice(&(len as u32).to_be_bytes());
    }
    buf.extend_from_slice(body);
}

/// A signature subpacket; every one written here is shorter than 191 bytes, so its length
/// takes one octet (type included).
fn put_subpacket(buf: &mut Vec<u8>, kind: u8, data: &[u8]) {
    debug_assert!(data.len() < 191);
    buf.push((data.len() + 1) as u8);
    buf.push(kind);
    buf.extend_from_slice(data);
}

/// A multiprecision integer: its bit count, then its big-endian bytes without leading zeros.
fn put_mpi(buf: &mut Vec<u8>, value: &[u8]) {
    let start = value.iter().position(|b| *b != 0).unwrap_or(value.len());
    let bytes = &value[start..];
    let bits = match bytes.first() {
        Some(first) => (bytes.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    };
    buf.extend_from_slice(&(bits as u16).to_be_bytes());
    buf.extend_from_slice(bytes);
}

/// The modulus and exponent of a DER `RSAPublicKey` (RFC 8017 A.1.1:
/// `SEQUENCE { INTEGER n, INTEGER e }`), as aws-lc returns it.
fn rsa_public_numbers(der: &[u8]) -> anyhow::Result<(&[u8], &[u8])> {
    let (sequence, rest) = der_element(der, 0x30)?;
    if !rest.is_empty() {
        bail!("trailing bytes after the RSA public key");
    }
    let (n, rest) = der_element(sequence, 0x02)?;
    let (e, rest) = der_element(rest, 0x02)?;
    if !rest.is_empty() {
        bail!("unexpected fields in the RSA public key");
    }
    Ok((n, e))
}

/// One DER element with tag `tag`: its contents and what follows it.
fn der_element(input: &[u8], tag: u8) -> anyhow::Result<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first().context("truncated DER")?;
    if found != tag {
        bail!("DER tag {found:#04x} where {tag:#04x} was expected");
    }
    let (&first, mut rest) = rest.split_first().context("truncated DER")?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7F);
        if count == 0 || count > 4 || rest.len() < count {
            bail!("bad DER length");
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        rest = &rest[count..];
        len
    };
    if rest.len() < len {
        bail!("truncated DER");
    }
    Ok(rest.split_at(len))
}

/// ASCII armor (RFC 9580 6.2) with the CRC-24 checksum line older readers require.
fn armor(label: &str, data: &[u8]) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    let body = engine.encode(data);
    let mut out = format!("-----BEGIN {label}-----\n\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    let crc = crc24(data).to_be_bytes();
    out.push('=');
    out.push_str(&engine.encode(&crc[1..]));
    out.push_str(&format!("\n-----END {label}-----\n"));
    out
}

fn crc24(data: &[u8]) -> u32 {
    let mut crc: u32 = 0x00B7_04CE;
    for byte in data {
        crc ^= u32::from(*byte) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x0100_0000 != 0 {
                crc ^= 0x0186_4CFB;
            }
        }
    }
    crc & 0x00FF_FFFF
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

    use super::*;

    #[test]
    fn crc24_matches_the_rfc_reference_values() {
        assert_eq!(crc24(b""), 0x00B7_04CE);
        // The CRC-24/OPENPGP check value for "123456789".
        assert_eq!(crc24(b"123456789"), 0x0021_CF02);
    }

    #[test]
    fn mpis_count_bits_without_leading_zeros() {
        let mut buf = Vec::new();
        put_mpi(&mut buf, &[0x00, 0x01, 0x00, 0x01]);
        assert_eq!(buf, [0x00, 0x11, 0x01, 0x00, 0x01]);
    }

    #[test]
    fn packet_lengths_use_the_one_two_and_five_octet_forms() {
        for (len, header) in [
            (191usize, vec![0xC2, 191]),
            (192, vec![0xC2, 192, 0]),
            (8383, vec![0xC2, 223, 255]),
            (8384, vec![0xC2, 0xFF, 0, 0, 0x20, 0xC0]),
        ] {
            let mut buf = Vec::new();
            put_packet(&mut buf, TAG_SIGNATURE, &vec![0; len]);
            assert_eq!(&buf[..header.len()], header.as_slice(), "length {len}");
            assert_eq!(buf.len(), header.len() + len);
        }
    }

    /// The detached signature verifies as plain PKCS#1 v1.5 over the data OpenPGP hashes:
    /// the document, the packet's hashed part and the trailer, and it names the key.
    #[test]
    fn a_detached_signature_covers_document_hashed_part_and_trailer() {
        let key = SigningKey::generate("Test <test@example.com>").unwrap();
        let document = b"abc  terraform-provider-x_1.0.0_linux_amd64.zip\n";
        let packet = key.sign_detached(document).unwrap();
        assert_eq!(packet[0], 0xC0 | TAG_SIGNATURE);
        let (body, header_len) = match packet[1] {
            l if l < 192 => (&packet[2..], 2),
            l if l < 224 => (&packet[3..], 3),
            _ => (&packet[6..], 6),
        };
        assert_eq!(packet.len(), header_len + body.len());
        assert_eq!(&body[..4], &[4, SIG_BINARY_DOCUMENT, ALGO_RSA, HASH_SHA256]);
        let hashed_len = usize::from(u16::from_be_bytes([body[4], body[5]]));
        let head = &body[..6 + hashed_len];
        let after = &body[6 + hashed_len..];
        let unhashed_len = usize::from(u16::from_be_bytes([after[0], after[1]]));
        let unhashed = &after[2..2 + unhashed_len];
        assert_eq!(unhashed[1], SUB_ISSUER_KEY_ID);
        assert_eq!(hex_upper(&unhashed[2..10]), key.key_id_hex());
        let mpi = &after[2 + unhashed_len + 2..];
        let value = &mpi[2..];

        let mut message = document.to_vec();
        message.extend_from_slice(head);
        message.extend_from_slice(&[4, 0xFF]);
        message.extend_from_slice(&(head.len() as u32).to_be_bytes());
        let mut padded = vec![0u8; key.key.public_modulus_len() - value.len()];
        padded.extend_from_slice(value);
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.key.public_key().as_ref())
            .verify(&message, &padded)
            .expect("signature verifies");
        let hash = digest::digest(&SHA256, &message);
        assert_eq!(
            &after[2 + unhashed_len..2 + unhashed_len + 2],
            &hash.as_ref()[..2]
        );
    }

    #[test]
    fn the_armored_key_has_its_checksum_and_fingerprint() {
        let key = SigningKey::generate("Test <test@example.com>").unwrap();
        let armored = key.armored_public_key().unwrap();
        assert!(armored.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"));
        assert!(armored.ends_with("-----END PGP PUBLIC KEY BLOCK-----\n"));
        let lines: Vec<&str> = armored.lines().collect();
        let checksum = lines[lines.len() - 2];
        let body: String = lines[2..lines.len() - 2].concat();
        let data = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        assert_eq!(
            checksum,
            format!(
                "={}",
                base64::engine::general_purpose::STANDARD.encode(&crc24(&data).to_be_bytes()[1..])
            )
        );
        assert_eq!(data[0], 0xC0 | TAG_PUBLIC_KEY);
        assert_eq!(key.fingerprint_hex().len(), 40);
        assert!(key.fingerprint_hex().ends_with(&key.key_id_hex()));
    }
}
