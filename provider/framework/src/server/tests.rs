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
use crate::model::object;
use crate::validators::{int_between, one_of, regex};
use crate::{
    action, data_source, list_resource, raw, resource, Action, ApplyRequest, Context, DataSource,
    FromValue, ImportRequest, Known, ListRequest, ListResource, ListResult, ListSink, Model,
    Number, PlanRequest, ProgressSender, Provider, Resource, ToValue,
};
use tfprotocol::json::Json;

/// How the fake resource misbehaves in a given test.
#[derive(Default)]
struct Knobs {
    /// modify_plan overwrites the configured `name`.
    break_plan: bool,
    /// apply returns `size` + 1.
    drift_on_apply: bool,
    /// read reports the object gone.
    gone: bool,
    /// create waits until its context ends, then returns the object with an error.
    hang_in_create: bool,
    /// read panics.
    panic_in_read: bool,
}

struct Client {
    knobs: Mutex<Knobs>,
}

struct TestProvider {
    knobs: Arc<Client>,
}

/// The test provider.
#[derive(Model)]
struct TestConfig {
    /// Where the API is.
    #[tf(optional)]
    endpoint: Option<String>,
}

#[async_trait]
impl Provider for TestProvider {
    type Config = TestConfig;
    type Data = Arc<Client>;

    fn type_name(&self) -> &str {
        "test"
    }

    async fn configure(
        &self,
        _: &Context,
        _: &TestConfig,
        _: &str,
    ) -> Result<Arc<Client>, Diagnostics> {
        Ok(Arc::clone(&self.knobs))
    }

    fn resources(&self) -> Vec<Arc<dyn raw::Resource<Arc<Client>>>> {
        vec![resource(Thing)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn raw::DataSource<Arc<Client>>>> {
        vec![data_source(Info), data_source(Wait)]
    }

    fn actions(&self) -> Vec<Arc<dyn raw::Action<Arc<Client>>>> {
        vec![action(Poke)]
    }

    fn list_resources(&self) -> Vec<Arc<dyn raw::ListResource<Arc<Client>>>> {
        vec![list_resource(ThingList)]
    }
}

/// A thing with every kind of attribute behaviour.
#[derive(Model, Clone, Debug, PartialEq)]
struct ThingModel {
    /// The thing's name.
    #[tf(required, replace, validator = regex("^[a-z]+$", "name must be lower-case letters"))]
    name: String,
    #[tf(optional, validator = int_between(1, 10))]
    size: Option<i64>,
    #[tf(default = "auto", validator = one_of(&["auto", "manual"]))]
    mode: Option<String>,
    #[tf(computed, state_for_unknown)]
    id: Option<String>,
    #[tf(computed)]
    status: Option<String>,
    #[tf(optional, sensitive, write_only)]
    secret: Option<String>,
    /// Any number, kept exactly.
    #[tf(optional)]
    weight: Option<Number>,
    #[tf(block)]
    rule: Vec<RuleModel>,
}

#[derive(Model, Clone, Debug, PartialEq)]
struct RuleModel {
    #[tf(required)]
    kb: String,
}

#[derive(Model, Clone, Debug, PartialEq)]
struct ThingIdentity {
    #[tf(required)]
    name: String,
}

impl ThingModel {
    fn named(name: impl Into<String>) -> Self {
        ThingModel {
            name: name.into(),
            size: None,
            mode: None,
            id: None,
            status: None,
            secret: None,
            weight: None,
            rule: Vec::new(),
        }
    }
}

struct Thing;

fn thing_type() -> Type {
    resource::<Arc<Client>, _>(Thing)
        .schema()
        .block
        .implied_type()
}

#[async_trait]
impl Resource<Arc<Client>> for Thing {
    type Model = ThingModel;
    type Identity = ThingIdentity;
    const TYPE_NAME: &'static str = "test_thing";
    const VERSION: i64 = 1;

    fn identity(&self, state: &ThingModelPlan) -> ThingIdentityPlan {
        ThingIdentityPlan {
            name: state.name.clone(),
        }
    }

    async fn modify_plan(
        &self,
        _: &Context,
        data: Option<&Arc<Client>>,
        _: PlanRequest<'_, ThingModel>,
        planned: &mut ThingModelPlan,
        _: &mut Diagnostics,
    ) {
        let broken = data.is_some_and(|c| c.knobs.lock().unwrap().break_plan);
        if broken {
            planned.name = Known::Value("other".into());
        }
    }

    async fn create(
        &self,
        ctx: &Context,
        c: &Arc<Client>,
        req: ApplyRequest<'_, ThingModel>,
    ) -> (Option<ThingModel>, Diagnostics) {
        let mut state = req.planned.clone();
        state.id = Some(format!("/things/{}", state.name));
        state.status = Some("ready".into());
        if c.knobs.lock().unwrap().hang_in_create {
            ctx.stop.cancelled().await;
            state.status = Some("creating".into());
            let why = if ctx.timed_out() {
                "timed out"
            } else {
                "stopped"
            };
            return (
                Some(state),
                Diagnostic::error("Create unfinished", why).into(),
            );
        }
        if c.knobs.lock().unwrap().drift_on_apply {
            state.size = state.size.map(|s| s + 1);
        }
        (Some(state), Diagnostics::new())
    }

    async fn read(
        &self,
        _: &Context,
        c: &Arc<Client>,
        current: &ThingModel,
    ) -> (Option<ThingModel>, Diagnostics) {
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
        req: ApplyRequest<'_, ThingModel>,
    ) -> (Option<ThingModel>, Diagnostics) {
        let mut state = req.planned.clone();
        state.status = Some("updated".into());
        (Some(state), Diagnostics::new())
    }

    async fn delete(&self, _: &Context, _: &Arc<Client>, _: &ThingModel) -> Diagnostics {
        Diagnostics::new()
    }

    async fn import(
        &self,
        _: &Context,
        _: &Arc<Client>,
        req: ImportRequest<'_, ThingIdentity>,
    ) -> (Option<ThingModel>, Diagnostics) {
        let name = match req.identity {
            Some(identity) => identity.name.clone(),
            None => req.id.trim_start_matches("/things/").to_string(),
        };
        let state = ThingModel {
            id: Some(req.id.to_string()),
            ..ThingModel::named(name)
        };
        (Some(state), Diagnostics::new())
    }

    fn upgrade_state(&self, from: i64, state: Json) -> Result<Json, Diagnostics> {
        assert_eq!(from, 0);
        let Json::Object(members) = state else {
            return Ok(state);
        };
        let renamed = members
            .into_iter()
            .map(|(k, v)| match k.as_str() {
                "title" => ("name".to_string(), v),
                _ => (k, v),
            })
            .collect();
        Ok(Json::Object(renamed))
    }
}

struct Info;

#[derive(Model, Clone)]
struct InfoModel {
    #[tf(required)]
    name: String,
    #[tf(computed)]
    greeting: Option<String>,
}

#[async_trait]
impl DataSource<Arc<Client>> for Info {
    type Model = InfoModel;
    const TYPE_NAME: &'static str = "test_info";

    async fn read(
        &self,
        _: &Context,
        _: &Arc<Client>,
        config: &InfoModel,
    ) -> (Option<InfoModel>, Diagnostics) {
        if config.name == "liar" {
            // Breaks the rule that configured values come back unchanged.
            let lie = InfoModel {
                name: "truth".into(),
                greeting: Some("hi".into()),
            };
            return (Some(lie), Diagnostics::new());
        }
        let v = InfoModel {
            greeting: Some(format!("hello {}", config.name)),
            ..config.clone()
        };
        (Some(v), Diagnostics::new())
    }
}

/// Waits until the provider is stopped.
struct Wait;

#[derive(Model)]
struct WaitModel {
    #[tf(optional)]
    x: Option<String>,
}

#[async_trait]
impl DataSource<Arc<Client>> for Wait {
    type Model = WaitModel;
    const TYPE_NAME: &'static str = "test_wait";

    async fn read(
        &self,
        ctx: &Context,
        _: &Arc<Client>,
        _: &WaitModel,
    ) -> (Option<WaitModel>, Diagnostics) {
        ctx.stop.cancelled().await;
        (
            None,
            Diagnostic::error("Stopped", "the provider was stopped").into(),
        )
    }
}

struct Poke;

#[derive(Model)]
struct PokeConfig {
    #[tf(required)]
    target: String,
}

#[async_trait]
impl Action<Arc<Client>> for Poke {
    type Config = PokeConfig;
    const TYPE_NAME: &'static str = "test_poke";

    async fn invoke(
        &self,
        _: &Context,
        _: &Arc<Client>,
        config: &PokeConfig,
        progress: &ProgressSender,
    ) -> Diagnostics {
        progress.send(format!("poking {}", config.target)).await;
        if config.target == "panic" {
            panic!("poke exploded on {}", config.target);
        }
        progress.send("done poking").await;
        let mut d = Diagnostics::new();
        d.warning("Poked", config.target.clone());
        d
    }
}

struct ThingList;

#[derive(Model)]
struct ThingListConfig {
    #[tf(optional)]
    prefix: Option<String>,
}

#[async_trait]
impl ListResource<Arc<Client>> for ThingList {
    type Config = ThingListConfig;
    type Model = ThingModel;
    type Identity = ThingIdentity;
    const TYPE_NAME: &'static str = "test_thing";

    async fn list(
        &self,
        _: &Context,
        _: &Arc<Client>,
        req: ListRequest<'_, ThingListConfig>,
        sink: &mut ListSink<'_, ThingModel, ThingIdentity>,
    ) -> Diagnostics {
        for i in 0..100 {
            let name = format!("thing{i}");
            let result = ListResult {
                identity: ThingIdentity { name: name.clone() },
                display_name: name.clone(),
                resource_object: req.include_resource_object.then(|| ThingModel {
                    id: Some(format!("/things/{i}")),
                    ..ThingModel::named(name)
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
    let config = object([("endpoint", Value::Null)]);
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
    let mut m: BTreeMap<String, Value> = [
        "name", "size", "mode", "id", "status", "secret", "weight", "timeouts",
    ]
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
    let config = object([("target", Value::string("panic"))]);
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
    let identity = object([("name", Value::string("byid"))]);
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
        let config = object([("name", Value::string(name)), ("greeting", Value::Null)]);
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
    let config = object([("target", Value::string("vm1"))]);
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
    let config = object([("prefix", Value::Null)]);
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
    let config = object([("x", Value::Null)]);
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
fn model_decoding_names_the_attribute_on_mismatch() {
    let mut v = thing(&[("name", Value::string("abc"))]);
    *v.attr_mut("size").unwrap() = Value::string("big");
    let err = ThingModel::from_value(&v, &AttributePath::root()).unwrap_err();
    assert_eq!(
        err.attribute,
        Some(AttributePath(vec![PathStep::Attribute("size".into())]))
    );
    assert!(err
        .detail
        .contains("size: expected a whole number, found a string"));
}

#[test]
fn derived_schema_takes_names_types_docs_and_behaviours_from_the_struct() {
    assert_eq!(
        ThingModel::NAMES,
        ["name", "size", "mode", "id", "status", "secret", "weight", "rule"]
    );
    let block = ThingModel::block();
    assert_eq!(
        block.description,
        "A thing with every kind of attribute behaviour."
    );
    let name = block.get_attribute("name").unwrap();
    assert!(name.required && name.requires_replace && !name.optional);
    assert_eq!(name.description, "The thing's name.");
    assert_eq!(name.validators.len(), 1);
    let mode = block.get_attribute("mode").unwrap();
    assert!(mode.optional && mode.computed);
    assert_eq!(mode.default, Some(Value::string("auto")));
    let id = block.get_attribute("id").unwrap();
    assert!(id.computed && id.use_state_for_unknown && !id.optional);
    let secret = block.get_attribute("secret").unwrap();
    assert!(secret.sensitive && secret.write_only);
    assert_eq!(block.get_attribute("size").unwrap().ty, Type::Number);
    assert_eq!(block.get_attribute("weight").unwrap().ty, Type::Number);
    assert_eq!(block.blocks.len(), 1);
    assert_eq!(block.blocks[0].name, "rule");
    assert_eq!(block.blocks[0].nesting, tfprotocol::Nesting::List);
    assert!(block.blocks[0].block.get_attribute("kb").unwrap().required);
}

#[test]
fn models_round_trip_through_values_and_plans() {
    let thing = ThingModel {
        size: Some(3),
        weight: Some(Number::parse_wire("1234567890123456789012345678901234567890").unwrap()),
        rule: vec![RuleModel { kb: "KB1".into() }],
        ..ThingModel::named("abc")
    };
    let value = thing.to_value();
    assert_eq!(
        ThingModel::from_value(&value, &AttributePath::root()).unwrap(),
        thing
    );
    let plan = thing.plan();
    assert_eq!(plan.size, Known::Value(3));
    assert_eq!(plan.mode, Known::Null);
    assert_eq!(plan.to_value(), value);
    let mut unknown = value.clone();
    *unknown.attr_mut("id").unwrap() = Value::unknown();
    let plan = ThingModelPlan::from_value(&unknown, &AttributePath::root()).unwrap();
    assert_eq!(plan.id, Known::Unknown);
    assert!(ThingModel::from_value(&unknown, &AttributePath::root()).is_err());
}

#[tokio::test]
async fn every_resource_gets_a_timeouts_block_carried_into_plan_and_state() {
    let (s, _) = configured().await;
    let resp = s
        .get_provider_schema(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    let schema = &resp.resource_schemas["test_thing"];
    let timeouts = schema
        .block
        .as_ref()
        .unwrap()
        .block_types
        .iter()
        .find(|b| b.type_name == "timeouts")
        .expect("timeouts block");
    let names: Vec<&str> = timeouts
        .block
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["create", "read", "update", "delete"]);

    let timeouts = object([
        ("create", Value::string("2h")),
        ("read", Value::Null),
        ("update", Value::Null),
        ("delete", Value::Null),
    ]);
    let config = thing(&[
        ("name", Value::string("abc")),
        ("timeouts", timeouts.clone()),
    ]);
    let planned = undv(
        &plan(&s, &Value::Null, &config, &config).await.planned_state,
        &thing_type(),
    );
    assert_eq!(planned.attr("timeouts"), Some(&timeouts));
    let resp = apply(&s, &Value::Null, &planned, &config).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let state = undv(&resp.new_state, &thing_type());
    assert_eq!(state.attr("timeouts"), Some(&timeouts));
}

#[tokio::test]
async fn the_create_timeout_bounds_the_operation_and_state_is_kept() {
    let (s, c) = configured().await;
    c.knobs.lock().unwrap().hang_in_create = true;
    let timeouts = object([
        ("create", Value::string("50ms")),
        ("read", Value::Null),
        ("update", Value::Null),
        ("delete", Value::Null),
    ]);
    let config = thing(&[("name", Value::string("abc")), ("timeouts", timeouts)]);
    let planned = undv(
        &plan(&s, &Value::Null, &config, &config).await.planned_state,
        &thing_type(),
    );
    let resp = tokio::time::timeout(
        Duration::from_secs(10),
        apply(&s, &Value::Null, &planned, &config),
    )
    .await
    .expect("the create timeout ends the apply");
    assert_eq!(errors(&resp.diagnostics), ["Create unfinished: timed out"]);
    let state = undv(&resp.new_state, &thing_type());
    assert_eq!(state.attr("id"), Some(&Value::string("/things/abc")));
    assert_eq!(state.attr("status"), Some(&Value::string("creating")));
}

/// Numbers beyond f64 survive the stored-state path (UpgradeResourceState) and plan/apply.
#[tokio::test]
async fn numbers_keep_every_digit_from_stored_state_through_plan_and_apply() {
    let (s, _) = configured().await;
    for digits in [
        "9007199254740993",
        "1234567890.123456789012345678901234567890",
    ] {
        let json =
            format!(r#"{{"name":"abc","id":"/things/abc","mode":"auto","weight":{digits}}}"#);
        let resp = s
            .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
                type_name: "test_thing".into(),
                version: 1,
                raw_state: Some(pb::RawState {
                    json: json.into_bytes(),
                    flatmap: Default::default(),
                }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        let prior = undv(&resp.upgraded_state, &thing_type());
        let weight = Value::Number(Number::parse_wire(digits).unwrap());
        assert_eq!(prior.attr("weight"), Some(&weight));

        // A plan that changes something else keeps the number, and so does the apply.
        let mut config = prior.clone();
        for computed in ["id", "status"] {
            *config.attr_mut(computed).unwrap() = Value::Null;
        }
        *config.attr_mut("size").unwrap() = num(4);
        let mut proposed = config.clone();
        *proposed.attr_mut("id").unwrap() = Value::string("/things/abc");
        let resp = plan(&s, &prior, &proposed, &config).await;
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        let planned = undv(&resp.planned_state, &thing_type());
        assert_eq!(planned.attr("weight"), Some(&weight));
        let resp = apply(&s, &prior, &planned, &config).await;
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        let state = undv(&resp.new_state, &thing_type());
        assert_eq!(state.attr("weight"), Some(&weight), "{digits}");
        assert_eq!(
            msgpack::decode(
                &msgpack::encode(&state, &thing_type()).unwrap(),
                &thing_type()
            )
            .unwrap()
            .attr("weight"),
            Some(&weight)
        );
    }
}

/// An update that changes only the `timeouts` block reaches no resource code: the planned state
/// (with the new timeouts) is the new state. Any other change still calls the resource.
#[tokio::test]
async fn an_update_of_only_the_timeouts_block_writes_nothing() {
    let (s, _) = configured().await;
    let prior = prior_state();
    let timeouts = object([
        ("create", Value::Null),
        ("read", Value::Null),
        ("update", Value::string("90m")),
        ("delete", Value::Null),
    ]);
    let mut planned = prior.clone();
    *planned.attr_mut("timeouts").unwrap() = timeouts.clone();
    let resp = apply(&s, &prior, &planned, &planned).await;
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let state = undv(&resp.new_state, &thing_type());
    assert_eq!(state.attr("status"), Some(&Value::string("ready")));
    assert_eq!(state.attr("timeouts"), Some(&timeouts));

    *planned.attr_mut("size").unwrap() = num(3);
    let resp = apply(&s, &prior, &planned, &planned).await;
    let state = undv(&resp.new_state, &thing_type());
    assert_eq!(state.attr("status"), Some(&Value::string("updated")));
}
