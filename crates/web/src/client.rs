//! Who is on the other end of a request: the client's address, resolved once per
//! request by [`resolve`] and read by handlers through [`ClientIp`] / [`client_ip`].
//!
//! Forwarding headers (`X-Forwarded-For`, `X-Real-IP`) are believed only when the
//! peer is one of the configured `trusted_proxies`; with none configured (the
//! default) the peer's own address is recorded, so no client can put a forged
//! address into an approval or an audit row.

use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};

/// The client's address as resolved for this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

/// The client's address as text, for handlers that record it.
#[derive(Debug, Clone)]
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// Where a sign-in request comes from: the client's address and the session cookie
/// it already holds (ended when the sign-in succeeds).
#[derive(Debug, Clone, Default)]
pub struct SignInOrigin {
    /// The client's address.
    pub address: Option<String>,
    /// The session secret the client presented, if any.
    pub previous_session: Option<String>,
}

impl SignInOrigin {
    /// Reads it from a request's parts.
    pub fn of(parts: &Parts) -> SignInOrigin {
        SignInOrigin {
            address: client_ip(parts),
            previous_session: crate::extract::cookie(parts, crate::extract::SESSION_COOKIE)
                .filter(|c| !c.is_empty())
                .map(str::to_string),
        }
    }

    /// As the use cases take it.
    pub fn as_app(&self) -> app::auth::SignInFrom<'_> {
        app::auth::SignInFrom {
            address: self.address.as_deref(),
            previous_session: self.previous_session.as_deref(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SignInOrigin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(SignInOrigin::of(parts))
    }
}

/// The client's address from a request's parts (see the module documentation).
pub fn client_ip(parts: &Parts) -> Option<String> {
    client_addr(parts).map(|ip| ip.to_string())
}

/// The client's address from a request's parts, as an address.
pub fn client_addr(parts: &Parts) -> Option<IpAddr> {
    match parts.extensions.get::<ClientAddr>() {
        Some(ClientAddr(ip)) => *ip,
        // Outside the router's middleware (unit use): the peer only.
        None => peer(parts),
    }
}

fn peer(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// The address a trusted proxy says it forwarded for: the right-most entry of
/// `X-Forwarded-For` that is not itself a trusted proxy (entries further left were
/// written by the client and prove nothing), else `X-Real-IP`.
fn forwarded_for(parts: &Parts, trusted: &[ipnet::IpNet]) -> Option<IpAddr> {
    let header = |name: &str| {
        parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|v| v.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>()
    };
    header("x-forwarded-for")
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(*ip, trusted))
        .or_else(|| header("x-real-ip").into_iter().next())
}

fn is_trusted(ip: IpAddr, trusted: &[ipnet::IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

/// Resolves the client's address once and keeps it in the request's extensions.
pub async fn resolve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let peer = peer(&parts);
    let ip = match peer {
        Some(p) if is_trusted(p, &state.trusted_proxies) => {
            forwarded_for(&parts, &state.trusted_proxies).or(Some(p))
        }
        other => other,
    };
    parts.extensions.insert(ClientAddr(ip));
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parts(peer: &str, xff: Option<&str>) -> Parts {
        let mut b = axum::http::Request::builder();
        if let Some(x) = xff {
            b = b.header("x-forwarded-for", x);
        }
        let (mut p, _) = b.body(()).unwrap().into_parts();
        p.extensions
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        p
    }

    #[test]
    fn forwarded_for_takes_the_rightmost_untrusted_entry() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let p = parts("10.0.0.2:1", Some("6.6.6.6, 203.0.113.7, 10.0.0.9"));
        assert_eq!(
            forwarded_for(&p, &trusted),
            Some("203.0.113.7".parse().unwrap())
        );
        assert!(is_trusted("10.1.2.3".parse().unwrap(), &trusted));
        assert!(!is_trusted("127.0.0.1".parse().unwrap(), &trusted));
        assert_eq!(client_addr(&p), Some("10.0.0.2".parse().unwrap()));
    }
}
