//! The write ledger: accepted writes per object with their bodies and the object before and
//! after, so a test can find writes that changed nothing.

mod common;

use arm_emulator::seed;
use reqwest::Method;
use serde_json::{json, Value};

fn schedule_url(env: &common::Env, name: &str) -> String {
    format!(
        "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Maintenance/maintenanceConfigurations/{name}?api-version=2023-04-01",
        env.emu.base_url(),
        env.emu.subscription_id(),
        seed::RESOURCE_GROUP
    )
}

fn schedule(tag: &str) -> Value {
    json!({
        "location": "eastus",
        "tags": { "team": tag },
        "properties": {
            "maintenanceScope": "InGuestPatch",
            "extensionProperties": { "InGuestPatchMode": "User" },
            "maintenanceWindow": { "startDateTime": "2030-01-07 02:00", "duration": "02:00",
                "timeZone": "UTC", "recurEvery": "Week Saturday" },
            "installPatches": { "rebootSetting": "IfRequired" }
        }
    })
}

#[tokio::test]
async fn accepted_writes_are_recorded_per_object_with_before_and_after() {
    let env = common::start(common::fast_config()).await;
    let url = schedule_url(&env, "weekly");
    let send = |m: Method, body: Option<Value>| {
        let env = &env;
        let url = url.clone();
        async move { env.send(m, &url, body.as_ref()).await.0 }
    };
    assert_eq!(send(Method::PUT, Some(schedule("ops"))).await, 201);
    assert_eq!(send(Method::PUT, Some(schedule("ops"))).await, 200);
    assert_eq!(
        send(Method::PATCH, Some(json!({ "tags": { "team": "sec" } }))).await,
        200
    );
    let mut bad = schedule("ops");
    bad["properties"]["maintenanceWindow"]["duration"] = json!("09:00");
    assert_eq!(send(Method::PUT, Some(bad)).await, 400);
    assert_eq!(send(Method::GET, None).await, 200);
    assert_eq!(send(Method::DELETE, None).await, 200);
    assert_eq!(send(Method::DELETE, None).await, 204);

    let objects = env.emu.writes();
    assert_eq!(objects.len(), 1, "one object");
    let o = &objects[0];
    assert!(
        o.id.ends_with("/maintenanceConfigurations/weekly"),
        "{}",
        o.id
    );
    let methods: Vec<(&str, u16)> = o
        .writes
        .iter()
        .map(|w| (w.method.as_str(), w.status))
        .collect();
    assert_eq!(
        methods,
        [
            ("PUT", 201),
            ("PUT", 200),
            ("PATCH", 200),
            ("DELETE", 200),
            ("DELETE", 204)
        ],
        "accepted writes only: no GET, no rejected PUT"
    );
    let w = &o.writes;
    assert!(w[0].before.is_none() && w[0].after.is_some());
    assert_eq!(w[0].body, Some(schedule("ops")), "the body as sent");
    assert_eq!(w[1].before, w[1].after, "a rewrite of the same schedule");
    assert_eq!(w[2].after.as_ref().unwrap()["tags"]["team"], "sec");
    assert!(w[3].after.is_none(), "deleted");
    let redundant: Vec<u64> = o.redundant().iter().map(|w| w.seq).collect();
    assert_eq!(
        redundant,
        [w[1].seq, w[4].seq],
        "the rewrite and the second delete"
    );
    assert!(w.windows(2).all(|p| p[0].seq < p[1].seq));

    // Lookup by id or path, over HTTP too.
    assert_eq!(env.emu.writes_for(&o.id.to_uppercase()).len(), 5);
    let admin = format!("{}/_admin/writes", env.emu.base_url());
    let by_id: Vec<Value> = env
        .http
        .get(format!(
            "{admin}?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("id", &o.id)
                .finish()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_id.len(), 5);
    assert_eq!(by_id[0]["method"], "PUT");
    let r = env.http.delete(&admin).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert!(env.emu.writes().is_empty());
}

#[tokio::test]
async fn license_writes_show_the_transitional_state_they_left() {
    let env = common::start(common::fast_config()).await;
    let lp = env.lp_path(seed::WS2025_DATACENTER);
    let body = json!({ "location": "eastus", "properties": { "productProfile": {
        "productFeatures": [ { "name": "Hotpatch", "subscriptionStatus": "Enabled" } ] } } });
    assert_eq!(env.put(&lp, &body).await.0, 201);
    env.get(&lp).await;
    env.get(&lp).await;
    assert_eq!(env.put(&lp, &body).await.0, 200);
    let (s, _, _) = env
        .send(
            Method::POST,
            &env.url(&format!(
                "{}/assessPatches",
                env.machine_path(seed::WS2025_DATACENTER)
            )),
            Some(&json!({})),
        )
        .await;
    assert_eq!(s, 202);

    let writes = env.emu.writes_for(&lp);
    assert_eq!(writes.len(), 2);
    let feature = |v: &Option<Value>| {
        v.as_ref().unwrap()["properties"]["productProfile"]["productFeatures"][0]
            ["subscriptionStatus"]
            .clone()
    };
    assert!(writes[0].before.is_none());
    assert_eq!(feature(&writes[0].after), "Enabling");
    assert_eq!(feature(&writes[1].before), "Enabled");
    assert_eq!(feature(&writes[1].after), "Enabled");
    assert!(
        !writes[1].changed(),
        "enabling an enabled feature changes nothing"
    );
    // The action is recorded under its own path, and is never a redundant object write.
    let action = env
        .emu
        .writes()
        .into_iter()
        .find(|o| o.id.ends_with("/assessPatches"))
        .unwrap();
    assert_eq!(action.writes[0].method, "POST");
    assert!(action.redundant().is_empty());
}
