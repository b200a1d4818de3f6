//! Which URLs the client follows, and what of a URL it shows.
//!
//! ARM hands the client URLs to follow: `Azure-AsyncOperation` and `Location` monitors of
//! long-running operations, and `nextLink`s of lists. Every request carries our bearer token,
//! so following a URL to another host would hand that token to whoever controls the header.
//! The rule (one home, used for caller paths and service URLs alike):
//!
//! * an ARM path (`/subscriptions/...`) is joined to the configured resource manager endpoint;
//! * an absolute URL is followed only when it is `https`, on exactly the configured endpoint's
//!   host and port, carries no user name or password, and is at most [`MAX_URL_LEN`] bytes;
//! * anything else (another host, `http`, a bare word like `eastus2euap`, garbage) is refused
//!   with [`ArmError::Protocol`] before a token is attached.
//!
//! What is shown: error texts and logs carry the path and the `api-version` only. Query values
//! can be skip tokens or SAS-like signatures, so every other parameter is dropped, not masked.

use crate::error::ArmError;
use url::Url;

/// Longest URL the client follows. ARM promises monitor URLs of up to 4 KB; this leaves room
/// while refusing absurd values.
pub const MAX_URL_LEN: usize = 16 * 1024;

/// Longest part of an unparsable path kept in messages.
const MAX_SHOWN_PATH: usize = 512;

/// Longest `api-version` value kept in shown URLs (real ones look like `2025-01-13-preview`).
const MAX_SHOWN_API_VERSION: usize = 40;

/// Resolves `raw` (an ARM path, or an absolute URL from the service) against `base`, the
/// resource manager endpoint, applying the rule in the module documentation.
pub fn resolve(base: &Url, raw: &str) -> Result<Url, ArmError> {
    if raw.len() > MAX_URL_LEN {
        return Err(ArmError::Protocol {
            url: shown_raw(raw),
            message: format!("URL of {} bytes is longer than {MAX_URL_LEN}", raw.len()),
        });
    }
    if raw.starts_with('/') {
        let joined = format!("{}{}", base.as_str().trim_end_matches('/'), raw);
        let url = Url::parse(&joined)
            .map_err(|e| ArmError::Config(format!("invalid ARM path {}: {e}", shown_raw(raw))))?;
        // A path such as `/..` or `/@host` must not leave the endpoint either.
        return same_origin(base, url);
    }
    let url = Url::parse(raw).map_err(|e| ArmError::Protocol {
        url: shown_raw(raw),
        message: format!("not an absolute URL ({e})"),
    })?;
    same_origin(base, url)
}

fn same_origin(base: &Url, url: Url) -> Result<Url, ArmError> {
    let host_matches = url
        .host_str()
        .zip(base.host_str())
        .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b));
    let ok = url.scheme() == "https"
        && host_matches
        && url.port_or_known_default() == base.port_or_known_default()
        && url.username().is_empty()
        && url.password().is_none();
    if ok {
        Ok(url)
    } else {
        Err(ArmError::Protocol {
            url: shown(&url),
            message: format!(
                "refusing to follow a URL outside the resource manager endpoint {}://{}",
                base.scheme(),
                base.host_str().unwrap_or_default()
            ),
        })
    }
}

/// The URL as shown in errors and logs: its path, plus `?api-version=...` when present and
/// plausible. Host, user info, fragment and every other query parameter are left out.
pub fn shown(url: &Url) -> String {
    let mut s = url.path().to_string();
    let version = url
        .query_pairs()
        .find(|(k, _)| k == "api-version")
        .map(|(_, v)| v.into_owned())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= MAX_SHOWN_API_VERSION
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        });
    if let Some(v) = version {
        s.push_str("?api-version=");
        s.push_str(&v);
    }
    s
}

/// [`shown`] for a string that may not be a URL at all: an absolute URL is shown as a URL; a
/// path keeps only what precedes its query; anything else is described, not echoed.
pub fn shown_raw(raw: &str) -> String {
    if let Ok(url) = Url::parse(raw) {
        return shown(&url);
    }
    if raw.starts_with('/') {
        let path = raw.split(['?', '#']).next().unwrap_or_default();
        return path.chars().take(MAX_SHOWN_PATH).collect();
    }
    format!("<{}-byte value that is not a URL>", raw.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn base() -> Url {
        Url::parse("https://management.azure.com/").unwrap()
    }

    #[test]
    fn follows_paths_and_same_endpoint_urls() {
        let u = resolve(&base(), "/subscriptions/s?api-version=1").unwrap();
        assert_eq!(
            u.as_str(),
            "https://management.azure.com/subscriptions/s?api-version=1"
        );
        let u = resolve(
            &base(),
            "https://MANAGEMENT.azure.com:443/providers/x/operationStatuses/1?api-version=2",
        )
        .unwrap();
        assert_eq!(u.path(), "/providers/x/operationStatuses/1");
    }

    #[test]
    fn refuses_other_hosts_schemes_ports_and_user_info() {
        for raw in [
            "https://evil.example/x",
            "http://management.azure.com/x",
            "https://management.azure.com:8443/x",
            "https://user:pw@management.azure.com/x",
            "https://management.azure.com.evil.example/x",
            "eastus2euap",
            "",
            "ftp://management.azure.com/x",
        ] {
            let e = resolve(&base(), raw).unwrap_err();
            assert!(matches!(e, ArmError::Protocol { .. }), "{raw}: {e:?}");
        }
        let long = format!("/{}", "a".repeat(MAX_URL_LEN));
        assert!(resolve(&base(), &long).is_err());
    }

    #[test]
    fn shows_path_and_api_version_only() {
        let u = Url::parse(
            "https://u:p@h/subscriptions/s/x?sig=secret&api-version=2025-01-13&%24skiptoken=abc#f",
        )
        .unwrap();
        assert_eq!(shown(&u), "/subscriptions/s/x?api-version=2025-01-13");
        let odd = Url::parse("https://h/x?api-version=a%26sig%3Dsecret").unwrap();
        assert_eq!(shown(&odd), "/x");
        assert_eq!(shown_raw("/a/b?$skiptoken=secret"), "/a/b");
        assert_eq!(
            shown_raw("secret-token"),
            "<12-byte value that is not a URL>"
        );
    }

    proptest! {
        #[test]
        fn resolve_is_total_and_never_leaves_the_endpoint(raw in ".{0,300}") {
            if let Ok(u) = resolve(&base(), &raw) {
                prop_assert_eq!(u.scheme(), "https");
                prop_assert_eq!(u.host_str(), Some("management.azure.com"));
                prop_assert_eq!(u.port_or_known_default(), Some(443));
            }
        }

        #[test]
        fn absolute_urls_on_other_hosts_are_refused(
            host in "[a-z]{1,10}(\\.[a-z]{1,5}){0,2}",
            path in "(/[a-zA-Z0-9%._~-]{0,12}){0,4}",
        ) {
            prop_assume!(host != "management.azure.com");
            let raw = format!("https://{host}{path}");
            prop_assert!(resolve(&base(), &raw).is_err());
        }

        #[test]
        fn shown_urls_never_carry_other_query_values(
            key in "[a-zA-Z$_]{1,10}",
            value in "[a-zA-Z0-9]{8,20}",
            raw in ".{0,200}",
        ) {
            prop_assume!(key != "api-version");
            let u = Url::parse(&format!("https://h/p?{key}={value}&api-version=1")).unwrap();
            let s = shown(&u);
            prop_assert!(!s.contains(&value), "{}", s);
            // Total on arbitrary input.
            let _ = shown_raw(&raw);
        }
    }
}
