//! Client-certificate verification for go-plugin AutoMTLS.
//!
//! Terraform launches each provider with `PLUGIN_CLIENT_CERT`: a freshly generated, self-signed
//! ECDSA P-521 certificate with `CA:TRUE`. go-plugin servers put it in `ClientCAs` and use
//! `RequireAndVerifyClientCert`; Go accepts a root presented as its own leaf. webpki does not: it
//! rejects such a certificate as `CaUsedAsEndEntity`. Since exactly one client is ever legitimate,
//! we pin the DER instead of building a chain: the presented end-entity certificate must be
//! byte-for-byte one of the pinned certificates, and the handshake signature is verified with the
//! aws-lc-rs algorithms (the *ring* provider cannot verify P-521 or SHA-512 signatures at all, which
//! would make Go's client omit its certificate and fail the mandatory handshake).

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};

use crate::error::ServeError;

/// A [`ClientCertVerifier`] that requires a client certificate and accepts only pinned DER bytes.
#[derive(Debug)]
pub struct PinnedClientCertVerifier {
    pinned: Vec<CertificateDer<'static>>,
    root_hints: Vec<DistinguishedName>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCertVerifier {
    /// Pins every certificate in `pem` (normally exactly one, from `PLUGIN_CLIENT_CERT`).
    ///
    /// The subjects of the pinned certificates are advertised as acceptable CA names: Go's TLS
    /// client only sends a certificate whose issuer is listed (when the list is non-empty), and a
    /// self-signed certificate's issuer is its own subject.
    pub fn from_pem(pem: &str) -> Result<Self, ServeError> {
        let pinned = parse_pem_certificates(pem)?;
        Self::new(pinned)
    }

    /// Pins the given DER certificates. Fails when the list is empty or a certificate cannot be
    /// parsed (an unparsable pin could never match a real handshake anyway).
    pub fn new(pinned: Vec<CertificateDer<'static>>) -> Result<Self, ServeError> {
        if pinned.is_empty() {
            return Err(ServeError::InvalidClientCert(
                "no certificate found in PLUGIN_CLIENT_CERT".to_string(),
            ));
        }
        let mut root_hints = Vec::with_capacity(pinned.len());
        for cert in &pinned {
            let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).map_err(|e| {
                ServeError::InvalidClientCert(format!("cannot parse client certificate: {e}"))
            })?;
            root_hints.push(DistinguishedName::from(
                parsed.tbs_certificate.subject.as_raw().to_vec(),
            ));
        }
        Ok(Self {
            pinned,
            root_hints,
            algorithms: rustls::crypto::aws_lc_rs::default_provider()
                .signature_verification_algorithms,
        })
    }

    /// Wraps the verifier for [`rustls::ServerConfig`].
    pub fn into_arc(self) -> Arc<dyn ClientCertVerifier> {
        Arc::new(self)
    }
}

/// Parses all `CERTIFICATE` blocks from a PEM string.
pub(crate) fn parse_pem_certificates(
    pem: &str,
) -> Result<Vec<CertificateDer<'static>>, ServeError> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServeError::InvalidClientCert(format!("cannot decode PEM: {e}")))
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

impl ClientCertVerifier for PinnedClientCertVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.root_hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        // Fold over every pin so the time taken does not reveal which one matched.
        let matched = self.pinned.iter().fold(false, |acc, pin| {
            acc | constant_time_eq(pin.as_ref(), end_entity.as_ref())
        });
        if matched {
            Ok(ClientCertVerified::assertion())
        } else {
            tracing::warn!(
                "refusing TLS client: certificate is not the one from PLUGIN_CLIENT_CERT"
            );
            Err(Error::InvalidCertificate(CertificateError::UnknownIssuer))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_matches_slice_eq() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn empty_pem_is_rejected() {
        assert!(PinnedClientCertVerifier::from_pem("").is_err());
    }

    #[test]
    fn advertises_p521_and_the_pinned_subject() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("key");
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        let cert = params.self_signed(&key).expect("cert");
        let verifier = PinnedClientCertVerifier::from_pem(&cert.pem()).expect("verifier");
        assert!(verifier
            .supported_verify_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
        let hints = verifier.root_hint_subjects();
        assert_eq!(hints.len(), 1);
        // An RFC 5280 Name is a DER SEQUENCE, which is what Go compares against RawIssuer.
        assert_eq!(hints[0].as_ref().first(), Some(&0x30));
        let (_, parsed) = x509_parser::parse_x509_certificate(cert.der()).expect("parse");
        assert_eq!(hints[0].as_ref(), parsed.tbs_certificate.issuer.as_raw());
        assert!(verifier
            .verify_client_cert(cert.der(), &[], UnixTime::now())
            .is_ok());
        let other_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("key");
        let other = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .expect("params")
            .self_signed(&other_key)
            .expect("cert");
        assert!(verifier
            .verify_client_cert(other.der(), &[], UnixTime::now())
            .is_err());
    }
}
