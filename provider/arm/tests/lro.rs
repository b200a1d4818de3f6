//! Long-running operations, paging and cancellation of waits.

mod common;

use armclient::{ArmError, ArmRequest, CancellationToken, LroOptions, LroProgress, Method};
use common::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn lp() -> String {
    format!("{MACHINE}/licenseProfiles/default")
}

#[tokio::test]
async fn put_follows_azure_async_operation_then_gets_the_resource() {
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let server = TestServer::start(move |r, base| match (r.method.as_str(), r.path()) {
        ("PUT", _) => Reply::json(201, json!({"properties": {"provisioningState": "Creating"}}))
            .header(
                "Azure-AsyncOperation",
                &format!("{base}/providers/Microsoft.HybridCompute/locations/eastus/operationStatuses/op1?api-version={API}"),
            )
            // An odd Location (as in the official examples) must not matter.
            .header("Location", "eastus2euap"),
        ("GET", path) if path.contains("operationStatuses") => {
            if p.fetch_add(1, Ordering::SeqCst) < 2 {
                Reply::json(200, json!({"status": "Enabling", "percentComplete": 50.0}))
            } else {
                Reply::json(200, json!({"status": "Succeeded"}))
            }
        }
        ("GET", _) => Reply::json(
            200,
            json!({"name": "default", "properties": {"provisioningState": "Succeeded"}}),
        ),
        _ => Reply::new(500),
    })
    .await;
    let seen: Arc<Mutex<Vec<LroProgress>>> = Arc::default();
    let s = seen.clone();
    let options = LroOptions {
        on_progress: Some(Arc::new(move |p: &LroProgress| {
            s.lock().unwrap().push(p.clone())
        })),
        ..Default::default()
    };
    let req = ArmRequest::new(Method::PUT, lp(), API)
        .json(&json!({"location": "eastus"}))
        .unwrap();
    let resp = server.client().send_lro(req, &options).await.unwrap();
    let v: Value = resp.json().unwrap();
    assert_eq!(v["properties"]["provisioningState"], "Succeeded");

    let reqs = server.arm_requests();
    let methods: Vec<_> = reqs.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["PUT", "GET", "GET", "GET", "GET"]);
    assert!(reqs[1].uri.contains("operationStatuses/op1?api-version="));
    assert_eq!(reqs[4].uri, format!("{}?api-version={API}", lp()));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].status, "Enabling");
    assert_eq!(seen[0].percent_complete, Some(50.0));
    assert_eq!(seen[2].status, "Succeeded");
}

#[tokio::test]
async fn post_follows_location_and_returns_its_body() {
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let server = TestServer::start(move |r, base| match r.method.as_str() {
        "POST" => Reply::new(202)
            .header("Location", &format!("{base}/ops/assess1?api-version={API}"))
            .header("Retry-After", "0"),
        _ => {
            if p.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::new(202).header("Retry-After", "0")
            } else {
                Reply::json(200, json!({"status": "Succeeded", "rebootPending": false}))
            }
        }
    })
    .await;
    let result: Option<armclient::models::hybridcompute::MachineAssessPatchesResult> = server
        .client()
        .post_lro(&format!("{MACHINE}/assessPatches"), API, &json!({}), None)
        .await
        .unwrap();
    let result = result.unwrap();
    assert_eq!(
        result.status,
        Some(armclient::models::hybridcompute::PatchOperationStatus::Succeeded)
    );
    assert_eq!(result.reboot_pending, Some(false));
    let reqs = server.arm_requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[1].uri, format!("/ops/assess1?api-version={API}"));
}

#[tokio::test]
async fn delete_follows_location_until_204() {
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let server = TestServer::start(move |r, base| match r.method.as_str() {
        "DELETE" => Reply::new(202).header("Location", &format!("{base}/ops/del")),
        _ => {
            if p.fetch_add(1, Ordering::SeqCst) < 2 {
                Reply::new(202)
            } else {
                Reply::new(204)
            }
        }
    })
    .await;
    server.client().delete_lro(&lp(), API).await.unwrap();
    assert_eq!(server.arm_requests().len(), 4);
}

#[tokio::test]
async fn failed_operation_carries_the_service_error() {
    let server = TestServer::start(|r, base| match r.method.as_str() {
        "PATCH" => Reply::new(202)
            .header("Azure-AsyncOperation", &format!("{base}/ops/x"))
            .header("x-ms-request-id", "initial-rid"),
        _ => Reply::json(
            200,
            json!({"status": "Failed", "error": {"code": "HotpatchNotEligible",
                   "message": "VBS is not running", "details": [{"code": "Vbs", "message": "off"}]}}),
        ),
    })
    .await;
    let err = server
        .client()
        .patch_lro::<_, Value>(&lp(), API, &json!({"properties": {}}))
        .await
        .unwrap_err();
    let ArmError::OperationFailed(op) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(op.status, "Failed");
    assert_eq!(op.request_id.as_deref(), Some("initial-rid"));
    assert_eq!(err.code(), Some("HotpatchNotEligible"));
    let text = err.to_string();
    assert!(
        text.contains("HotpatchNotEligible: VBS is not running"),
        "{text}"
    );
    assert!(text.contains("Vbs: off"), "{text}");
}

#[tokio::test]
async fn unknown_status_values_mean_running() {
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let server = TestServer::start(move |r, base| match r.method.as_str() {
        "PUT" => Reply::new(201).header("Azure-AsyncOperation", &format!("{base}/ops/y")),
        "GET" if r.path() == "/ops/y" => {
            let status = ["Accepted", "Running", "SomethingNew", "Canceled"]
                [p.fetch_add(1, Ordering::SeqCst).min(3)];
            Reply::json(200, json!({"status": status}))
        }
        _ => Reply::json(200, json!({})),
    })
    .await;
    let err = server
        .client()
        .put_lro::<_, Value>(&lp(), API, &json!({}))
        .await
        .unwrap_err();
    let ArmError::OperationFailed(op) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(op.status, "Canceled");
    assert_eq!(polls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn put_without_headers_polls_provisioning_state() {
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let server = TestServer::start(move |r, _| match r.method.as_str() {
        "PUT" => Reply::json(
            201,
            json!({"properties": {"provisioningState": "Updating"}}),
        ),
        _ => {
            let state = if p.fetch_add(1, Ordering::SeqCst) == 0 {
                "Updating"
            } else {
                "Succeeded"
            };
            Reply::json(200, json!({"properties": {"provisioningState": state}}))
        }
    })
    .await;
    let v: Value = server
        .client()
        .put_lro(&lp(), API, &json!({}))
        .await
        .unwrap();
    assert_eq!(v["properties"]["provisioningState"], "Succeeded");
    assert_eq!(server.arm_requests().len(), 3);
}

#[tokio::test]
async fn synchronous_200_needs_no_polling() {
    let server = TestServer::start(|_, _| {
        Reply::json(
            200,
            json!({"properties": {"provisioningState": "Succeeded"}}),
        )
    })
    .await;
    let v: Value = server
        .client()
        .put_lro(&lp(), API, &json!({}))
        .await
        .unwrap();
    assert_eq!(v["properties"]["provisioningState"], "Succeeded");
    assert_eq!(server.arm_requests().len(), 1);
}

#[tokio::test]
async fn cancellation_aborts_lro_polling_promptly() {
    let server = TestServer::start(|r, base| match r.method.as_str() {
        "PUT" => Reply::new(201).header("Azure-AsyncOperation", &format!("{base}/ops/slow")),
        _ => Reply::json(200, json!({"status": "InProgress"})).header("Retry-After", "30"),
    })
    .await;
    let mut config = server.config();
    config.retry.max_retry_after = Duration::from_secs(60);
    let cancel = CancellationToken::new();
    let client = armclient::ArmClient::new(config, cancel.clone()).unwrap();
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.cancel();
    });
    let started = Instant::now();
    let err = client
        .put_lro::<_, Value>(&lp(), API, &json!({}))
        .await
        .unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.to_string(), "the operation was cancelled");
}

#[tokio::test]
async fn paging_follows_next_link_verbatim() {
    let server = TestServer::start(|r, base| {
        let page = |items: Value, next: Option<String>| {
            Reply::json(200, json!({"value": items, "nextLink": next}))
        };
        if r.uri.contains("skiptoken=p3") {
            page(json!([{"n": 5}]), None)
        } else if r.uri.contains("skiptoken=p2") {
            page(
                json!([{"n": 3}, {"n": 4}]),
                Some(format!("{base}/next?api-version={API}&%24skiptoken=p3")),
            )
        } else {
            page(
                json!([{"n": 1}, {"n": 2}]),
                Some(format!("{base}/next?api-version={API}&%24skiptoken=p2")),
            )
        }
    })
    .await;
    let client = server.client();
    let items: Vec<Value> = client
        .list(&format!("{MACHINE}/licenseProfiles"), API)
        .await
        .unwrap();
    let ns: Vec<i64> = items.iter().map(|v| v["n"].as_i64().unwrap()).collect();
    assert_eq!(ns, [1, 2, 3, 4, 5]);
    let reqs = server.arm_requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(
        reqs[1].uri,
        format!("/next?api-version={API}&%24skiptoken=p2")
    );
    assert_eq!(
        reqs[2].uri,
        format!("/next?api-version={API}&%24skiptoken=p3")
    );

    use futures::TryStreamExt;
    let pages: Vec<Vec<Value>> = client
        .list_pages(&format!("{MACHINE}/licenseProfiles"), API)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
}

/// PUT accepted with an `Azure-AsyncOperation` monitor whose n-th poll (0-based) gets `monitor(n)`.
async fn accepted_then(monitor: impl Fn(usize) -> Reply + Send + Sync + 'static) -> TestServer {
    let polls = Arc::new(AtomicUsize::new(0));
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

fn put_request() -> ArmRequest {
    ArmRequest::new(Method::PUT, lp(), API)
        .json(&json!({}))
        .unwrap()
}

fn poll_times(server: &TestServer) -> Vec<Instant> {
    server
        .arm_requests()
        .iter()
        .filter(|r| r.path() == "/ops/1")
        .map(|r| r.at)
        .collect()
}

#[tokio::test]
async fn retry_after_zero_does_not_spin() {
    let server = accepted_then(|n| {
        let status = if n < 3 { "InProgress" } else { "Succeeded" };
        Reply::json(200, json!({"status": status})).header("Retry-After", "0")
    })
    .await;
    let mut config = server.config();
    config.polling.min_interval = Duration::from_millis(150);
    let client = armclient::ArmClient::new(config, CancellationToken::new()).unwrap();
    client
        .send_lro(put_request(), &LroOptions::default())
        .await
        .unwrap();
    let times = poll_times(&server);
    assert_eq!(times.len(), 4);
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= Duration::from_millis(140), "polled after {gap:?}");
    }
}

#[tokio::test]
async fn absurd_retry_after_on_a_poll_is_capped() {
    let server = accepted_then(|n| {
        let status = if n == 0 { "InProgress" } else { "Succeeded" };
        Reply::json(200, json!({"status": status})).header("Retry-After", "1e20")
    })
    .await;
    // fast_polling caps waits at 200 ms.
    server
        .client()
        .send_lro(put_request(), &LroOptions::default())
        .await
        .unwrap();
    assert_eq!(poll_times(&server).len(), 2);
}

#[tokio::test]
async fn an_unrecognised_status_is_polled_only_for_a_bounded_time() {
    let server = accepted_then(|_| Reply::json(200, json!({"status": "Frobnicating"}))).await;
    let mut config = server.config();
    config.polling.unrecognised_status_limit = Duration::from_millis(150);
    let client = armclient::ArmClient::new(config, CancellationToken::new()).unwrap();
    let err = client
        .send_lro(put_request(), &LroOptions::default())
        .await
        .unwrap_err();
    let ArmError::OperationUnfinished(u) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(u.reason, armclient::Unfinished::UnrecognisedStatus);
    assert_eq!(u.last_status.as_deref(), Some("Frobnicating"));
    assert!(u.polls >= 2, "kept polling for a while first: {u:?}");
    assert!(err.to_string().contains("\"Frobnicating\""), "{err}");
    assert!(err.may_have_written());
}

#[tokio::test]
async fn the_deadline_ends_the_wait_with_the_last_status() {
    // The initial request alone outlasts the deadline: one poll still happens, so a finished
    // operation would be seen as finished and a running one is reported with its status.
    let server = TestServer::start(|r, base| match r.method.as_str() {
        "PUT" => Reply::new(201)
            .header(
                "Azure-AsyncOperation",
                &format!("{base}/ops/1?api-version={API}"),
            )
            .delay(Duration::from_millis(400)),
        _ => Reply::json(200, json!({"status": "InProgress"})),
    })
    .await;
    let options = LroOptions {
        deadline: Some(Instant::now() + Duration::from_millis(300)),
        ..Default::default()
    };
    let err = server
        .client()
        .send_lro(put_request(), &options)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("deadline"), "{text}");
    assert!(text.contains("last status InProgress"), "{text}");
    assert!(text.contains("/ops/1?api-version="), "{text}");
    assert!(err.may_have_written());
    assert_eq!(poll_times(&server).len(), 1);
}

#[tokio::test]
async fn a_monitor_on_another_host_is_not_followed() {
    let server = TestServer::start(|r, _| match r.method.as_str() {
        "PUT" => {
            Reply::new(202).header("Azure-AsyncOperation", "https://evil.example/op?sig=stolen")
        }
        _ => Reply::json(200, json!({"status": "Succeeded"})),
    })
    .await;
    let err = server
        .client()
        .send_lro(put_request(), &LroOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err.root(), ArmError::Protocol { .. }), "{err:?}");
    assert!(err.may_have_written(), "the PUT was accepted");
    assert!(!err.to_string().contains("stolen"), "{err}");
    assert_eq!(server.arm_requests().len(), 1);
}

#[tokio::test]
async fn paging_stops_on_a_repeated_next_link() {
    let server = TestServer::start(|_, base| {
        Reply::json(
            200,
            json!({"value": [{"n": 1}], "nextLink": format!("{base}/next?api-version={API}&%24skiptoken=TOKEN42")}),
        )
    })
    .await;
    let err = server
        .client()
        .list::<Value>(&format!("{MACHINE}/licenseProfiles"), API)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("already returned"), "{text}");
    assert!(!text.contains("TOKEN42"), "skip token leaked: {text}");
    assert_eq!(server.arm_requests().len(), 2);
}

#[tokio::test]
async fn resource_graph_stops_on_a_repeated_skip_token() {
    let server = TestServer::start(|_, _| {
        Reply::json(
            200,
            json!({"totalRecords": 9, "count": 1, "resultTruncated": "false",
                   "$skipToken": "again", "data": [{"id": "x"}]}),
        )
    })
    .await;
    let query = armclient::resourcegraph::Query::table("resources");
    let err = server
        .client()
        .resource_graph::<Value>(&["s".to_string()], &query)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("same $skipToken twice"), "{err}");
    assert_eq!(server.arm_requests().len(), 2);
}
