//! ARM error bodies. HybridCompute uses common-types v3 `ErrorResponse`
//! (`{"error":{"code","message","target","details"}}`); the helpers below build the codes real
//! ARM returns for the situations the emulator reproduces, so clients see the same text.

use http::StatusCode;
use serde_json::{json, Value};

use crate::reply::Reply;

/// Boxed so `Result<_, ArmError>` stays small.
#[derive(Clone, Debug)]
pub struct ArmError(Box<Inner>);

#[derive(Clone, Debug)]
pub struct Inner {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub target: Option<String>,
    pub details: Vec<Value>,
    pub headers: Vec<(String, String)>,
}

impl ArmError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            status,
            code: code.to_string(),
            message: message.into(),
            target: None,
            details: Vec::new(),
            headers: Vec::new(),
        }))
    }

    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.0.target = Some(target.into());
        self
    }

    pub fn details(mut self, details: Vec<Value>) -> Self {
        self.0.details = details;
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn body(&self) -> Value {
        let e = &self.0;
        let mut error = json!({ "code": e.code, "message": e.message });
        if let Some(t) = &e.target {
            error["target"] = json!(t);
        }
        if !e.details.is_empty() {
            error["details"] = Value::Array(e.details.clone());
        }
        json!({ "error": error })
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn missing_auth() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        )
        .header(
            "WWW-Authenticate",
            "Bearer authorization_uri=\"https://login.microsoftonline.com/common\", error=\"invalid_token\", error_description=\"The authentication failed because of missing 'Authorization' header.\"",
        )
    }

    pub fn invalid_token(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", message).header(
            "WWW-Authenticate",
            "Bearer authorization_uri=\"https://login.microsoftonline.com/common\", error=\"invalid_token\", error_description=\"The access token is invalid.\"",
        )
    }

    pub fn expired_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "ExpiredAuthenticationToken",
            "The access token expiry UTC time is earlier than current UTC time.",
        )
    }

    pub fn missing_api_version() -> Self {
        Self::bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    }

    pub fn invalid_api_version(given: &str, namespace: &str, supported: &[&str]) -> Self {
        Self::bad_request(
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{given}' is invalid. The supported versions are '{}'.",
                supported.join(",")
            ),
        )
        .target(namespace.to_string())
    }

    pub fn invalid_namespace(namespace: &str) -> Self {
        Self::bad_request(
            "InvalidResourceNamespace",
            format!("The resource namespace '{namespace}' is invalid."),
        )
    }

    pub fn subscription_not_found(sub: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            format!("The subscription '{sub}' could not be found."),
        )
    }

    pub fn resource_group_not_found(rg: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            format!("Resource group '{rg}' could not be found."),
        )
    }

    pub fn resource_not_found(resource_type: &str, name: &str, rg: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "The Resource '{resource_type}/{name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
        )
    }

    pub fn parent_not_found(parent: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ParentResourceNotFound",
            format!(
                "Can not perform requested operation on nested resource. Parent resource '{parent}' not found."
            ),
        )
    }

    pub fn no_route(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NoRegisteredProviderFound",
            format!("No registered resource provider found for request {method} {path}."),
        )
    }

    pub fn method_not_allowed(method: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!(
                "The HTTP method '{method}' is not supported by the emulator for this resource."
            ),
        )
    }

    pub fn invalid_content(message: impl Into<String>) -> Self {
        Self::bad_request("InvalidRequestContent", message)
    }
}

impl From<ArmError> for Reply {
    fn from(e: ArmError) -> Self {
        let mut r = Reply::json(e.0.status, e.body());
        r.headers.extend(e.0.headers);
        r
    }
}
