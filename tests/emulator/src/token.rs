//! The Entra ID (v2.0) client-credentials token endpoint, `POST /{tenant}/oauth2/v2.0/token`,
//! served by the same HTTPS listener so a client only needs one "cloud" override: its authority
//! host and its ARM endpoint are both the emulator's base URL. `azure_identity` 1.0's
//! `ClientSecretCredential` calls only this endpoint (no instance discovery), so nothing else
//! from login.microsoftonline.com is emulated.
//!
//! Client assertions (`client_assertion_type=urn:ietf:params:oauth:grant-type:jwt-bearer`) are
//! accepted when they are syntactically valid JWTs whose `sub` and `iss` name a registered
//! client id and whose `exp` (if present) is in the future. Their signatures are NOT verified:
//! the emulator has no certificate registry, and the point is to exercise the client's flow.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::StatusCode;
use serde_json::{json, Value};

use crate::errors::ArmError;
use crate::reply::Reply;
use crate::state::{lock, State};

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// True when the path is a token endpoint path (`/{tenant}/oauth2/v2.0/token`).
pub fn is_token_path(path: &str) -> Option<&str> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segs.as_slice() {
        [tenant, o, v, t]
            if o.eq_ignore_ascii_case("oauth2")
                && v.eq_ignore_ascii_case("v2.0")
                && t.eq_ignore_ascii_case("token") =>
        {
            Some(tenant)
        }
        _ => None,
    }
}

fn aad_error(status: StatusCode, error: &str, code: u32, description: &str) -> Reply {
    let now = time::OffsetDateTime::now_utc();
    let ts = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let trace = uuid::Uuid::new_v4();
    let corr = uuid::Uuid::new_v4();
    Reply::json(
        status,
        json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {description}\r\nTrace ID: {trace}\r\nCorrelation ID: {corr}\r\nTimestamp: {ts}"),
            "error_codes": [code],
            "timestamp": ts,
            "trace_id": trace.to_string(),
            "correlation_id": corr.to_string(),
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        }),
    )
}

/// Handles a token request for `tenant` with a form-encoded body.
pub fn handle(state: &State, tenant: &str, method: &http::Method, body: &[u8]) -> Reply {
    if method != http::Method::POST {
        return aad_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            900561,
            "The endpoint only accepts POST requests.",
        );
    }
    if !tenant.eq_ignore_ascii_case(&state.config.tenant_id) {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."),
        );
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };

    match get("grant_type") {
        Some("client_credentials") => {}
        Some(other) => {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                &format!("The app requested an unsupported grant type '{other}'."),
            )
        }
        None => {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
            )
        }
    }

    let client_id = match authenticate_client(state, get("client_id"), &get) {
        Ok(id) => id,
        Err(reply) => return reply,
    };

    let Some(scope) = get("scope") else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        );
    };
    if !scope_ok(state, scope) {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            &format!("The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."),
        );
    }

    let lifetime = state.config.token_lifetime;
    let token = mint(state, &client_id, lifetime);
    let secs = lifetime.as_secs();
    Reply::ok(json!({
        "token_type": "Bearer",
        "expires_in": secs,
        "ext_expires_in": secs,
        "access_token": token,
    }))
}

fn authenticate_client<'a>(
    state: &State,
    client_id: Option<&str>,
    get: &dyn Fn(&str) -> Option<&'a str>,
) -> Result<String, Reply> {
    if let Some(assertion) = get("client_assertion") {
        if get("client_assertion_type") != Some(JWT_BEARER) {
            return Err(aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                50027,
                "Invalid client_assertion_type; expected 'urn:ietf:params:oauth:grant-type:jwt-bearer'.",
            ));
        }
        let claims = decode_jwt_claims(assertion).ok_or_else(|| {
            aad_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                50027,
                "JWT token is invalid or malformed.",
            )
        })?;
        let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
        let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
        let registered = state
            .config
            .clients
            .iter()
            .find(|c| c.client_id.eq_ignore_ascii_case(sub));
        let Some(client) = registered else {
            return Err(aad_error(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                700016,
                &format!("Application with identifier '{sub}' was not found in the directory."),
            ));
        };
        if !iss.eq_ignore_ascii_case(sub) || client_id.is_some_and(|c| !c.eq_ignore_ascii_case(sub))
        {
            return Err(aad_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                700021,
                "Client assertion application identifier doesn't match 'client_id' parameter or its 'iss' and 'sub' claims differ.",
            ));
        }
        if let Some(exp) = claims.get("exp").and_then(Value::as_u64) {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            if exp <= now {
                return Err(aad_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    700024,
                    "Client assertion is not within its valid time range.",
                ));
            }
        }
        return Ok(client.client_id.clone());
    }

    let Some(client_id) = client_id else {
        return Err(aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        ));
    };
    let Some(client) = state
        .config
        .clients
        .iter()
        .find(|c| c.client_id.eq_ignore_ascii_case(client_id))
    else {
        return Err(aad_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!("Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.", state.config.tenant_id),
        ));
    };
    match get("client_secret") {
        Some(secret) if secret == client.client_secret => Ok(client.client_id.clone()),
        Some(_) => Err(aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            &format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.", client.client_id),
        )),
        None => Err(aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )),
    }
}

fn decode_jwt_claims(jwt: &str) -> Option<Value> {
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 || parts.iter().take(2).any(|p| p.is_empty()) {
        return None;
    }
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).ok()?).ok()?;
    header.as_object()?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).ok()?).ok()?;
    claims.is_object().then_some(claims)
}

/// Accepted audiences: ARM's public ones, the emulator's base URL, and configured extras.
fn scope_ok(state: &State, scope: &str) -> bool {
    let mut audiences = vec![
        "https://management.azure.com".to_string(),
        "https://management.core.windows.net".to_string(),
        state.base_url.clone(),
    ];
    audiences.extend(state.config.extra_audiences.iter().cloned());
    scope.split_whitespace().all(|s| {
        s.strip_suffix(".default").is_some_and(|aud| {
            let aud = aud.trim_end_matches('/');
            audiences
                .iter()
                .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(aud))
        })
    }) && !scope.trim().is_empty()
}

/// Issues an unsigned JWT-shaped token and remembers it until it expires.
pub fn mint(state: &State, client_id: &str, lifetime: Duration) -> String {
    let now = SystemTime::now();
    let iat = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"none"}"#);
    let claims = json!({
        "aud": "https://management.azure.com/",
        "iss": format!("https://sts.windows.net/{}/", state.config.tenant_id),
        "tid": state.config.tenant_id,
        "appid": client_id,
        "oid": uuid::Uuid::new_v4().to_string(),
        "iat": iat,
        "nbf": iat,
        "exp": iat + lifetime.as_secs(),
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let token = format!("{header}.{payload}.ZW11bGF0b3I");
    lock(&state.tokens).insert(token.clone(), now + lifetime);
    token
}

/// Checks the `Authorization` header of an ARM request.
pub fn authorize(state: &State, header: Option<&str>) -> Result<(), ArmError> {
    let Some(value) = header else {
        return Err(ArmError::missing_auth());
    };
    let Some(token) = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
    else {
        return Err(ArmError::invalid_token(
            "The authentication scheme is not supported; expected a Bearer token.",
        ));
    };
    let tokens = lock(&state.tokens);
    match tokens.get(token.trim()) {
        None => Err(ArmError::invalid_token(
            "The access token is invalid. It was not issued by this emulator.",
        )),
        Some(exp) if *exp <= SystemTime::now() => Err(ArmError::expired_token()),
        Some(_) => Ok(()),
    }
}
