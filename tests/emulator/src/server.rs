//! The HTTPS listener and the cross-cutting request pipeline: admin bypass, request log,
//! injected latency and errors, the token endpoint, ARM authentication, token-bucket throttling
//! and finally routing. Keeping these steps in one place makes their order (which matters for
//! what a client observes) explicit.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::reply::Reply;
use crate::router::{self, Req};
use crate::state::{lock, LoggedRequest, State};
use crate::{admin, token};

/// Largest request body accepted (ARM's own limit is 4 MB).
const MAX_BODY: usize = 4 * 1024 * 1024;

/// The request log keeps the most recent entries only (a long demo must not grow forever).
const MAX_LOG: usize = 20_000;

pub(crate) async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                let Ok((tcp, _peer)) = accepted else { continue };
                let acceptor = acceptor.clone();
                let state = state.clone();
                conns.spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let svc = service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(handle(state, req).await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), svc)
                        .await;
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
}

fn now_rfc3339() -> String {
    crate::lro::rfc3339(time::OffsetDateTime::now_utc())
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let timestamp = now_rfc3339();
    let (parts, body) = request.into_parts();
    let body = match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => {
            return to_response(
                crate::errors::ArmError::bad_request(
                    "RequestBodyTooLarge",
                    "The request body is too large or could not be read.",
                )
                .into(),
            )
        }
    };
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let req = Req {
        method: parts.method.clone(),
        path: parts.uri.path().to_string(),
        query: url::form_urlencoded::parse(raw_query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        headers: parts.headers.clone(),
        body,
    };

    if req.path.to_lowercase().starts_with("/_admin") {
        return to_response(admin::handle(&state, &req));
    }

    let reply = pipeline(&state, &req, &parts.headers).await;

    let mut headers = BTreeMap::new();
    for (name, value) in &parts.headers {
        if name == http::header::AUTHORIZATION {
            continue;
        }
        headers.insert(
            name.as_str().to_string(),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        );
    }
    let is_token = token::is_token_path(&req.path).is_some();
    let mut log = lock(&state.log);
    if log.len() >= MAX_LOG {
        log.drain(..MAX_LOG / 10);
    }
    log.push(LoggedRequest {
        method: req.method.to_string(),
        path: req.path.clone(),
        query: raw_query,
        status: reply.status.as_u16(),
        body: if is_token {
            redact_form(&req.body)
        } else {
            String::from_utf8_lossy(&req.body).into_owned()
        },
        headers,
        timestamp,
    });
    drop(log);
    tracing::debug!(method = %req.method, path = %req.path, status = reply.status.as_u16(), "request");
    to_response(reply)
}

async fn pipeline(state: &State, req: &Req, headers: &http::HeaderMap) -> Reply {
    let method = req.method.as_str();
    let latency = lock(&state.faults).latency_for(method, &req.path);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let injected = lock(&state.faults).error_for(method, &req.path);
    if let Some(e) = injected {
        return with_ids(e.into());
    }
    if let Some(tenant) = token::is_token_path(&req.path) {
        return token::handle(state, tenant, &req.method, &req.body);
    }
    let auth = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Err(e) = token::authorize(state, auth) {
        return with_ids(e.into());
    }
    let charge = lock(&state.throttle).charge(&req.method, &state.config.subscription_id);
    let reply = match charge.rejected {
        Some(e) => e.into(),
        None => router::route(state, req),
    };
    with_ids(reply.header(charge.header, charge.remaining.to_string()))
}

fn with_ids(reply: Reply) -> Reply {
    let id = uuid::Uuid::new_v4().to_string();
    reply
        .header("x-ms-request-id", id.clone())
        .header("x-ms-correlation-request-id", id)
}

fn redact_form(body: &[u8]) -> String {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| {
            let v = if k == "client_secret" || k == "client_assertion" {
                "REDACTED".into()
            } else {
                v
            };
            (k, v)
        })
        .fold(
            url::form_urlencoded::Serializer::new(String::new()),
            |mut s, (k, v)| {
                s.append_pair(&k, &v);
                s
            },
        )
        .finish()
}

fn to_response(reply: Reply) -> Response<Full<Bytes>> {
    let body = reply
        .body
        .as_ref()
        .map(|b| Bytes::from(b.to_string()))
        .unwrap_or_default();
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = reply.status;
    let h = resp.headers_mut();
    if reply.body.is_some() {
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    for (name, value) in reply.headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            h.append(n, v);
        }
    }
    if reply.status == StatusCode::NO_CONTENT {
        h.remove(http::header::CONTENT_TYPE);
    }
    resp
}
