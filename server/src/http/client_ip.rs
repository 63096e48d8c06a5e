//! The client's address: the TCP peer, unless that peer is one of the trusted reverse proxies
//! (`TENANTRY_TRUSTED_PROXIES`), in which case `X-Forwarded-For` is believed — its right-most
//! address that is not itself a trusted proxy. Anyone can send the header, so from any other
//! peer it changes nothing. A layer puts the answer in the request's extensions as
//! [`ClientIp`], where [`crate::http::context::request_meta`] reads it (rate limits, audit, sessions).
use crate::http::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};

/// An address block such as `10.0.0.0/8`, `127.0.0.1/32` or `fd00::/8` (a bare address is a
/// block of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, prefix) = s.split_once('/').map_or((s, None), |(a, p)| (a, Some(p)));
        let addr: IpAddr = addr.parse().map_err(|_| format!("`{s}` is not an IP address or CIDR block"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("`{s}` has a bad prefix length (0 to {max})"))?,
        };
        Ok(Cidr { addr, prefix })
    }

    /// A comma-separated list; every entry must parse.
    pub fn parse_list(s: &str) -> Result<Vec<Cidr>, String> {
        s.split(',').filter(|p| !p.trim().is_empty()).map(Cidr::parse).collect()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 peer may arrive as an IPv4-mapped IPv6 address on a dual-stack socket.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let bits = |a: IpAddr| -> (u128, u32) {
            match a {
                IpAddr::V4(v) => (u32::from(v) as u128, 32),
                IpAddr::V6(v) => (u128::from(v), 128),
            }
        };
        let ((net, len), (host, host_len)) = (bits(self.addr), bits(ip));
        if len != host_len {
            return false;
        }
        let shift = len - u32::from(self.prefix);
        shift >= len || (net >> shift) == (host >> shift)
    }
}

/// The client's address for a request from `peer` carrying `forwarded_for` (the
/// `X-Forwarded-For` values, in order).
pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    // Each proxy appends the address it got the request from; walk back from the nearest one,
    // skipping our own proxies. The first other address is the client (anything left of it
    // could have been made up by the client).
    let mut hops = forwarded_for.iter().flat_map(|v| v.split(',')).map(str::trim).collect::<Vec<_>>();
    hops.reverse();
    for hop in hops {
        match hop.parse::<IpAddr>() {
            Ok(ip) if is_trusted(ip) => continue,
            Ok(ip) => return ip,
            // An unreadable hop: stop believing the chain at the last address we trust.
            Err(_) => break,
        }
    }
    peer
}

/// The address [`layer`] decided on.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// Middleware: resolves [`ClientIp`] once per request.
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let values: Vec<&str> = req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        let ip = client_ip(peer.ip(), &values, &state.config.trusted_proxies);
        req.extensions_mut().insert(ClientIp(ip));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains(ip("10.1.200.3")));
        assert!(!c.contains(ip("10.2.0.1")));
        assert!(!c.contains(ip("::1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(Cidr::parse("127.0.0.1").unwrap().contains(ip("::ffff:127.0.0.1")));
        assert!(Cidr::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("proxy.local").is_err());
        assert_eq!(Cidr::parse_list("127.0.0.1/32, 10.0.0.0/8").unwrap().len(), 2);
    }

    #[test]
    fn forwarded_for_only_from_trusted_peers() {
        let trusted = Cidr::parse_list("127.0.0.1/32,10.0.0.0/8").unwrap();
        // Not a trusted peer: the header is ignored.
        assert_eq!(client_ip(ip("203.0.113.9"), &["1.2.3.4"], &trusted), ip("203.0.113.9"));
        // Trusted peer: the right-most untrusted hop; a spoofed left part is ignored.
        assert_eq!(client_ip(ip("127.0.0.1"), &["6.6.6.6, 198.51.100.7, 10.0.0.5"], &trusted), ip("198.51.100.7"));
        assert_eq!(client_ip(ip("127.0.0.1"), &["6.6.6.6", "198.51.100.7"], &trusted), ip("198.51.100.7"));
        // No header, or only proxies: the peer.
        assert_eq!(client_ip(ip("127.0.0.1"), &[], &trusted), ip("127.0.0.1"));
        assert_eq!(client_ip(ip("127.0.0.1"), &["garbage"], &trusted), ip("127.0.0.1"));
        // Nothing configured: never believed.
        assert_eq!(client_ip(ip("127.0.0.1"), &["1.2.3.4"], &[]), ip("127.0.0.1"));
    }
}
