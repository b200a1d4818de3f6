//! The HTTPS listener: reads each request, lets the admin API bypass ARM, runs the ARM
//! pipeline (`pipeline`), records the request log and writes the answer, or resets the
//! connection when a fault says so (hyper closes an HTTP/1.1 connection, or resets the
//! HTTP/2 stream, when the service returns an error).

use std::collections::BTreeMap;
use std::sync::Arc;

use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::faults::Injected;
use crate::reply::Reply;
use crate::router::Req;
use crate::state::{lock, LoggedRequest, State};
use crate::{admin, pipeline, token};

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
                        async move { handle(state, req).await }
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

/// Returned to hyper to drop the connection (or stream) without an answer.
#[derive(Debug)]
pub(crate) struct ConnectionReset;

impl std::fmt::Display for ConnectionReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by an injected fault")
    }
}

impl std::error::Error for ConnectionReset {}

pub(crate) fn now_rfc3339() -> String {
    crate::lro::rfc3339(time::OffsetDateTime::now_utc())
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ConnectionReset> {
    let timestamp = now_rfc3339();
    let (parts, body) = request.into_parts();
    let body = match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => {
            return Ok(to_response(
                crate::errors::ArmError::bad_request(
                    "RequestBodyTooLarge",
                    "The request body is too large or could not be read.",
                )
                .into(),
            ))
        }
    };
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let mut req = Req {
        method: parts.method.clone(),
        path: parts.uri.path().to_string(),
        query: url::form_urlencoded::parse(raw_query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        raw_query: raw_query.clone(),
        headers: parts.headers.clone(),
        body,
        chaos: None,
    };

    if req.path.to_lowercase().starts_with("/_admin") {
        return Ok(to_response(admin::handle(&state, &req)));
    }

    let outcome = pipeline::run(&state, &mut req).await;
    let status = match &outcome.response {
        Injected::Reply(r) => r.status.as_u16(),
        Injected::Reset => 0,
    };

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
        status,
        fault: outcome.fault,
        body: if is_token {
            redact_form(&req.body)
        } else {
            String::from_utf8_lossy(&req.body).into_owned()
        },
        headers,
        timestamp,
    });
    drop(log);
    tracing::debug!(method = %req.method, path = %req.path, status, "request");
    match outcome.response {
        Injected::Reply(reply) => Ok(to_response(reply)),
        Injected::Reset => Err(ConnectionReset),
    }
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
