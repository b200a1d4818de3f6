//! `ArmError::may_have_written`: for each way a call can fail, whether the client says ARM may
//! have applied it. Resources read the object back exactly when it says yes, so a wrong "no"
//! loses track of a write and a wrong "yes" costs a read.

mod common;

use armclient::{
    ArmClient, ArmConfig, ArmError, ArmRequest, CancellationToken, Credentials, LroOptions, Method,
    Unfinished,
};
use common::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

/// A server answering the n-th ARM request (0-based) with `replies[n]`, the last one repeated.
async fn scripted(replies: Vec<Reply>) -> TestServer {
    let n = counter();
    TestServer::start(move |_, _| {
        let i = n.fetch_add(1, Ordering::SeqCst).min(replies.len() - 1);
        replies[i].clone()
    })
    .await
}

fn err(status: u16, code: &str) -> Reply {
    Reply::json(status, json!({"error": {"code": code, "message": "m"}}))
}

async fn put(server: &TestServer) -> ArmError {
    server
        .client()
        .put::<_, Value>(MACHINE, API, &json!({"location": "eastus"}))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn definite_rejections_of_the_first_request_wrote_nothing() {
    for (status, code) in [
        (400, "InvalidParameter"),
        (403, "AuthorizationFailed"),
        (404, "ResourceNotFound"),
        (409, "Conflict"),
        (412, "PreconditionFailed"),
    ] {
        let server = scripted(vec![err(status, code)]).await;
        let e = put(&server).await;
        assert_eq!(e.status(), Some(status));
        assert!(!e.may_have_written(), "{status}: {e:?}");
        assert_eq!(server.arm_requests().len(), 1, "{status} is not retried");
    }
}

#[tokio::test]
async fn throttling_before_a_rejection_still_wrote_nothing() {
    let server = scripted(vec![
        err(429, "TooManyRequests").header("Retry-After", "0"),
        err(409, "AnotherOperationInProgress"),
        err(400, "InvalidParameter"),
    ])
    .await;
    let e = put(&server).await;
    assert_eq!(e.status(), Some(400));
    assert!(!e.may_have_written(), "{e:?}");
    assert_eq!(server.arm_requests().len(), 3);
}

#[tokio::test]
async fn server_errors_on_a_write_may_have_written() {
    let server = scripted(vec![err(500, "InternalServerError")]).await;
    let e = put(&server).await;
    assert_eq!(e.status(), Some(500));
    assert!(e.may_have_written(), "{e:?}");
    assert!(matches!(e, ArmError::MayHaveWritten(_)));
    assert_eq!(
        server.arm_requests().len(),
        fast_retry().max_attempts as usize
    );
}

#[tokio::test]
async fn a_412_on_a_retried_if_match_write_may_be_the_first_attempts_effect() {
    let server = scripted(vec![
        err(503, "ServiceUnavailable"),
        err(412, "PreconditionFailed"),
    ])
    .await;
    let req = ArmRequest::new(Method::PATCH, MACHINE, API)
        .json(&json!({"properties": {}}))
        .unwrap()
        .if_match("\"etag-1\"")
        .unwrap();
    let e = server.client().send(req).await.unwrap_err();
    assert_eq!(e.status(), Some(412));
    assert!(e.may_have_written(), "{e:?}");
    let reqs = server.arm_requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs
        .iter()
        .all(|r| r.headers["if-match"].to_str().unwrap() == "\"etag-1\""));
}

#[tokio::test]
async fn a_post_action_is_never_retried_blindly_and_its_5xx_may_have_written() {
    let server = scripted(vec![err(503, "ServiceUnavailable")]).await;
    let e = server
        .client()
        .post::<_, Value>(&format!("{MACHINE}/installPatches"), API, &json!({}))
        .await
        .unwrap_err();
    assert_eq!(server.arm_requests().len(), 1);
    assert!(e.may_have_written(), "{e:?}");

    let server = scripted(vec![err(400, "InvalidParameter")]).await;
    let e = server
        .client()
        .post::<_, Value>(&format!("{MACHINE}/installPatches"), API, &json!({}))
        .await
        .unwrap_err();
    assert!(!e.may_have_written(), "{e:?}");
}

#[tokio::test]
async fn a_connection_lost_after_sending_may_have_written() {
    // POST: not retried after the request left.
    let server = scripted(vec![Reply::reset()]).await;
    let e = server
        .client()
        .post::<_, Value>(&format!("{MACHINE}/installPatches"), API, &json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.root(),
            ArmError::Transport {
                not_sent: false,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.may_have_written(), "{e:?}");
    assert_eq!(server.arm_requests().len(), 1);

    // PUT: retried; the retry's clean 409 does not undo what the first attempt may have done.
    let server = scripted(vec![Reply::reset(), err(409, "Conflict")]).await;
    let e = put(&server).await;
    assert_eq!(e.status(), Some(409));
    assert!(e.may_have_written(), "{e:?}");
}

#[tokio::test]
async fn reads_never_wrote_anything() {
    let server = scripted(vec![err(500, "InternalServerError")]).await;
    let e = server
        .client()
        .get::<Value>(MACHINE, API)
        .await
        .unwrap_err();
    assert!(!e.may_have_written(), "{e:?}");
    let server = scripted(vec![Reply::reset()]).await;
    let e = server
        .client()
        .get::<Value>(MACHINE, API)
        .await
        .unwrap_err();
    assert!(!e.may_have_written(), "{e:?}");
}

#[tokio::test]
async fn token_failures_and_refused_connections_wrote_nothing() {
    let server = scripted(vec![Reply::json(200, json!({}))]).await;
    let mut config = server.config();
    config.credentials = Credentials::ClientSecret {
        tenant_id: TENANT.into(),
        client_id: CLIENT_ID.into(),
        client_secret: "wrong".into(),
    };
    let client = ArmClient::new(config, CancellationToken::new()).unwrap();
    let e = client
        .put::<_, Value>(MACHINE, API, &json!({}))
        .await
        .unwrap_err();
    assert!(e.is_auth() && !e.may_have_written(), "{e:?}");

    // Nothing listens on the port: every attempt provably never left.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let mut config = ArmConfig::new(Credentials::Custom(Arc::new(FixedToken)), "t/1");
    config.resource_manager_endpoint = Some(format!("https://127.0.0.1:{port}/").parse().unwrap());
    config.retry = armclient::RetryPolicy {
        max_attempts: 2,
        ..fast_retry()
    };
    let client = ArmClient::new(config, CancellationToken::new()).unwrap();
    let e = client
        .post::<_, Value>(&format!("{MACHINE}/installPatches"), API, &json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ArmError::Transport { not_sent: true, .. }),
        "{e:?}"
    );
    assert!(!e.may_have_written());
}

#[tokio::test]
async fn cancellation_before_sending_wrote_nothing_but_in_flight_may_have() {
    let server = scripted(vec![
        Reply::json(200, json!({})).delay(Duration::from_secs(30))
    ])
    .await;
    let cancel = CancellationToken::new();
    cancel.cancel();
    let client = ArmClient::new(server.config(), cancel).unwrap();
    let e = client
        .put::<_, Value>(MACHINE, API, &json!({}))
        .await
        .unwrap_err();
    assert!(e.is_cancelled() && !e.may_have_written(), "{e:?}");
    assert!(server.arm_requests().is_empty());

    let cancel = CancellationToken::new();
    let client = ArmClient::new(server.config(), cancel.clone()).unwrap();
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.cancel();
    });
    let e = client
        .put::<_, Value>(MACHINE, API, &json!({}))
        .await
        .unwrap_err();
    assert!(e.is_cancelled(), "{e:?}");
    assert!(e.may_have_written(), "{e:?}");
    assert_eq!(server.arm_requests().len(), 1);
}

#[tokio::test]
async fn an_undecodable_answer_to_a_write_was_written() {
    let server = scripted(vec![Reply::new(200).body("<html>ok</html>")]).await;
    let e = put(&server).await;
    assert!(matches!(e, ArmError::Decode { .. }), "{e:?}");
    assert!(e.may_have_written());
}

/// PUT accepted with an `Azure-AsyncOperation` monitor that answers `monitor`.
async fn accepted_then(monitor: impl Fn(usize) -> Reply + Send + Sync + 'static) -> TestServer {
    let polls = counter();
    TestServer::start(move |r, base| match r.method.as_str() {
        "PUT" => Reply::new(201).header(
            "Azure-AsyncOperation",
            &format!("{base}/ops/1?api-version={API}"),
        ),
        _ if r.path() == "/ops/1" => monitor(polls.fetch_add(1, Ordering::SeqCst)),
        _ => Reply::json(
            200,
            json!({"properties": {"provisioningState": "Succeeded"}}),
        ),
    })
    .await
}

async fn put_lro(server: &TestServer, options: &LroOptions) -> ArmError {
    let req = ArmRequest::new(Method::PUT, MACHINE, API)
        .json(&json!({}))
        .unwrap();
    server.client().send_lro(req, options).await.unwrap_err()
}

#[tokio::test]
async fn an_accepted_operation_that_cannot_be_followed_may_have_written() {
    // The monitor fails with 500s until the retries run out.
    let server = accepted_then(|_| err(500, "InternalServerError")).await;
    let e = put_lro(&server, &LroOptions::default()).await;
    assert_eq!(e.status(), Some(500));
    assert!(e.may_have_written(), "{e:?}");

    // The monitor answers a 404 (a read's definite answer): the write was still accepted.
    let server = accepted_then(|_| err(404, "NotFound")).await;
    let e = put_lro(&server, &LroOptions::default()).await;
    assert!(e.is_not_found() && e.may_have_written(), "{e:?}");

    // The operation ends Failed.
    let server = accepted_then(|_| Reply::json(200, json!({"status": "Failed"}))).await;
    let e = put_lro(&server, &LroOptions::default()).await;
    assert!(matches!(e, ArmError::OperationFailed(_)), "{e:?}");
    assert!(e.may_have_written());

    // The deadline passes.
    let server = accepted_then(|_| Reply::json(200, json!({"status": "InProgress"}))).await;
    let options = LroOptions {
        deadline: Some(Instant::now() + Duration::from_millis(200)),
        ..Default::default()
    };
    let e = put_lro(&server, &options).await;
    let ArmError::OperationUnfinished(u) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(u.reason, Unfinished::DeadlineExceeded);
    assert!(e.may_have_written());
}

#[tokio::test]
async fn cancellation_while_polling_may_have_written() {
    let server = accepted_then(|_| Reply::json(200, json!({"status": "InProgress"}))).await;
    let cancel = CancellationToken::new();
    let client = ArmClient::new(server.config(), cancel.clone()).unwrap();
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        c.cancel();
    });
    let req = ArmRequest::new(Method::PUT, MACHINE, API)
        .json(&json!({}))
        .unwrap();
    let e = client
        .send_lro(req, &LroOptions::default())
        .await
        .unwrap_err();
    assert!(e.is_cancelled(), "{e:?}");
    assert!(e.may_have_written(), "{e:?}");
}
