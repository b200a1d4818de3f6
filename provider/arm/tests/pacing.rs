//! Pacing and write observers through the whole client, against the local HTTPS test server:
//! the remaining-budget headers slow every request of the client before ARM answers 429, a
//! 429 holds the budget's other requests, and observers hear of every write.

mod common;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use armclient::{ArmClient, CancellationToken, PacingPolicy, WriteObserver};
use common::*;
use serde_json::{json, Value};

const OTHER_SUBSCRIPTION: &str = "/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/m1";

fn client(server: &TestServer, max_interval: Duration) -> ArmClient {
    let mut config = server.config();
    config.pacing = PacingPolicy {
        max_interval,
        ..PacingPolicy::default()
    };
    ArmClient::new(config, CancellationToken::new()).unwrap()
}

/// Gaps between consecutive requests to `path_part`.
fn gaps(requests: &[Recorded], path_part: &str) -> Vec<Duration> {
    let at: Vec<Instant> = requests
        .iter()
        .filter(|r| r.uri.contains(path_part))
        .map(|r| r.at)
        .collect();
    at.windows(2).map(|w| w[1] - w[0]).collect()
}

#[tokio::test]
async fn a_low_read_budget_spaces_the_subscriptions_reads_only() {
    // The subscription's read bucket: 100 at first, then nearly empty.
    let calls = Arc::new(AtomicU64::new(0));
    let c = calls.clone();
    let server = TestServer::start(move |r, _| {
        let other = r.uri.contains("000000000002");
        let left = if other || c.fetch_add(1, Ordering::SeqCst) == 0 {
            "100"
        } else {
            "5"
        };
        Reply::json(200, json!({})).header("x-ms-ratelimit-remaining-subscription-reads", left)
    })
    .await;
    let client = client(&server, Duration::from_millis(200));
    for _ in 0..4 {
        let _: Value = client.get(MACHINE, API).await.unwrap();
    }
    // Another subscription has its own budget.
    for _ in 0..3 {
        let _: Value = client.get(OTHER_SUBSCRIPTION, API).await.unwrap();
    }
    let requests = server.arm_requests();
    let paced = gaps(&requests, "000000000001");
    // After the answer that reported 5 of a reserve of 40: 175 ms apart.
    assert!(
        paced[1..].iter().all(|g| *g >= Duration::from_millis(150)),
        "{paced:?}"
    );
    let free = gaps(&requests, "000000000002");
    assert!(
        free.iter().all(|g| *g < Duration::from_millis(150)),
        "{free:?}"
    );
}

#[tokio::test]
async fn a_429_holds_the_other_requests_of_the_budget() {
    let n = Arc::new(AtomicUsize::new(0));
    let c = n.clone();
    let server = TestServer::start(move |_, _| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::json(
                429,
                json!({"error": {"code": "SubscriptionRequestsThrottled", "message": "Please try again after '1' seconds."}}),
            )
            .header("Retry-After", "1")
        } else {
            Reply::json(200, json!({}))
        }
    })
    .await;
    let client = client(&server, Duration::from_millis(200));
    let first = {
        let client = client.clone();
        tokio::spawn(async move { client.get::<Value>(MACHINE, API).await })
    };
    // Sent while the first request waits out its Retry-After.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start = Instant::now();
    let _: Value = client.get(MACHINE, API).await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(600),
        "the second request went at once: {:?}",
        start.elapsed()
    );
    first.await.unwrap().unwrap();
    assert_eq!(
        server.arm_requests().len(),
        3,
        "one 429, then both succeeded"
    );
}

#[tokio::test]
async fn a_conflict_answered_with_429_holds_nobody() {
    let n = Arc::new(AtomicUsize::new(0));
    let c = n.clone();
    let server = TestServer::start(move |_, _| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::json(
                429,
                json!({"error": {"code": "RetryableErrorDueToAnotherOperation", "message": "busy"}}),
            )
            .header("Retry-After", "1")
        } else {
            Reply::json(200, json!({}))
        }
    })
    .await;
    let client = client(&server, Duration::from_millis(200));
    let first = {
        let client = client.clone();
        tokio::spawn(async move { client.get::<Value>(MACHINE, API).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let start = Instant::now();
    let _: Value = client.get(MACHINE, API).await.unwrap();
    assert!(start.elapsed() < Duration::from_millis(500));
    first.await.unwrap().unwrap();
}

#[derive(Default)]
struct Journal(Mutex<Vec<String>>);

impl WriteObserver for Journal {
    fn write_started(&self, path: &str) {
        self.0.lock().unwrap().push(format!("start {path}"));
    }
    fn write_ended(&self, path: &str) {
        self.0.lock().unwrap().push(format!("end {path}"));
    }
}

#[tokio::test]
async fn observers_hear_of_every_write_and_of_no_read() {
    let server = TestServer::start(|r, _| {
        if r.method == "PUT" {
            Reply::json(
                400,
                json!({"error": {"code": "BadRequest", "message": "no"}}),
            )
        } else {
            Reply::json(200, json!({}))
        }
    })
    .await;
    let client = server.client();
    let journal = Arc::new(Journal::default());
    client.observe_writes(journal.clone());
    let _: Value = client.get(MACHINE, API).await.unwrap();
    let _: Value = client.patch(MACHINE, API, &json!({})).await.unwrap();
    let failed = client.put::<_, Value>(MACHINE, API, &json!({})).await;
    assert!(failed.is_err());
    // Clones share the observers.
    let _: Value = client
        .clone()
        .patch(MACHINE, API, &json!({}))
        .await
        .unwrap();
    let seen = journal.0.lock().unwrap().clone();
    let want: Vec<String> = (0..3)
        .flat_map(|_| [format!("start {MACHINE}"), format!("end {MACHINE}")])
        .collect();
    assert_eq!(seen, want);
}
