//! Request, retry, error and auth behaviour against the local HTTPS test server.

mod common;

use armclient::{ArmError, ArmRequest, CancellationToken, Credentials, Method, OidcToken};
use common::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

#[tokio::test]
async fn get_sends_token_api_version_and_user_agent() {
    let server = TestServer::start(|_, _| Reply::json(200, json!({"name": "m1"}))).await;
    let client = server.client();
    let v: Value = client.get(MACHINE, API).await.unwrap();
    assert_eq!(v["name"], "m1");
    let _: Value = client.get(MACHINE, API).await.unwrap();

    let tokens = server.token_requests();
    assert_eq!(tokens.len(), 1, "token is cached");
    assert_eq!(tokens[0].path(), format!("/{TENANT}/oauth2/v2.0/token"));
    let form = tokens[0].body_str();
    assert!(form.contains("grant_type=client_credentials"));
    assert!(form.contains("scope=https%3A%2F%2F127.0.0.1"), "{form}");

    let arm = server.arm_requests();
    assert_eq!(arm.len(), 2);
    assert_eq!(arm[0].uri, format!("{MACHINE}?api-version={API}"));
    assert_eq!(
        arm[0].headers["authorization"].to_str().unwrap(),
        format!("Bearer {TOKEN}")
    );
    assert!(arm[0].headers["user-agent"]
        .to_str()
        .unwrap()
        .starts_with("terraform-provider-hotpatch/0.0.0-test"));
    let ids: Vec<&str> = arm
        .iter()
        .map(|r| r.headers["x-ms-client-request-id"].to_str().unwrap())
        .collect();
    assert!(ids.iter().all(|id| id.len() == 36), "{ids:?}");
    assert_ne!(
        ids[0], ids[1],
        "a fresh client request id per logical request"
    );
}

#[tokio::test]
async fn get_optional_maps_404_to_none() {
    let server = TestServer::start(|_, _| {
        Reply::json(
            404,
            json!({"error": {"code": "ResourceNotFound", "message": "not here"}}),
        )
    })
    .await;
    let v: Option<Value> = server.client().get_optional(MACHINE, API).await.unwrap();
    assert!(v.is_none());
    assert_eq!(server.arm_requests().len(), 1, "404 is not retried");
}

#[tokio::test]
async fn retries_429_with_and_without_retry_after() {
    // Without Retry-After: backoff (10-50 ms in tests).
    let n = counter();
    let c = n.clone();
    let server = TestServer::start(move |_, _| {
        if c.fetch_add(1, Ordering::SeqCst) < 2 {
            Reply::json(
                429,
                json!({"error": {"code": "TooManyRequests", "message": "slow"}}),
            )
        } else {
            Reply::json(200, json!({}))
        }
    })
    .await;
    let _: Value = server.client().get(MACHINE, API).await.unwrap();
    assert_eq!(server.arm_requests().len(), 3);

    // With Retry-After: 1 the client waits about a second although its backoff is 10 ms.
    let n = counter();
    let c = n.clone();
    let server = TestServer::start(move |_, _| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::json(429, json!({"error": {"code": "TooManyRequests"}}))
                .header("Retry-After", "1")
        } else {
            Reply::json(200, json!({}))
        }
    })
    .await;
    let _: Value = server.client().get(MACHINE, API).await.unwrap();
    let reqs = server.arm_requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at - reqs[0].at;
    assert!(
        gap >= Duration::from_millis(900),
        "Retry-After ignored: {gap:?}"
    );
}

#[tokio::test]
async fn throttling_is_bounded_by_the_wait_budget_not_the_attempt_count() {
    // More consecutive 429s than `max_attempts` (5 in tests): a busy token bucket, not a
    // failure, so the read still succeeds.
    let n = counter();
    let c = n.clone();
    let server = TestServer::start(move |_, _| {
        if c.fetch_add(1, Ordering::SeqCst) < 8 {
            Reply::json(
                429,
                json!({"error": {"code": "SubscriptionRequestsThrottled"}}),
            )
            .header("Retry-After", "0")
        } else {
            Reply::json(200, json!({}))
        }
    })
    .await;
    let _: Value = server.client().get(MACHINE, API).await.unwrap();
    let reqs = server.arm_requests();
    assert_eq!(reqs.len(), 9);
    let id = |i: usize| reqs[i].headers["x-ms-client-request-id"].to_str().unwrap();
    assert!(
        (1..9).all(|i| id(i) == id(0)),
        "one client request id across retries"
    );

    // Real failures still stop after `max_attempts`.
    let server = TestServer::start(|_, _| {
        Reply::json(503, json!({"error": {"code": "ServiceUnavailable"}}))
    })
    .await;
    let err = server
        .client()
        .get::<Value>(MACHINE, API)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.arm_requests().len(), 5);
}

#[tokio::test]
async fn retries_http_date_retry_after() {
    let n = counter();
    let c = n.clone();
    let server = TestServer::start(move |_, _| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            // A date in the past means "retry now".
            Reply::new(503).header("Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT")
        } else {
            Reply::json(200, json!({}))
        }
    })
    .await;
    let _: Value = server.client().get(MACHINE, API).await.unwrap();
    assert_eq!(server.arm_requests().len(), 2);
}

#[tokio::test]
async fn retries_503_until_attempts_run_out() {
    let server = TestServer::start(|_, _| {
        Reply::json(
            503,
            json!({"error": {"code": "ServiceUnavailable", "message": "later"}}),
        )
        .header("x-ms-request-id", "req-503")
    })
    .await;
    let err = server
        .client()
        .get::<Value>(MACHINE, API)
        .await
        .unwrap_err();
    assert_eq!(
        server.arm_requests().len(),
        fast_retry().max_attempts as usize
    );
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.request_id(), Some("req-503"));
}

#[tokio::test]
async fn retries_transient_409_but_not_a_real_conflict() {
    let n = counter();
    let c = n.clone();
    let server = TestServer::start(move |_, _| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::json(
                409,
                json!({"error": {"code": "AnotherOperationInProgress", "message": "busy"}}),
            )
        } else {
            Reply::json(200, json!({"ok": true}))
        }
    })
    .await;
    let _: Value = server
        .client()
        .patch(MACHINE, API, &json!({"tags": {}}))
        .await
        .unwrap();
    assert_eq!(server.arm_requests().len(), 2);

    let server = TestServer::start(|_, _| {
        Reply::json(
            409,
            json!({"error": {"code": "Conflict", "message": "The name is already in use."}}),
        )
    })
    .await;
    let err = server
        .client()
        .put::<_, Value>(MACHINE, API, &json!({}))
        .await
        .unwrap_err();
    assert_eq!(server.arm_requests().len(), 1);
    assert_eq!(err.code(), Some("Conflict"));
}

#[tokio::test]
async fn post_is_not_retried_after_reaching_the_server() {
    let server = TestServer::start(|_, _| Reply::new(503)).await;
    let err = server
        .client()
        .post::<_, Value>(&format!("{MACHINE}/assessPatches"), API, &json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.arm_requests().len(), 1);

    // Unless the caller says it is idempotent.
    let server = TestServer::start(|_, _| Reply::new(503)).await;
    let _ = server
        .client()
        .post_idempotent::<_, Value>(
            "/providers/Microsoft.ResourceGraph/resources",
            "2024-04-01",
            &json!({}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        server.arm_requests().len(),
        fast_retry().max_attempts as usize
    );

    // A 429 means ARM rejected it unprocessed: retried even for POST.
    let n = counter();
    let c = n.clone();
    let server = TestServer::start(move |_, _| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::new(429).header("Retry-After", "0")
        } else {
            Reply::json(200, json!({"done": 1}))
        }
    })
    .await;
    let v: Value = server
        .client()
        .post(&format!("{MACHINE}/assessPatches"), API, &json!({}))
        .await
        .unwrap();
    assert_eq!(v["done"], 1);
    assert_eq!(server.arm_requests().len(), 2);
}

#[tokio::test]
async fn post_is_retried_when_the_connection_was_refused() {
    // Reserve a port, free it, and only start listening after the client's first attempts fail.
    let probe = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let pki = pki();
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), &pki.ca_pem).unwrap();
    let mut config = armclient::ArmConfig::new(Credentials::Custom(Arc::new(FixedToken)), "t/1");
    config.resource_manager_endpoint = Some(
        format!("https://127.0.0.1:{}/", addr.port())
            .parse()
            .unwrap(),
    );
    config.ca_certificate_file = Some(ca.path().to_path_buf());
    config.retry = armclient::RetryPolicy {
        max_attempts: 40,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(50),
        ..fast_retry()
    };
    let client = armclient::ArmClient::new(config, CancellationToken::new()).unwrap();
    let starter = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        TestServer::start_on(
            listener,
            Arc::new(|_, _| Reply::json(200, json!({"ok": 1}))),
            pki,
        )
    });
    let v: Value = client
        .post(&format!("{MACHINE}/installPatches"), API, &json!({}))
        .await
        .unwrap();
    assert_eq!(v["ok"], 1);
    let server = starter.await.unwrap();
    assert_eq!(count(&server.arm_requests(), "POST", "installPatches"), 1);
}

#[tokio::test]
async fn parses_every_rp_error_shape() {
    let shapes = [
        // HybridCompute (common-types v3)
        json!({"error": {"code": "InvalidParameter", "message": "bad", "target": "properties.x",
            "details": [{"code": "Inner", "message": "inner msg", "target": "t",
                         "details": [{"code": "Deeper", "message": "deep"}],
                         "additionalInfo": [{"type": "T", "info": {"a": 1}}]}],
            "additionalInfo": [{"type": "PolicyViolation", "info": {"policy": "p"}}]}}),
        // Compute CloudError
        json!({"error": {"code": "OperationNotAllowed", "message": "nope", "target": "vm",
            "details": [{"code": "D", "target": "t", "message": "m"}],
            "innererror": {"exceptiontype": "E", "errordetail": "ED"}}}),
        // Maintenance
        json!({"error": {"code": "InvalidConfiguration", "message": "only code and message"}}),
        // Resource Graph
        json!({"error": {"code": "BadRequest", "message": "query failed",
            "details": [{"code": "ParserFailure", "message": "line 1", "line": 1, "characterPositionInLine": 7}]}}),
    ];
    let server = TestServer::start(move |r, _| {
        let i: usize = r.path().rsplit('/').next().unwrap().parse().unwrap();
        Reply::json(400, shapes[i].clone())
            .header("x-ms-request-id", &format!("rid-{i}"))
            .header("x-ms-correlation-request-id", "corr")
    })
    .await;
    let client = server.client();
    let get = |i: usize| {
        let client = client.clone();
        async move {
            client
                .get::<Value>(&format!("{MACHINE}/x/{i}"), API)
                .await
                .unwrap_err()
        }
    };

    let e = get(0).await;
    let ArmError::Service(s) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(s.status, 400);
    assert_eq!(s.request_id.as_deref(), Some("rid-0"));
    assert_eq!(s.correlation_id.as_deref(), Some("corr"));
    assert_eq!(s.error.target.as_deref(), Some("properties.x"));
    assert_eq!(
        s.error.details[0].details[0].code.as_deref(),
        Some("Deeper")
    );
    assert_eq!(
        s.error.additional_info.as_ref().unwrap()[0]["type"],
        "PolicyViolation"
    );
    assert!(s.body.contains("PolicyViolation"));
    let text = e.to_string();
    assert!(
        text.starts_with("ARM returned 400 InvalidParameter: bad"),
        "{text}"
    );
    assert!(
        text.contains("Inner: inner msg") && text.contains("rid-0"),
        "{text}"
    );

    let e = get(1).await;
    assert_eq!(e.code(), Some("OperationNotAllowed"));
    assert_eq!(
        e.detail().unwrap().inner_error.as_ref().unwrap()["errordetail"],
        "ED"
    );

    let e = get(2).await;
    assert_eq!(e.code(), Some("InvalidConfiguration"));
    assert!(e.detail().unwrap().details.is_empty());

    let e = get(3).await;
    let d = &e.detail().unwrap().details[0];
    assert_eq!(d.code.as_deref(), Some("ParserFailure"));
    assert_eq!(d.extra["characterPositionInLine"], 7);
}

#[tokio::test]
async fn non_json_error_body_is_kept() {
    let server = TestServer::start(|_, _| Reply::new(502).body("<html>bad gateway</html>")).await;
    let mut config = server.config();
    config.retry.max_attempts = 1;
    let client = armclient::ArmClient::new(config, CancellationToken::new()).unwrap();
    let e = client.get::<Value>(MACHINE, API).await.unwrap_err();
    assert_eq!(e.status(), Some(502));
    assert!(e.to_string().contains("bad gateway"), "{e}");
}

#[tokio::test]
async fn auth_failure_keeps_the_aadsts_message() {
    let server = TestServer::start(|_, _| Reply::json(200, json!({}))).await;
    let mut config = server.config();
    config.credentials = Credentials::ClientSecret {
        tenant_id: TENANT.into(),
        client_id: CLIENT_ID.into(),
        client_secret: "wrong".into(),
    };
    let client = armclient::ArmClient::new(config, CancellationToken::new()).unwrap();
    let e = client.get::<Value>(MACHINE, API).await.unwrap_err();
    assert!(e.is_auth(), "{e:?}");
    assert!(e.to_string().contains("AADSTS7000215"), "{e}");
    assert!(!e.to_string().contains("wrong"), "secret leaked: {e}");
    assert!(server.arm_requests().is_empty());
}

#[tokio::test]
async fn without_the_extra_ca_tls_fails() {
    let server = TestServer::start(|_, _| Reply::json(200, json!({}))).await;
    let mut config = server.config();
    config.ca_certificate_file = None;
    let client = armclient::ArmClient::new(config, CancellationToken::new()).unwrap();
    let e = client.get::<Value>(MACHINE, API).await.unwrap_err();
    assert!(e.is_auth(), "{e:?}");
    assert!(server.all_requests().is_empty());
}

#[tokio::test]
async fn rejects_http_endpoints_and_foreign_urls() {
    let server = TestServer::start(|_, _| Reply::json(200, json!({}))).await;
    let mut config = server.config();
    config.resource_manager_endpoint = Some("http://127.0.0.1:1/".parse().unwrap());
    assert!(matches!(
        armclient::ArmClient::new(config, CancellationToken::new()),
        Err(ArmError::Config(_))
    ));
    let client = server.client();
    let e = client
        .send(ArmRequest::get_url("https://example.com/steal"))
        .await
        .unwrap_err();
    assert!(matches!(e, ArmError::Protocol { .. }), "{e:?}");
}

#[tokio::test]
async fn oidc_token_and_token_file_are_sent_as_client_assertions() {
    let server = TestServer::start(|_, _| Reply::json(200, json!({}))).await;
    let mut config = server.config();
    config.credentials = Credentials::Oidc {
        tenant_id: TENANT.into(),
        client_id: CLIENT_ID.into(),
        token: OidcToken::Token("oidc-jwt-from-string".into()),
    };
    let client = armclient::ArmClient::new(config, CancellationToken::new()).unwrap();
    let _: Value = client.get(MACHINE, API).await.unwrap();

    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "oidc-jwt-from-file").unwrap();
    let mut config = server.config();
    config.credentials = Credentials::Oidc {
        tenant_id: TENANT.into(),
        client_id: CLIENT_ID.into(),
        token: OidcToken::File(file.path().to_path_buf()),
    };
    let client = armclient::ArmClient::new(config, CancellationToken::new()).unwrap();
    let _: Value = client.get(MACHINE, API).await.unwrap();

    let forms: Vec<String> = server
        .token_requests()
        .iter()
        .map(|r| r.body_str())
        .collect();
    assert_eq!(forms.len(), 2);
    assert!(
        forms[0].contains("client_assertion=oidc-jwt-from-string"),
        "{}",
        forms[0]
    );
    assert!(
        forms[1].contains("client_assertion=oidc-jwt-from-file"),
        "{}",
        forms[1]
    );
    for f in &forms {
        assert!(f.contains("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"));
    }
}

#[tokio::test]
async fn client_certificate_pem_and_pfx() {
    use openssl::{asn1::Asn1Time, hash::MessageDigest, pkey::PKey, rsa::Rsa, x509::X509};
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut b = X509::builder().unwrap();
    let mut name = openssl::x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "sp").unwrap();
    let name = name.build();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = b.build();

    let pem_file = tempfile::NamedTempFile::new().unwrap();
    let mut pem = cert.to_pem().unwrap();
    pem.extend(key.private_key_to_pem_pkcs8().unwrap());
    std::fs::write(pem_file.path(), &pem).unwrap();

    let pfx_file = tempfile::NamedTempFile::new().unwrap();
    let pfx = openssl::pkcs12::Pkcs12::builder()
        .name("sp")
        .pkey(&key)
        .cert(&cert)
        .build2("pfx-pass")
        .unwrap();
    std::fs::write(pfx_file.path(), pfx.to_der().unwrap()).unwrap();

    let server = TestServer::start(|_, _| Reply::json(200, json!({}))).await;
    for (path, password) in [
        (pem_file.path(), None),
        (pfx_file.path(), Some("pfx-pass".into())),
    ] {
        let mut config = server.config();
        config.credentials = Credentials::ClientCertificate {
            tenant_id: TENANT.into(),
            client_id: CLIENT_ID.into(),
            certificate_path: path.to_path_buf(),
            password,
        };
        let client = armclient::ArmClient::new(config, CancellationToken::new()).unwrap();
        let _: Value = client.get(MACHINE, API).await.unwrap();
    }
    let forms: Vec<String> = server
        .token_requests()
        .iter()
        .map(|r| r.body_str())
        .collect();
    assert_eq!(forms.len(), 2);
    for f in forms {
        assert!(f.contains("client_assertion=ey"), "{f}");
    }
}

#[tokio::test]
async fn cancellation_aborts_an_in_flight_request() {
    let server = TestServer::start(|r, _| {
        if r.path().ends_with("/slow") {
            Reply::json(200, json!({})).delay(Duration::from_secs(30))
        } else {
            Reply::json(200, json!({}))
        }
    })
    .await;
    let cancel = CancellationToken::new();
    let client = armclient::ArmClient::new(server.config(), cancel.clone()).unwrap();
    let _: Value = client.get(MACHINE, API).await.unwrap(); // warm the token
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        c.cancel();
    });
    let started = Instant::now();
    let e = client
        .get::<Value>(&format!("{MACHINE}/slow"), API)
        .await
        .unwrap_err();
    assert!(e.is_cancelled(), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // A cancelled client refuses new work at once.
    assert!(client
        .get::<Value>(MACHINE, API)
        .await
        .unwrap_err()
        .is_cancelled());
}

#[tokio::test]
async fn raw_send_passes_headers() {
    let server = TestServer::start(|r, _| {
        let m = r
            .headers
            .get("if-match")
            .map(|v| v.to_str().unwrap().to_string());
        Reply::json(200, json!({"ifMatch": m}))
    })
    .await;
    let req = ArmRequest::new(Method::PATCH, MACHINE, API)
        .json(&json!({}))
        .unwrap()
        .header(
            reqwest::header::IF_MATCH,
            reqwest::header::HeaderValue::from_static("\"etag-1\""),
        );
    let resp = server.client().send(req).await.unwrap();
    let v: Value = resp.json().unwrap();
    assert_eq!(v["ifMatch"], "\"etag-1\"");
}

#[tokio::test]
async fn absurd_retry_after_values_are_clamped_not_fatal() {
    for value in ["1e20", "12345678901234567890123", "-5", "garbage", "NaN"] {
        let n = counter();
        let c = n.clone();
        let server = TestServer::start(move |_, _| {
            if c.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::json(429, json!({"error": {"code": "TooManyRequests"}}))
                    .header("Retry-After", value)
            } else {
                Reply::json(200, json!({"ok": true}))
            }
        })
        .await;
        let mut config = server.config();
        config.retry.max_retry_after = Duration::from_millis(200);
        let client = armclient::ArmClient::new(config, CancellationToken::new()).unwrap();
        let v: Value = client.get(MACHINE, API).await.unwrap();
        assert_eq!(v["ok"], true, "{value}");
        assert_eq!(server.arm_requests().len(), 2, "{value}");
    }
}

#[tokio::test]
async fn remaining_rate_limit_budget_is_exposed() {
    let server = TestServer::start(|_, _| {
        Reply::json(200, json!({}))
            .header("x-ms-ratelimit-remaining-subscription-reads", "11998")
            .header("x-ms-ratelimit-remaining-subscription-writes", "lots")
    })
    .await;
    let resp = server
        .client()
        .send(ArmRequest::new(Method::GET, MACHINE, API))
        .await
        .unwrap();
    let budget = resp.rate_limit_remaining();
    assert_eq!(budget.subscription_reads, Some(11998));
    assert_eq!(budget.subscription_writes, None);
}

#[tokio::test]
async fn errors_name_the_path_never_the_query() {
    // A service error on a nextLink whose skip token must stay out of messages.
    let server = TestServer::start(|r, base| {
        if r.path() == "/next" {
            Reply::json(400, json!({"error": {"code": "BadRequest", "message": "no"}}))
        } else {
            Reply::json(
                200,
                json!({"value": [], "nextLink": format!("{base}/next?api-version={API}&%24skiptoken=SKIPSECRET&sig=SIGSECRET")}),
            )
        }
    })
    .await;
    let err = server
        .client()
        .list::<Value>(MACHINE, API)
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains(&format!("/next?api-version={API}")), "{text}");
    assert!(
        !text.contains("SECRET") && !text.contains("127.0.0.1"),
        "{text}"
    );

    // A transport failure: reqwest's own message names the full URL.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            drop(socket);
        }
    });
    let mut config = armclient::ArmConfig::new(Credentials::Custom(Arc::new(FixedToken)), "t/1");
    config.resource_manager_endpoint = Some(format!("https://127.0.0.1:{port}/").parse().unwrap());
    config.retry.max_attempts = 1;
    let client = armclient::ArmClient::new(config, CancellationToken::new()).unwrap();
    let err = client
        .send(ArmRequest::get_url(format!(
            "https://127.0.0.1:{port}/x?api-version=1&%24skiptoken=SKIPSECRET"
        )))
        .await
        .unwrap_err();
    assert!(matches!(err, ArmError::Transport { .. }), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("SECRET"), "{text}");
    assert!(text.contains("/x?api-version=1"), "{text}");
}
