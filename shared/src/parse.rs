//! Newtypes that parse: once you hold an [`OrgSlug`], [`EmailDomain`] or [`Email`], it is valid.
//!
//! Domains are compared exactly after normalizing ASCII case and one trailing dot.
//! Subdomains do **not** count as inside a domain (`a@sub.corp.com` is not in `corp.com`),
//! non-ASCII domains must be given in punycode (`xn--…`) so look-alike letters can't pass,
//! and the local part of an email is a plain dot-atom: quoted or commented local parts are refused.
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value did not parse; the message is written for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FieldError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, FieldError> {
    Err(FieldError(msg.into()))
}

/// Checks one DNS label: 1–63 of `a-z 0-9 -`, not starting or ending with `-`.
fn check_label(label: &str) -> Result<(), FieldError> {
    if label.is_empty() {
        return err("has an empty label");
    }
    if label.len() > 63 {
        return err("has a label longer than 63 characters");
    }
    if !label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return err("may contain only letters a-z, digits and '-'");
    }
    if label.starts_with('-') || label.ends_with('-') {
        return err("must not start or end with '-'");
    }
    Ok(())
}

/// A tenant slug: one DNS label, lowercase, also the tenant's subdomain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgSlug(String);

/// Slugs that would collide with the app's own hostnames.
const RESERVED_SLUGS: &[&str] = &["www", "api", "app", "admin", "mail", "static", "pkg"];

impl OrgSlug {
    /// Parses a slug; surrounding whitespace is trimmed and letters are lowercased.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim().to_ascii_lowercase();
        if s.is_empty() {
            return err("is required");
        }
        check_label(&s)?;
        if RESERVED_SLUGS.contains(&s.as_str()) {
            return err(format!("'{s}' is reserved"));
        }
        Ok(Self(s))
    }

    /// Suggests a slug from free text, e.g. a customer name plus its MSP's slug:
    /// `suggest("Acme Corp", Some("contoso"))` → `acme-corp-contoso`.
    pub fn suggest(name: &str, suffix: Option<&str>) -> String {
        let mut out = String::new();
        for ch in name.chars().flat_map(|c| c.to_lowercase()) {
            if ch.is_ascii_alphanumeric() {
                out.push(ch);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        let mut out = out.trim_matches('-').to_string();
        if let Some(suffix) = suffix.filter(|s| !s.is_empty()) {
            if !out.is_empty() {
                out.push('-');
            }
            out.push_str(suffix);
        }
        out.truncate(63);
        out.trim_matches('-').to_string()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OrgSlug {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Self::parse(&s)
    }
}
impl From<OrgSlug> for String {
    fn from(s: OrgSlug) -> String {
        s.0
    }
}
impl fmt::Display for OrgSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A DNS domain in normal form: lowercase ASCII, no trailing dot, at least two labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailDomain(String);

impl EmailDomain {
    /// Parses a domain; ASCII case and one trailing dot are normalized away.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return err("is required");
        }
        if !trimmed.is_ascii() {
            return err("must be ASCII; write international domains in punycode (xn--…)");
        }
        let s = trimmed.to_ascii_lowercase();
        let s = s.strip_suffix('.').unwrap_or(&s);
        if s.len() > 253 {
            return err("is longer than 253 characters");
        }
        let labels: Vec<&str> = s.split('.').collect();
        if labels.len() < 2 {
            return err("must have at least two labels, like example.com");
        }
        for label in &labels {
            check_label(label).map_err(|e| FieldError(format!("is not a valid domain: {e}")))?;
        }
        let tld = labels[labels.len() - 1];
        if !(tld.bytes().all(|b| b.is_ascii_lowercase()) || tld.starts_with("xn--")) {
            return err("is not a valid domain: the last label must be letters");
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailDomain {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Self::parse(&s)
    }
}
impl From<EmailDomain> for String {
    fn from(s: EmailDomain) -> String {
        s.0
    }
}
impl fmt::Display for EmailDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address: a dot-atom local part and an [`EmailDomain`]. Stored lowercased, since
/// Tenantry treats addresses case-insensitively (one account per mailbox).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email {
    full: String,
    at: usize,
}

/// Characters RFC 5322 allows in an unquoted local part, besides letters and digits.
const ATEXT_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~";

impl Email {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim();
        if s.is_empty() {
            return err("is required");
        }
        if s.len() > 254 {
            return err("is longer than 254 characters");
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return err("must look like name@example.com");
        };
        if local.is_empty() || local.len() > 64 {
            return err("must have 1 to 64 characters before '@'");
        }
        let atext = |c: char| c.is_ascii_alphanumeric() || ATEXT_SPECIALS.contains(c);
        if !local.split('.').all(|part| !part.is_empty() && part.chars().all(atext)) {
            return err("has characters that are not allowed before '@' (no quotes, spaces or '@')");
        }
        let domain = EmailDomain::parse(domain).map_err(|e| FieldError(format!("domain {e}")))?;
        let local = local.to_ascii_lowercase();
        Ok(Self { at: local.len(), full: format!("{local}@{domain}") })
    }

    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The domain part, in normal form.
    pub fn domain(&self) -> &str {
        &self.full[self.at + 1..]
    }

    /// True only when the address's domain *is* `domain` (subdomains don't count).
    pub fn is_in_domain(&self, domain: &EmailDomain) -> bool {
        self.domain() == domain.as_str()
    }
}

impl TryFrom<String> for Email {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Self::parse(&s)
    }
}
impl From<Email> for String {
    fn from(e: Email) -> String {
        e.full
    }
}
impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(OrgSlug::parse(" Acme-Contoso ").unwrap().as_str(), "acme-contoso");
        for bad in ["", "-acme", "acme-", "ac me", "acme.contoso", "www", &"a".repeat(64), "ü"] {
            assert!(OrgSlug::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(OrgSlug::suggest("Acme Corp, Inc.", Some("contoso")), "acme-corp-inc-contoso");
        assert!(OrgSlug::parse(&OrgSlug::suggest(&"x".repeat(80), Some("contoso"))).is_ok());
    }

    #[test]
    fn domains_normalize_case_and_trailing_dot() {
        assert_eq!(EmailDomain::parse("Corp.COM.").unwrap().as_str(), "corp.com");
        for bad in ["corp", "corp..com", "-corp.com", "corp.com..", "córp.com", "corp.c0m", "corp .com"] {
            assert!(EmailDomain::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(EmailDomain::parse("xn--crp-gpa.com").is_ok());
    }

    #[test]
    fn emails_are_exactly_in_domain() {
        let corp = EmailDomain::parse("corp.com").unwrap();
        let inside = ["x@corp.com", "X.Y+tag@CORP.com", "x@corp.com."];
        for e in inside {
            assert!(Email::parse(e).unwrap().is_in_domain(&corp), "{e}");
        }
        let outside = ["x@evil-corp.com", "x@corp.com.evil.io", "x@sub.corp.com", "x@corp.co"];
        for e in outside {
            assert!(!Email::parse(e).unwrap().is_in_domain(&corp), "{e}");
        }
        for bad in ["\"x@corp.com\"@evil.io", "\"x\"@corp.com", "x y@corp.com", "x..y@corp.com", "@corp.com", "x@", "x@córp.com"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}

/// A password as it arrives in a request. `Debug` hides it, so a request type that derives
/// `Debug` can be logged without leaking the secret; it never serializes back out in full.
#[derive(Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn new(secret: impl Into<String>) -> Password {
        Password(secret.into())
    }
    /// The secret itself, for hashing or checking; the name says what it exposes.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(\"***\")")
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Password {
        Password(s.to_string())
    }
}

impl From<String> for Password {
    fn from(s: String) -> Password {
        Password(s)
    }
}

#[cfg(test)]
mod password_tests {
    use super::Password;

    #[test]
    fn debug_hides_the_secret() {
        let p = Password::from("hunter2-is-secret");
        assert!(!format!("{p:?}").contains("hunter2"));
        let json: Password = serde_json::from_str("\"abc def\"").unwrap();
        assert_eq!(json.expose(), "abc def");
    }
}
