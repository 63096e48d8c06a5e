//! Configuration from the environment (and CLI flags, which override it).
use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://…` (default `sqlite://data/tenantry.db`) or `postgres://…`.
    pub database_url: String,
    /// `DATABASE_READ_URL`: optional replica for stale-tolerant reads (see `Db::reader`).
    pub database_read_url: Option<String>,
    pub addr: SocketAddr,
    /// Tenants are served at `<slug>.<base_domain>`.
    pub base_domain: String,
    /// Set when served over TLS (directly or behind a proxy): cookies get `Secure` and the
    /// `__Host-` prefix. Plain http on localhost leaves it off so sign-in still works.
    pub tls: bool,
    /// Where cargo-leptos put the compiled site (`pkg/` with WASM, JS and CSS).
    pub site_root: String,
    /// `smtp://…` or `smtps://…`; without it mail goes to the outbox table.
    pub smtp_url: Option<String>,
    /// The `From` of outgoing mail (`MAIL_FROM`); default `Tenantry <no-reply@<base_domain>>`.
    pub mail_from: Option<String>,
    /// `TENANTRY_TRUSTED_PROXIES`: comma-separated CIDR blocks of the reverse proxies in front
    /// of the server. Only requests whose TCP peer is inside one have `X-Forwarded-For`
    /// believed (see [`crate::http::client_ip`]). Empty: the header is ignored.
    pub trusted_proxies: Vec<crate::http::client_ip::Cidr>,
    /// `TENANTRY_SECRET_KEY`: 64 hex digits (`openssl rand -hex 32`), the AES-256-GCM key that
    /// seals secrets stored for others (SSO client secrets). Without it, SSO can't be set up.
    pub secret_key: Option<[u8; 32]>,
    /// `TENANTRY_SSO_ALLOW_HTTP=1`: accept `http://` issuers on loopback addresses (tests and
    /// local providers). Otherwise an identity provider must be `https://`.
    pub sso_allow_http: bool,
}

impl Config {
    pub fn from_env() -> Config {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Config {
            database_url: env("DATABASE_URL").unwrap_or_else(|| "sqlite://data/tenantry.db".into()),
            database_read_url: env("DATABASE_READ_URL"),
            addr: env("TENANTRY_ADDR")
                .or_else(|| env("LEPTOS_SITE_ADDR"))
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 3000))),
            base_domain: env("TENANTRY_BASE_DOMAIN").unwrap_or_else(|| "localhost".into()).to_ascii_lowercase(),
            tls: env("TENANTRY_TLS").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
            site_root: env("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            smtp_url: env("SMTP_URL"),
            mail_from: env("MAIL_FROM"),
            trusted_proxies: env("TENANTRY_TRUSTED_PROXIES").map_or_else(Vec::new, |v| {
                // A list that doesn't parse trusts nobody (the safe side) and says so loudly.
                crate::http::client_ip::Cidr::parse_list(&v).unwrap_or_else(|e| {
                    eprintln!("TENANTRY_TRUSTED_PROXIES ignored: {e}");
                    Vec::new()
                })
            }),
            secret_key: env("TENANTRY_SECRET_KEY").and_then(|v| {
                let key = parse_secret_key(&v);
                if key.is_none() {
                    eprintln!("TENANTRY_SECRET_KEY ignored: it must be 64 hex digits (openssl rand -hex 32)");
                }
                key
            }),
            sso_allow_http: env("TENANTRY_SSO_ALLOW_HTTP").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
        }
    }

    /// The session cookie's name: `__Host-` prefixed when it can be `Secure`.
    pub fn session_cookie(&self) -> &'static str {
        if self.tls { "__Host-tenantry_session" } else { "tenantry_session" }
    }

    /// The public URL of a tenant, e.g. `http://acme-contoso.localhost:3000/`.
    pub fn tenant_url(&self, slug: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{slug}.{}{}/", self.base_domain, self.public_port())
    }

    /// The origin of the main host, e.g. `http://localhost:3000` (passkeys' relying party).
    pub fn base_origin(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{}", self.base_domain, self.public_port())
    }

    /// `:port` as it appears in public URLs; empty for the scheme's default port.
    fn public_port(&self) -> String {
        match (self.tls, self.addr.port()) {
            (true, 443) | (false, 80) => String::new(),
            (_, p) => format!(":{p}"),
        }
    }

    /// The tenant slug named by a `Host` header, if it is `<slug>.<base_domain>[:port]`.
    /// Host names are case-insensitive, so the slug comes back lowercased.
    pub fn slug_from_host(&self, host: &str) -> Option<String> {
        let host = host.to_ascii_lowercase();
        let name = host.rsplit_once(':').map_or(host.as_str(), |(h, port)| if port.bytes().all(|b| b.is_ascii_digit()) { h } else { &host });
        let prefix = name.strip_suffix(self.base_domain.as_str())?.strip_suffix('.')?;
        (!prefix.is_empty() && !prefix.contains('.')).then(|| prefix.to_string())
    }
}

/// 64 hex digits → 32 bytes.
pub fn parse_secret_key(hex_key: &str) -> Option<[u8; 32]> {
    hex::decode(hex_key.trim()).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_hosts() {
        let mut c = Config::from_env();
        c.base_domain = "localhost".into();
        assert_eq!(c.slug_from_host("acme-contoso.localhost:3000").as_deref(), Some("acme-contoso"));
        assert_eq!(c.slug_from_host("ACME.localhost").as_deref(), Some("acme"));
        assert_eq!(c.slug_from_host("localhost:3000"), None);
        assert_eq!(c.slug_from_host("a.b.localhost"), None);
        assert_eq!(c.slug_from_host("evil-localhost"), None);
    }
}
