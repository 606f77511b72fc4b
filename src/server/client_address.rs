//! The address a request came from. Behind a reverse proxy every request
//! arrives from the proxy, so the sign-in throttle and the audit log would
//! see one address for everybody; from proxies the operator trusts
//! (`--trusted-proxy`), the address they forwarded counts instead.

use std::{net::IpAddr, str::FromStr, sync::Arc};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, request::Parts},
    middleware::Next,
    response::Response,
};
use ipnet::IpNet;

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        TrustedProxies(networks)
    }

    pub fn trusts(&self, addr: &IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(addr))
    }

    /// The client behind `peer`: `peer` itself unless it is a trusted
    /// proxy; then, walking the forwarded chain from the nearest hop, the
    /// first address that is not a trusted proxy. Anything to the left of
    /// it was written by the client and could be anything.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(&peer) {
            return peer;
        }
        let chain = forwarded_for(headers);
        chain.iter().rev().find(|addr| !self.trusts(addr)).or(chain.first()).copied().unwrap_or(peer)
    }
}

/// A CIDR (`10.0.0.0/8`) or a single address, as given on the command line.
pub fn parse_network(raw: &str) -> Result<IpNet, String> {
    let raw = raw.trim();
    IpNet::from_str(raw)
        .or_else(|_| IpAddr::from_str(raw).map(IpNet::from))
        .map_err(|_| format!("{raw:?} is neither an address nor a CIDR network"))
}

/// The forwarded chain, nearest hop last: RFC 7239's `Forwarded: for=`
/// when present, else `X-Forwarded-For`. An entry that is no address (a
/// hidden or `unknown` hop) ends the chain there, since nothing before it
/// can be placed.
fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    let values = |name| headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    let forwarded = values("forwarded");
    let entries: Vec<Option<IpAddr>> = if forwarded.is_empty() {
        values("x-forwarded-for").iter().flat_map(|v| v.split(',')).map(|hop| parse_node(hop.trim())).collect()
    } else {
        forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                let node = element.split(';').find_map(|pair| {
                    let (key, value) = pair.split_once('=')?;
                    key.trim().eq_ignore_ascii_case("for").then(|| value.trim())
                });
                node.and_then(parse_node)
            })
            .collect()
    };
    let known_from = entries.iter().rposition(Option::is_none).map_or(0, |i| i + 1);
    entries[known_from..].iter().flatten().copied().collect()
}

/// `192.0.2.1`, `"192.0.2.1:8080"`, `"[2001:db8::1]:443"` or `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim_matches('"');
    if let Ok(addr) = IpAddr::from_str(node) {
        return Some(addr);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return IpAddr::from_str(rest.split(']').next()?).ok();
    }
    IpAddr::from_str(node.rsplit_once(':')?.0).ok()
}

/// The client's address, worked out once per request by [`client_address`].
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub IpAddr);

/// Puts the request's [`ClientAddress`] among its extensions.
pub async fn client_address(State(proxies): State<Arc<TrustedProxies>>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
    if let Some(peer) = peer {
        let client = proxies.client(peer, request.headers());
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

/// The address a request came from: the client's, as worked out above.
pub fn of(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ClientAddress>().map(|ClientAddress(addr)| *addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::new(nets.iter().map(|n| parse_network(n).unwrap()).collect())
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_peer_that_is_not_trusted_is_the_client_whatever_it_forwards() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(proxies(&["10.0.0.0/8"]).client(ip("198.51.100.7"), &h), ip("198.51.100.7"));
        assert_eq!(TrustedProxies::default().client(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "127.0.0.1"]);
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 10.0.0.5")]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &h), ip("203.0.113.9"), "1.1.1.1 was written by the client");
        let h = headers(&[("x-forwarded-for", "203.0.113.9"), ("x-forwarded-for", "10.1.2.3")]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for_and_takes_ports_and_brackets() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let h = headers(&[
            ("forwarded", r#"for="[2001:db8::7]:4711";proto=https, for=10.0.0.2"#),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &h), ip("2001:db8::7"));
        let h = headers(&[("forwarded", r#"For="192.0.2.60:8080""#)]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &h), ip("192.0.2.60"));
    }

    #[test]
    fn a_chain_of_trusted_proxies_only_or_no_header_leaves_the_proxy_or_the_first_hop() {
        let trusted = proxies(&["10.0.0.0/8"]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &HeaderMap::new()), ip("10.0.0.1"));
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 10.0.0.5")]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &h), ip("10.9.9.9"));
    }

    #[test]
    fn an_unknown_hop_hides_everything_before_it() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "203.0.113.9, unknown, 10.0.0.5")]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &h), ip("10.0.0.5"));
    }

    #[test]
    fn networks_parse_as_cidrs_or_single_addresses() {
        assert!(parse_network("10.0.0.0/8").is_ok());
        assert!(parse_network("::1").is_ok());
        assert!(parse_network("proxy.example").is_err());
    }
}
