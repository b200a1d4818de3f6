//! End-to-end tests of the framework through the generated tonic trait, with msgpack
//! requests as Terraform sends them and a fake provider whose behaviour each test steers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tfplugin_proto::tfplugin6 as pb;
use tfplugin_proto::tfplugin6::provider_server::Provider as _;
use tfprotocol::{msgpack, AttributePath, Diagnostic, Diagnostics, PathStep, Type, Value};
use tokio_stream::StreamExt;
use tonic::Request;

use super::FrameworkServer;
use crate::validators::{int_between, one_of, regex};
use crate::{
    Action, ApplyRequest, AttributeSchema, BlockSchema, Context, DataSource, IdentityAttribute,
    IdentitySchema, ImportRequest, ListRequest, ListResource, ListResult, ListSink,
    NestedBlockSchema, ObjectBuilder, ObjectReader, PlanRequest, ProgressSender, Provider,
    Resource, ResourceSchema,
};

/// How the fake resource misbehaves in a given test.
#[derive(Default)]
struct Knobs {
    /// modify_plan overwrites the configured `name`.
    break_plan: bool,
    /// apply returns `size` + 1.
    drift_on_apply: bool,
    /// read reports the object gone.
    gone: bool,
    /// read panics.
    panic_in_read: bool,
}

struct Client {
    knobs: Mutex<Knobs>,
}

struct TestProvider {
    knobs: Arc<Client>,
}

#[async_trait]
impl Provider for TestProvider {
    type Data = Arc<Client>;

    fn type_name(&self) -> &str {
        "test"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new().attribute(AttributeSchema::string("endpoint").optional())
    }

    async fn configure(&self, _: &Context, _: &Value, _: &str) -> Result<Arc<Client>, Diagnostics> {
        Ok(Arc::clone(&self.knobs))
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<Arc<Client>>>> {
        vec![Arc::new(Thing)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Arc<Client>>>> {
        vec![Arc::new(Info), Arc::new(Wait)]
    }

    fn actions(&self) -> Vec<Arc<dyn Action<Arc<Client>>>> {
        vec![Arc::new(Poke)]
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource<Arc<Client>>>> {
        vec![Arc::new(ThingList)]
    }
}

struct Thing;

fn thing_schema() -> ResourceSchema {
    let rule = BlockSchema::new().attribute(AttributeSchema::string("kb").required());
    ResourceSchema::new(
        1,
        BlockSchema::new()
            .attribute(
                AttributeSchema::string("name")
                    .required()
                    .requires_replace()
                    .validator(regex("^[a-z]+$", "name must be lower-case letters")),
            )
            .attribute(
                AttributeSchema::number("size")
                    .optional()
                    .validator(int_between(1, 10)),
            )
            .attribute(
                AttributeSchema::string("mode")
                    .default(Value::string("auto"))
                    .validator(one_of(&["auto", "manual"])),
            )
            .attribute(
                AttributeSchema::string("id")
                    .computed()
                    .use_state_for_unknown(),
            )
            .attribute(AttributeSchema::string("status").computed())
            .attribute(
                AttributeSchema::string("secret")
                    .optional()
                    .sensitive()
                    .write_only(),
            )
            .block(NestedBlockSchema::list("rule", rule)),
    )
}

fn thing_type() -> Type {
    thing_schema().block.implied_type()
}

#[async_trait]
impl Resource<Arc<Client>> for Thing {
    fn type_name(&self) -> &str {
        "test_thing"
    }

    fn schema(&self) -> ResourceSchema {
        thing_schema()
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema::new(
            0,
            vec![IdentityAttribute::required("name", Type::String)],
        ))
    }

    fn identity(&self, state: &Value) -> Value {
        ObjectBuilder::new()
            .set("name", ObjectReader::new(state).raw("name").clone())
            .build()
    }

    async fn modify_plan(
        &self,
        _: &Context,
        data: Option<&Arc<Client>>,
        _: &PlanRequest<'_>,
        planned: &mut Value,
        _: &mut Diagnostics,
    ) {
        let broken = data.is_some_and(|c| c.knobs.lock().unwrap().break_plan);
        if broken {
            *planned.attr_mut("name").unwrap() = Value::string("other");
        }
    }

    async fn create(
        &self,
        _: &Context,
        c: &Arc<Client>,
        req: &ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        let r = ObjectReader::new(req.planned);
        let name: String = r.get("name").unwrap();
        let mut state = ObjectBuilder::from_value(req.planned)
            .set("id", format!("/things/{name}"))
            .set("status", "ready");
        if c.knobs.lock().unwrap().drift_on_apply {
            let size: i64 = r.get("size").unwrap();
            state = state.set("size", size + 1);
        }
        (Some(state.build()), Diagnostics::new())
    }

    async fn read(
        &self,
        _: &Context,
        c: &Arc<Client>,
        current: &Value,
    ) -> (Option<Value>, Diagnostics) {
        let (gone, panics) = {
            let knobs = c.knobs.lock().unwrap();
            (knobs.gone, knobs.panic_in_read)
        };
        assert!(!panics, "read exploded");
        if gone {
            return (None, Diagnostics::new());
        }
        (Some(current.clone()), Diagnostics::new())
    }

    async fn update(
        &self,
        _: &Context,
        _: &Arc<Client>,
        req: &ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        let state = ObjectBuilder::from_value(req.planned)
            .set("status", "updated")
            .build();
        (Some(state), Diagnostics::new())
    }

    async fn delete(&self, _: &Context, _: &Arc<Client>, _: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    async fn import(
        &self,
        _: &Context,
        _: &Arc<Client>,
        req: &ImportRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        let name = match req.identity {
            Some(identity) => ObjectReader::new(identity).get::<String>("name").unwrap(),
            None => req.id.trim_start_matches("/things/").to_string(),
        };
        let state = ObjectBuilder::new()
            .set("name", name)
            .set("id", req.id)
            .build();
        (Some(state), Diagnostics::new())
    }

    fn upgrade_state(
        &self,
        from: i64,
        mut state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        assert_eq!(from, 0);
        if let Some(title) = state.as_object_mut().and_then(|m| m.remove("title")) {
            state["name"] = title;
        }
        Ok(state)
    }
}

struct Info;

#[async_trait]
impl DataSource<Arc<Client>> for Info {
    fn type_name(&self) -> &str {
        "test_info"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .attribute(AttributeSchema::string("name").required())
            .attribute(AttributeSchema::string("greeting").computed())
    }

    async fn read(
        &self,
        _: &Context,
        _: &Arc<Client>,
        config: &Value,
    ) -> (Option<Value>, Diagnostics) {
        let name: String = ObjectReader::new(config).get("name").unwrap();
        if name == "liar" {
            // Breaks the rule that configured values come back unchanged.
            return (
                Some(
                    ObjectBuilder::new()
                        .set("name", "truth")
                        .set("greeting", "hi")
                        .build(),
                ),
                Diagnostics::new(),
            );
        }
        let v = ObjectBuilder::from_value(config)
            .set("greeting", format!("hello {name}"))
            .build();
        (Some(v), Diagnostics::new())
    }
}

/// Waits until the provider is stopped.
struct Wait;

#[async_trait]
impl DataSource<Arc<Client>> for Wait {
    fn type_name(&self) -> &str {
        "test_wait"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new().attribute(AttributeSchema::string("x").optional())
    }

    async fn read(
        &self,
        ctx: &Context,
        _: &Arc<Client>,
        _: &Value,
    ) -> (Option<Value>, Diagnostics) {
        ctx.stop.cancelled().await;
        (
            None,
            Diagnostic::error("Stopped", "the provider was stopped").into(),
        )
    }
}

struct Poke;

#[async_trait]
impl Action<Arc<Client>> for Poke {
    fn type_name(&self) -> &str {
        "test_poke"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new().attribute(AttributeSchema::string("target").required())
    }

    async fn invoke(
        &self,
        _: &Context,
        _: &Arc<Client>,
        config: &Value,
        progress: &ProgressSender,
    ) -> Diagnostics {
        let target: String = ObjectReader::new(config).get("target").unwrap();
        progress.send(format!("poking {target}")).await;
        if target == "panic" {
            panic!("poke exploded on {target}");
        }
        progress.send("done poking").await;
        let mut d = Diagnostics::new();
        d.warning("Poked", target);
        d
    }
}

struct ThingList;

#[async_trait]
impl ListResource<Arc<Client>> for ThingList {
    fn type_name(&self) -> &str {
        "test_thing"
    }

    fn config_schema(&self) -> BlockSchema {
        BlockSchema::new().attribute(AttributeSchema::string("prefix").optional())
    }

    async fn list(
        &self,
        _: &Context,
        _: &Arc<Client>,
        req: &ListRequest,
        sink: &mut ListSink,
    ) -> Diagnostics {
        for i in 0..100 {
            let name = format!("thing{i}");
            let result = ListResult {
                identity: ObjectBuilder::new().set("name", name.clone()).build(),
                display_name: name.clone(),
                resource_object: req.include_resource_object.then(|| {
                    ObjectBuilder::new()
                        .set("name", name)
                        .set("id", format!("/things/{i}"))
                        .build()
                }),
                diagnostics: Diagnostics::new(),
            };
            if !sink.push(result).await {
                break;
            }
        }
        Diagnostics::new()
    }
}

// ---- helpers ----

fn server() -> (FrameworkServer<TestProvider>, Arc<Client>) {
    let client = Arc::new(Client {
        knobs: Mutex::new(Knobs::default()),
    });
    let provider = TestProvider {
        knobs: Arc::clone(&client),
    };
    (FrameworkServer::new(provider), client)
}

async fn configured() -> (FrameworkServer<TestProvider>, Arc<Client>) {
    let (s, c) = server();
    let config = ObjectBuilder::new().set("endpoint", Value::Null).build();
    let ty = Type::object([("endpoint", Type::String)]);
    let resp = s
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: Some(dv(&config, &ty)),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    (s, c)
}

fn dv(v: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: msgpack::encode(v, ty).unwrap(),
        json: Vec::new(),
    }
}

fn undv(d: &Option<pb::DynamicValue>, ty: &Type) -> Value {
    msgpack::decode(&d.as_ref().unwrap().msgpack, ty).unwrap()
}

fn errors(d: &[pb::Diagnostic]) -> Vec<String> {
    d.iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect()
}

fn path_names(p: &pb::AttributePath) -> Vec<String> {
    use pb::attribute_path::step::Selector;
    p.steps
        .iter()
        .map(|s| match s.selector.as_ref().unwrap() {
            Selector::AttributeName(n) => n.clone(),
            Selector::ElementKeyString(k) => format!("[{k:?}]"),
            Selector::ElementKeyInt(i) => format!("[{i}]"),
        })
        .collect()
}

/// A full thing object with the given attributes (others null, rule empty).
fn thing(attrs: &[(&str, Value)]) -> Value {
    let mut m: BTreeMap<String, Value> = ["name", "size", "mode", "id", "status", "secret"]
        .iter()
        .map(|n| (n.to_string(), Value::Null))
        .collect();
    m.insert("rule".into(), Value::List(Vec::new()));
    for (k, v) in attrs {
        m.insert(k.to_string(), v.clone());
    }
    Value::Object(m)
}

fn num(i: i64) -> Value {
    Value::Number(i.into())
}

async fn plan(
    s: &FrameworkServer<TestProvider>,
    prior: &Value,
    proposed: &Value,
    config: &Value,
) -> pb::plan_resource_change::Response {
    let ty = thing_type();
    s.plan_resource_change(Request::new(pb::plan_resource_change::Request {
        type_name: "test_thing".into(),
        prior_state: Some(dv(prior, &ty)),
        proposed_new_state: Some(dv(proposed, &ty)),
        config: Some(dv(config, &ty)),
        prior_private: b"private".to_vec(),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

async fn apply(
    s: &FrameworkServer<TestProvider>,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> pb::apply_resource_change::Response {
    let ty = thing_type();
    s.apply_resource_change(Request::new(pb::apply_resource_change::Request {
        type_name: "test_thing".into(),
        prior_state: Some(dv(prior, &ty)),
        planned_state: Some(dv(planned, &ty)),
        config: Some(dv(config, &ty)),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

fn identity_name(i: &Option<pb::ResourceIdentityData>) -> Value {
    let ty = Type::object([("name", Type::String)]);
    undv(&i.as_ref().unwrap().identity_data, &ty)
        .attr("name")
        .unwrap()
        .clone()
}

// ---- tests ----

#[tokio::test]
async fn schema_lists_everything_with_capabilities() {
    let (s, _) = server();
    let resp = s
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let caps = resp.server_capabilities.unwrap();
    assert!(
        caps.plan_destroy && caps.generate_resource_config && !caps.get_provider_schema_optional
    );
    let thing = &resp.resource_schemas["test_thing"];
    assert_eq!(thing.version, 1);
    let block = thing.block.as_ref().unwrap();
    let mode = block.attributes.iter().find(|a| a.name == "mode").unwrap();
    assert!(mode.optional && mode.computed);
    assert_eq!(mode.r#type, b"\"string\"");
    assert_eq!(block.block_types[0].type_name, "rule");
    assert!(resp.data_source_schemas.contains_key("test_info"));
    assert!(resp.action_schemas.contains_key("test_poke"));
    assert!(resp.list_resource_schemas.contains_key("test_thing"));

    let ids = s
        .get_resource_identity_schemas(Request::new(pb::get_resource_identity_schemas::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(ids.identity_schemas["test_thing"].identity_attributes[0].required_for_import);
    let f = s
        .get_functions(Request::new(pb::get_functions::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(f.functions.is_empty());
}

#[tokio::test]
async fn create_plan_marks_computed_unknown_and_applies_defaults() {
    let (s, _) = configured().await;
    let config = thing(&[
        ("name", Value::string("abc")),
        ("secret", Value::string("pw")),
    ]);
    let resp = plan(&s, &Value::Null, &config, &config).await;
    assert!(
        errors(&resp.diagnostics).is_empty(),
        "{:?}",
        resp.diagnostics
    );
    let planned = undv(&resp.planned_state, &thing_type());
    assert!(planned.attr("id").unwrap().is_unknown());
    assert!(planned.attr("status").unwrap().is_unknown());
    assert_eq!(planned.attr("mode"), Some(&Value::string("auto")));
    assert_eq!(
        planned.attr("secret"),
        Some(&Value::Null),
        "write-only planned null"
    );
    assert!(resp.requires_replace.is_empty());
    assert_eq!(resp.planned_private, b"private");
    assert_eq!(identity_name(&resp.planned_identity), Value::string("abc"));
}

fn prior_state() -> Value {
    thing(&[
        ("name", Value::string("abc")),
        ("size", num(2)),
        ("mode", Value::string("auto")),
        ("id", Value::string("/things/abc")),
        ("status", Value::string("ready")),
    ])
}

#[tokio::test]
async fn unchanged_plan_is_a_no_op() {
    let (s, _) = configured().await;
    let prior = prior_state();
    let config = thing(&[("name", Value::string("abc")), ("size", num(2))]);
    let resp = plan(&s, &prior, &prior, &config).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    assert_eq!(undv(&resp.planned_state, &thing_type()), prior);
    assert!(resp.requires_replace.is_empty());
}

#[tokio::test]
async fn update_keeps_state_for_unknown_and_replaces_only_on_change() {
    let (s, _) = configured().await;
    let prior = prior_state();
    // size changes: update in place.
    let config = thing(&[("name", Value::string("abc")), ("size", num(3))]);
    let proposed = thing(&[
        ("name", Value::string("abc")),
        ("size", num(3)),
        ("id", Value::string("/things/abc")),
        ("status", Value::string("ready")),
    ]);
    let resp = plan(&s, &prior, &proposed, &config).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let planned = undv(&resp.planned_state, &thing_type());
    assert_eq!(
        planned.attr("id"),
        Some(&Value::string("/things/abc")),
        "use_state_for_unknown"
    );
    assert!(planned.attr("status").unwrap().is_unknown());
    assert!(resp.requires_replace.is_empty());

    // name changes: replacement, naming only `name`.
    let config = thing(&[("name", Value::string("xyz")), ("size", num(2))]);
    let mut proposed = prior.clone();
    *proposed.attr_mut("name").unwrap() = Value::string("xyz");
    let resp = plan(&s, &prior, &proposed, &config).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let paths: Vec<_> = resp.requires_replace.iter().map(path_names).collect();
    assert_eq!(paths, vec![vec!["name".to_string()]]);
}

#[tokio::test]
async fn rule_breaking_modify_plan_yields_a_diagnostic() {
    let (s, c) = configured().await;
    c.knobs.lock().unwrap().break_plan = true;
    let config = thing(&[("name", Value::string("abc"))]);
    let resp = plan(&s, &Value::Null, &config, &config).await;
    let errs = errors(&resp.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("Provider produced invalid plan"),
        "{errs:?}"
    );
    assert!(errs[0].contains("does not match config value"), "{errs:?}");
    assert_eq!(
        path_names(resp.diagnostics[0].attribute.as_ref().unwrap()),
        ["name"]
    );
    // What goes back is still a valid value: the proposed state.
    assert_eq!(undv(&resp.planned_state, &thing_type()), config);
}

#[tokio::test]
async fn destroy_plans_and_applies_null() {
    let (s, _) = configured().await;
    let prior = prior_state();
    let resp = plan(&s, &prior, &Value::Null, &Value::Null).await;
    assert!(resp.diagnostics.is_empty());
    assert_eq!(undv(&resp.planned_state, &thing_type()), Value::Null);
    let resp = apply(&s, &prior, &Value::Null, &Value::Null).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    assert_eq!(undv(&resp.new_state, &thing_type()), Value::Null);
}

#[tokio::test]
async fn apply_fills_unknowns() {
    let (s, _) = configured().await;
    let config = thing(&[
        ("name", Value::string("abc")),
        ("size", num(2)),
        ("secret", Value::string("pw")),
    ]);
    let planned = undv(
        &plan(&s, &Value::Null, &config, &config).await.planned_state,
        &thing_type(),
    );
    let resp = apply(&s, &Value::Null, &planned, &config).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let state = undv(&resp.new_state, &thing_type());
    assert_eq!(state.attr("id"), Some(&Value::string("/things/abc")));
    assert_eq!(state.attr("status"), Some(&Value::string("ready")));
    assert_eq!(state.attr("secret"), Some(&Value::Null));
    assert_eq!(identity_name(&resp.new_identity), Value::string("abc"));
}

#[tokio::test]
async fn apply_changing_a_known_value_returns_state_and_diagnostic() {
    let (s, c) = configured().await;
    c.knobs.lock().unwrap().drift_on_apply = true;
    let config = thing(&[("name", Value::string("abc")), ("size", num(2))]);
    let planned = undv(
        &plan(&s, &Value::Null, &config, &config).await.planned_state,
        &thing_type(),
    );
    let resp = apply(&s, &Value::Null, &planned, &config).await;
    let errs = errors(&resp.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("inconsistent result after apply") && errs[0].contains("was 2, but now 3"),
        "{errs:?}"
    );
    assert_eq!(
        path_names(resp.diagnostics[0].attribute.as_ref().unwrap()),
        ["size"]
    );
    let state = undv(&resp.new_state, &thing_type());
    assert_eq!(
        state.attr("size"),
        Some(&num(3)),
        "the real state is still recorded"
    );
}

#[tokio::test]
async fn read_returns_state_or_null_when_gone() {
    let (s, c) = configured().await;
    let ty = thing_type();
    let read = |s: FrameworkServer<TestProvider>| async move {
        s.read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: Some(dv(&prior_state(), &thing_type())),
            private: b"p".to_vec(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
    };
    let resp = read(s.clone()).await;
    assert!(resp.diagnostics.is_empty());
    assert_eq!(undv(&resp.new_state, &ty), prior_state());
    assert_eq!(resp.private, b"p");
    assert_eq!(identity_name(&resp.new_identity), Value::string("abc"));

    c.knobs.lock().unwrap().gone = true;
    let resp = read(s).await;
    assert!(resp.diagnostics.is_empty());
    assert_eq!(undv(&resp.new_state, &ty), Value::Null);
}

#[tokio::test]
async fn a_panicking_handler_becomes_an_error_diagnostic_and_the_server_keeps_serving() {
    let (s, c) = configured().await;
    let read = |s: FrameworkServer<TestProvider>| async move {
        s.read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: Some(dv(&prior_state(), &thing_type())),
            ..Default::default()
        }))
        .await
        .expect("a response, not a dead call")
        .into_inner()
    };
    c.knobs.lock().unwrap().panic_in_read = true;
    let resp = read(s.clone()).await;
    assert_eq!(resp.diagnostics.len(), 1, "{:?}", resp.diagnostics);
    let d = &resp.diagnostics[0];
    assert_eq!(d.severity, pb::diagnostic::Severity::Error as i32);
    assert_eq!(d.summary, "Provider panicked");
    assert!(d.detail.contains("ReadResource"), "{}", d.detail);
    assert!(d.detail.contains("read exploded"), "{}", d.detail);

    // The same server answers the next call normally.
    c.knobs.lock().unwrap().panic_in_read = false;
    let resp = read(s.clone()).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);

    // A panic in a streaming RPC's task ends its stream with the diagnostic.
    let ty = Type::object([("target", Type::String)]);
    let config = ObjectBuilder::new().set("target", "panic").build();
    let mut stream = s
        .invoke_action(Request::new(pb::invoke_action::Request {
            action_type: "test_poke".into(),
            config: Some(dv(&config, &ty)),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    let mut last = None;
    while let Some(e) = stream.next().await {
        last = e.unwrap().r#type;
    }
    let Some(pb::invoke_action::event::Type::Completed(done)) = last else {
        panic!("no Completed event: {last:?}");
    };
    assert_eq!(done.diagnostics[0].summary, "Provider panicked");
    assert!(done.diagnostics[0].detail.contains("InvokeAction"));
    assert!(done.diagnostics[0]
        .detail
        .contains("poke exploded on panic"));
}

#[tokio::test]
async fn resource_rpc_before_configure_is_a_clear_error() {
    let (s, _) = server();
    let resp = s
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: Some(dv(&prior_state(), &thing_type())),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&resp.diagnostics)[0].contains("Provider not configured"));
}

#[tokio::test]
async fn upgrade_runs_upgraders_and_fills_missing_attributes() {
    let (s, _) = server();
    let upgrade = |version: i64, json: &str| {
        s.upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: "test_thing".into(),
            version,
            raw_state: Some(pb::RawState {
                json: json.as_bytes().to_vec(),
                flatmap: Default::default(),
            }),
        }))
    };
    // Same version: missing attributes (and the rule block) filled, unknown ones dropped.
    let resp = upgrade(1, r#"{"name":"abc","id":"/things/abc","removed_attr":1}"#)
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let state = undv(&resp.upgraded_state, &thing_type());
    assert_eq!(
        state,
        thing(&[
            ("name", Value::string("abc")),
            ("id", Value::string("/things/abc"))
        ])
    );

    // Older version: the upgrader renames `title`.
    let resp = upgrade(0, r#"{"title":"old","size":4}"#)
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let state = undv(&resp.upgraded_state, &thing_type());
    assert_eq!(
        state,
        thing(&[("name", Value::string("old")), ("size", num(4))])
    );

    // Newer version: refused.
    let resp = upgrade(2, "{}").await.unwrap().into_inner();
    assert!(errors(&resp.diagnostics)[0].contains("newer"));
}

#[tokio::test]
async fn import_by_id_and_by_identity() {
    let (s, _) = configured().await;
    let resp = s
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: "test_thing".into(),
            id: "/things/abc".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    assert_eq!(resp.imported_resources.len(), 1);
    let r = &resp.imported_resources[0];
    assert_eq!(r.type_name, "test_thing");
    let state = undv(&r.state, &thing_type());
    assert_eq!(
        state,
        thing(&[
            ("name", Value::string("abc")),
            ("id", Value::string("/things/abc"))
        ])
    );
    assert_eq!(identity_name(&r.identity), Value::string("abc"));

    let identity_ty = Type::object([("name", Type::String)]);
    let identity = ObjectBuilder::new().set("name", "byid").build();
    let resp = s
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: "test_thing".into(),
            identity: Some(pb::ResourceIdentityData {
                identity_data: Some(dv(&identity, &identity_ty)),
            }),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let r = &resp.imported_resources[0];
    assert_eq!(
        undv(&r.state, &thing_type()).attr("name"),
        Some(&Value::string("byid"))
    );
    assert_eq!(identity_name(&r.identity), Value::string("byid"));
}

#[tokio::test]
async fn validators_skip_unknowns_and_name_the_attribute() {
    let (s, _) = server();
    let validate = |config: Value| {
        s.validate_resource_config(Request::new(pb::validate_resource_config::Request {
            type_name: "test_thing".into(),
            config: Some(dv(&config, &thing_type())),
            client_capabilities: None,
        }))
    };
    let config = thing(&[
        ("name", Value::unknown()),
        ("size", Value::unknown()),
        ("mode", Value::unknown()),
    ]);
    let resp = validate(config).await.unwrap().into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);

    let config = thing(&[
        ("name", Value::string("ABC")),
        ("size", num(11)),
        ("mode", Value::string("fast")),
    ]);
    let resp = validate(config).await.unwrap().into_inner();
    let mut paths: Vec<_> = resp
        .diagnostics
        .iter()
        .map(|d| path_names(d.attribute.as_ref().unwrap()))
        .collect();
    paths.sort();
    assert_eq!(paths, [["mode"], ["name"], ["size"]]);
    assert!(errors(&resp.diagnostics)
        .iter()
        .any(|e| e.contains("lower-case letters")));
}

#[tokio::test]
async fn data_source_read_and_consistency_check() {
    let (s, _) = configured().await;
    let ty = Type::object([("name", Type::String), ("greeting", Type::String)]);
    let read = |name: &str| {
        let config = ObjectBuilder::new()
            .set("name", name)
            .set("greeting", Value::Null)
            .build();
        s.read_data_source(Request::new(pb::read_data_source::Request {
            type_name: "test_info".into(),
            config: Some(dv(&config, &ty)),
            ..Default::default()
        }))
    };
    let resp = read("bob").await.unwrap().into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    assert_eq!(
        undv(&resp.state, &ty).attr("greeting"),
        Some(&Value::string("hello bob"))
    );

    let resp = read("liar").await.unwrap().into_inner();
    let errs = errors(&resp.diagnostics);
    assert!(errs[0].contains("was configured as \"liar\""), "{errs:?}");
}

#[tokio::test]
async fn action_streams_progress_then_completed() {
    let (s, _) = configured().await;
    let ty = Type::object([("target", Type::String)]);
    let config = ObjectBuilder::new().set("target", "vm1").build();
    let mut stream = s
        .invoke_action(Request::new(pb::invoke_action::Request {
            action_type: "test_poke".into(),
            config: Some(dv(&config, &ty)),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    use pb::invoke_action::event::Type as Ev;
    let mut events = Vec::new();
    while let Some(e) = stream.next().await {
        events.push(e.unwrap().r#type.unwrap());
    }
    assert_eq!(events.len(), 3);
    assert!(matches!(&events[0], Ev::Progress(p) if p.message == "poking vm1"));
    assert!(matches!(&events[1], Ev::Progress(p) if p.message == "done poking"));
    assert!(
        matches!(&events[2], Ev::Completed(c) if c.diagnostics.len() == 1 && c.diagnostics[0].summary == "Poked")
    );

    // Even an unknown action yields one (completed) event.
    let mut stream = s
        .invoke_action(Request::new(pb::invoke_action::Request {
            action_type: "nope".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let only = stream.next().await.unwrap().unwrap().r#type.unwrap();
    assert!(matches!(only, Ev::Completed(c) if !errors(&c.diagnostics).is_empty()));
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn list_stops_at_limit() {
    let (s, _) = configured().await;
    let ty = Type::object([("prefix", Type::String)]);
    let config = ObjectBuilder::new().set("prefix", Value::Null).build();
    let mut stream = s
        .list_resource(Request::new(pb::list_resource::Request {
            type_name: "test_thing".into(),
            config: Some(dv(&config, &ty)),
            include_resource_object: true,
            limit: 3,
        }))
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    while let Some(e) = stream.next().await {
        events.push(e.unwrap());
    }
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].display_name, "thing2");
    assert_eq!(identity_name(&events[0].identity), Value::string("thing0"));
    let object = undv(&events[1].resource_object, &thing_type());
    assert_eq!(object.attr("id"), Some(&Value::string("/things/1")));
    assert_eq!(object.attr("rule"), Some(&Value::List(Vec::new())));
}

#[tokio::test]
async fn stop_provider_cancels_in_flight_calls() {
    let (s, _) = configured().await;
    let ty = Type::object([("x", Type::String)]);
    let config = ObjectBuilder::new().set("x", Value::Null).build();
    let waiting = s.clone();
    let call = tokio::spawn(async move {
        waiting
            .read_data_source(Request::new(pb::read_data_source::Request {
                type_name: "test_wait".into(),
                config: Some(dv(&config, &ty)),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner()
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!call.is_finished());
    let stop = s
        .stop_provider(Request::new(pb::stop_provider::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(stop.error.is_empty());
    let resp = tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .unwrap()
        .unwrap();
    assert!(errors(&resp.diagnostics)[0].contains("stopped"));
}

#[tokio::test]
async fn generate_config_keeps_only_configurable_non_default_values() {
    let (s, _) = server();
    let resp = s
        .generate_resource_config(Request::new(pb::generate_resource_config::Request {
            type_name: "test_thing".into(),
            state: Some(dv(&prior_state(), &thing_type())),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty());
    let config = undv(&resp.config, &thing_type());
    assert_eq!(
        config,
        thing(&[("name", Value::string("abc")), ("size", num(2))])
    );
}

#[test]
fn object_reader_names_the_attribute_on_mismatch() {
    let v = ObjectBuilder::new().set("size", "big").build();
    let err = ObjectReader::new(&v).get::<i64>("size").unwrap_err();
    assert_eq!(
        err.attribute,
        Some(AttributePath(vec![PathStep::Attribute("size".into())]))
    );
    assert!(err
        .detail
        .contains("size: expected a whole number, found a string"));
}
