//! ARM routing. A path is split at its *last* `providers/{namespace}` pair: what precedes it is
//! the scope (subscription, resource group, or a parent resource for extension resources such as
//! Maintenance configuration assignments), what follows is the RP-specific resource path. Each
//! resource provider is a module implementing `ResourceProvider`, so Compute, Maintenance and
//! Resource Graph can be added without touching this file beyond registering them.
//! Segment literals compare case-insensitively, as ARM does.

use http::Method;
use hyper::body::Bytes;
use serde_json::Value;

use crate::errors::ArmError;
use crate::reply::Reply;
use crate::state::{State, Store};

/// An incoming request, already read into memory.
pub(crate) struct Req {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// The query string as sent, without `?`.
    pub raw_query: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
    /// A chaos draw whose effect comes when the request starts an LRO (see `lro::start`).
    pub chaos: Option<crate::faults::Draw>,
}

impl Req {
    /// A query parameter, name compared case-insensitively (`$skipToken` vs `$skiptoken`).
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A request header as text (`If-Match`, ...).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as a JSON object (ARM rejects a missing or non-object body on PUT/PATCH).
    pub fn json_object(&self) -> Result<serde_json::Map<String, Value>, ArmError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(ArmError::invalid_content(
                "The request content was invalid and could not be deserialized: the body is empty.",
            ));
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(ArmError::invalid_content(
                "The request content was invalid and could not be deserialized: expected a JSON object.",
            )),
            Err(e) => Err(ArmError::invalid_content(format!(
                "The request content was invalid and could not be deserialized: {e}."
            ))),
        }
    }
}

/// A parsed ARM path.
#[derive(Debug, Clone)]
pub(crate) struct ArmPath {
    pub subscription: Option<String>,
    pub resource_group: Option<String>,
    /// Segments of the scope before `providers` that are not subscription/resource group
    /// (a parent resource for extension resources).
    pub parent: Vec<String>,
    pub namespace: String,
    /// Segments after the namespace, original case.
    pub rest: Vec<String>,
}

impl ArmPath {
    pub fn parse(path: &str) -> Option<Self> {
        let segs: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let idx = segs
            .iter()
            .enumerate()
            .rev()
            .find(|(i, s)| s.eq_ignore_ascii_case("providers") && i + 1 < segs.len())
            .map(|(i, _)| i)?;
        let scope = &segs[..idx];
        let mut subscription = None;
        let mut resource_group = None;
        let mut parent = Vec::new();
        let mut i = 0;
        if scope.len() >= 2 && scope[0].eq_ignore_ascii_case("subscriptions") {
            subscription = Some(scope[1].clone());
            i = 2;
            if scope.len() >= 4 && scope[2].eq_ignore_ascii_case("resourcegroups") {
                resource_group = Some(scope[3].clone());
                i = 4;
            }
        }
        parent.extend(scope[i..].iter().cloned());
        Some(Self {
            subscription,
            resource_group,
            parent,
            namespace: segs[idx + 1].clone(),
            rest: segs[idx + 2..].to_vec(),
        })
    }

    /// `rest` lower-cased, for matching literals.
    pub fn rest_lower(&self) -> Vec<String> {
        self.rest.iter().map(|s| s.to_lowercase()).collect()
    }
}

/// One resource provider namespace (e.g. `Microsoft.HybridCompute`).
pub(crate) trait ResourceProvider: Send + Sync {
    /// Canonical namespace spelling.
    fn namespace(&self) -> &'static str;
    /// api-versions this emulator serves for the namespace.
    fn api_versions(&self) -> &'static [&'static str];
    /// Handles an authenticated request with a valid api-version.
    fn handle(&self, state: &State, req: &Req, path: &ArmPath) -> Reply;
    /// The resource at `path` as a GET would return it, without a GET's side effects (for the
    /// write ledger); `None` when absent or not a resource this provider can show.
    fn snapshot(&self, _state: &State, _store: &Store, _path: &ArmPath) -> Option<Value> {
        None
    }
}

/// The registered providers. Add new RP modules here.
pub(crate) fn providers() -> Vec<Box<dyn ResourceProvider>> {
    vec![
        Box::new(crate::hybridcompute::HybridCompute),
        Box::new(crate::compute::Compute),
        Box::new(crate::maintenance::Maintenance),
        Box::new(crate::resourcegraph::ResourceGraph),
    ]
}

/// Routes an authenticated ARM request: namespace, api-version, subscription and resource
/// group checks, then the provider.
pub(crate) fn route(state: &State, req: &Req) -> Reply {
    let Some(path) = ArmPath::parse(&req.path) else {
        return ArmError::no_route(req.method.as_str(), &req.path).into();
    };
    let Some(rp) = state
        .providers
        .iter()
        .find(|p| p.namespace().eq_ignore_ascii_case(&path.namespace))
    else {
        return ArmError::invalid_namespace(&path.namespace).into();
    };
    match req.query("api-version") {
        None => return ArmError::missing_api_version().into(),
        Some(v) if !rp.api_versions().contains(&v) => {
            return ArmError::invalid_api_version(v, rp.namespace(), rp.api_versions()).into()
        }
        Some(_) => {}
    }
    if let Some(sub) = &path.subscription {
        if !sub.eq_ignore_ascii_case(&state.config.subscription_id) {
            return ArmError::subscription_not_found(sub).into();
        }
    }
    if let Some(rg) = &path.resource_group {
        let known = crate::state::lock(&state.store)
            .resource_groups
            .contains_key(&rg.to_lowercase());
        if !known {
            return ArmError::resource_group_not_found(rg).into();
        }
    }
    if let Some(e) = validate_body(state, req) {
        return e.into();
    }
    rp.handle(state, req, &path)
}

/// Spec validation of PUT/PATCH/POST bodies (only when a specs folder is configured and the
/// body is JSON; malformed bodies are left to the handler's own error).
fn validate_body(state: &State, req: &Req) -> Option<ArmError> {
    let specs = state.specs.as_ref()?;
    if !matches!(req.method, Method::PUT | Method::PATCH | Method::POST) {
        return None;
    }
    let body: Value = serde_json::from_slice(&req.body).ok()?;
    let violations = specs.validate_request(req.method.as_str(), &req.path, &body)?;
    let first = violations.first()?;
    let details = violations
        .iter()
        .map(|v| {
            serde_json::json!({
                "code": "InvalidRequestContent",
                "target": v.path,
                "message": format!("{}: {}", v.path, v.message),
            })
        })
        .collect();
    Some(
        ArmError::invalid_content(format!(
            "The request content was invalid: '{}' {}.",
            first.path, first.message
        ))
        .target(first.path.clone())
        .details(details),
    )
}
