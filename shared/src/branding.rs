//! An org's brand: the `branding` setting (display name, accent colour, support contact,
//! "Powered by Tenantry"), the effective [`Brand`] the pages and mails use, and the colour
//! rules (WCAG 2.1 contrast), pure so the settings page's live preview runs them too.
//!
//! A brand is one unit: the nearest org on the path to the root that has its own `branding`
//! value or its own logo provides the whole brand (an MSP's brand covers its customers until
//! a customer sets any part of its own). "Powered by Tenantry" is the MSP's decision alone: it
//! is read from the MSP at the root, whatever a customer stored.
use crate::parse::Email;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The product's own name, used when no org on the path brands it.
pub const PRODUCT_NAME: &str = "Tenantry";
/// The accent of the unbranded app (`--accent` in `style/main.css`).
pub const DEFAULT_ACCENT: &str = "#2f5bea";
/// The page background the accent is drawn on (links, the sign-in title, primary buttons
/// with white text): white.
const PAGE: (u8, u8, u8) = (255, 255, 255);
/// WCAG 2.1 success criterion 1.4.3 (contrast, minimum) for normal text.
pub const MIN_CONTRAST: f64 = 4.5;
/// A logo may be at most this many bytes.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

/// `branding`: what an org puts on its front door. Every field optional: an org that stores
/// `{}` brands itself with its own name and the default colour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Branding {
    /// Shown in the header, on the sign-in page and in mails; 1–80 characters. Absent: the
    /// org's name.
    pub display_name: Option<String>,
    /// `#rrggbb` (`#rgb` is widened); needs a contrast of at least 4.5:1 against white.
    pub accent_color: Option<String>,
    pub support_email: Option<String>,
    /// Digits, spaces and `+ - ( ) .`; 5–32 characters.
    pub support_phone: Option<String>,
    /// "Powered by Tenantry" under the sign-in form and in mails. Only an MSP may turn it off;
    /// its choice covers its customers.
    pub powered_by: bool,
}

impl Default for Branding {
    fn default() -> Self {
        Branding { display_name: None, accent_color: None, support_email: None, support_phone: None, powered_by: true }
    }
}

impl Branding {
    /// Checks and normalizes (trimmed text, empty → absent, colour as lowercase `#rrggbb`).
    /// Errors name the field.
    pub fn normalized(mut self) -> Result<Branding, BTreeMap<String, String>> {
        let mut problems = BTreeMap::new();
        let blank_to_none = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        self.display_name = blank_to_none(self.display_name);
        self.accent_color = blank_to_none(self.accent_color);
        self.support_email = blank_to_none(self.support_email);
        self.support_phone = blank_to_none(self.support_phone);
        if let Some(name) = &self.display_name {
            if name.chars().count() > 80 {
                problems.insert("display_name".into(), "must be at most 80 characters".into());
            } else if name.chars().any(char::is_control) {
                problems.insert("display_name".into(), "must not contain control characters".into());
            }
        }
        if let Some(colour) = &self.accent_color {
            match check_accent(colour) {
                Ok(c) => self.accent_color = Some(c),
                Err(e) => {
                    problems.insert("accent_color".into(), e);
                }
            }
        }
        if let Some(email) = &self.support_email {
            match Email::parse(email) {
                Ok(e) => self.support_email = Some(e.as_str().to_string()),
                Err(e) => {
                    problems.insert("support_email".into(), e.0);
                }
            }
        }
        if let Some(phone) = &self.support_phone {
            let allowed = phone.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            if !allowed || !(5..=32).contains(&phone.chars().count()) || digits < 5 {
                problems.insert("support_phone".into(), "must be a phone number: at least 5 digits, with only spaces and + - ( ) .".into());
            }
        }
        if problems.is_empty() { Ok(self) } else { Err(problems) }
    }
}

/// The brand in effect for an org: what its header, sign-in page and mails show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Brand {
    /// The org whose brand this is (the org itself or an ancestor); `null`: Tenantry's own.
    pub source_org_id: Option<Uuid>,
    pub source_org_name: Option<String>,
    pub display_name: String,
    /// `#rrggbb`; readable under white text and on the white page.
    pub accent_color: String,
    /// Where to load the logo (content-addressed, so it can be cached for good); `null`: none.
    pub logo_url: Option<String>,
    pub support_email: Option<String>,
    pub support_phone: Option<String>,
    /// Whether "Powered by Tenantry" is shown (the MSP's choice).
    pub powered_by: bool,
}

impl Default for Brand {
    fn default() -> Self {
        Brand {
            source_org_id: None,
            source_org_name: None,
            display_name: PRODUCT_NAME.to_string(),
            accent_color: DEFAULT_ACCENT.to_string(),
            logo_url: None,
            support_email: None,
            support_phone: None,
            powered_by: true,
        }
    }
}

impl Brand {
    /// The brand of `source` (an org with its own branding and/or logo), with the MSP's
    /// "Powered by" choice.
    pub fn of(source_org_id: Uuid, source_org_name: &str, branding: &Branding, logo_url: Option<String>, powered_by: bool) -> Brand {
        Brand {
            source_org_id: Some(source_org_id),
            source_org_name: Some(source_org_name.to_string()),
            display_name: branding.display_name.clone().unwrap_or_else(|| source_org_name.to_string()),
            accent_color: branding.accent_color.clone().unwrap_or_else(|| DEFAULT_ACCENT.to_string()),
            logo_url,
            support_email: branding.support_email.clone(),
            support_phone: branding.support_phone.clone(),
            powered_by,
        }
    }

    /// The CSS custom properties that recolour the app (`style="--accent: …"`).
    pub fn css_vars(&self) -> String {
        let (r, g, b) = parse_hex(&self.accent_color).unwrap_or((0x2f, 0x5b, 0xea));
        format!("--accent: {}; --accent-soft: {};", self.accent_color, to_hex(tint(r, g, b, 0.9)))
    }

    /// "Questions? Contact … at … or …" for mails and the sign-in page; `None` without contact.
    pub fn support_line(&self) -> Option<String> {
        let contact: Vec<&str> = [self.support_email.as_deref(), self.support_phone.as_deref()].into_iter().flatten().collect();
        (!contact.is_empty()).then(|| format!("Help: {} support, {}", self.display_name, contact.join(" or ")))
    }

    /// The closing lines of a mail sent in this brand's name, after the usual `-- ` signature
    /// separator (ASCII, so a mail in plain ASCII stays 7-bit).
    pub fn mail_footer(&self) -> String {
        let mut lines = vec!["-- ".to_string(), self.display_name.clone()];
        lines.extend(self.support_line());
        if self.powered_by {
            lines.push(format!("Powered by {PRODUCT_NAME}"));
        }
        lines.join("\n") + "\n"
    }
}

/// `#rgb` or `#rrggbb` (any case) → the three channels.
pub fn parse_hex(s: &str) -> Option<(u8, u8, u8)> {
    let hex = s.strip_prefix('#')?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |h: &str| u8::from_str_radix(h, 16).ok();
    match hex.len() {
        3 => {
            let d: Vec<u8> = hex.bytes().map(|b| channel(&(b as char).to_string()).unwrap_or(0) * 17).collect();
            Some((d[0], d[1], d[2]))
        }
        6 => Some((channel(&hex[0..2])?, channel(&hex[2..4])?, channel(&hex[4..6])?)),
        _ => None,
    }
}

pub fn to_hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// WCAG 2.1 relative luminance of an sRGB colour.
pub fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// WCAG 2.1 contrast ratio of two colours, 1 to 21.
pub fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// Mixes a colour towards white by `amount` (0 to 1).
fn tint(r: u8, g: u8, b: u8, amount: f64) -> (u8, u8, u8) {
    let mix = |c: u8| (f64::from(c) + (255.0 - f64::from(c)) * amount).round() as u8;
    (mix(r), mix(g), mix(b))
}

/// The lightest shade of `colour` (same hue, darkened) readable on the white page.
pub fn readable_shade(colour: (u8, u8, u8)) -> (u8, u8, u8) {
    let (r, g, b) = colour;
    (0..=100)
        .rev()
        .map(|pct| {
            let f = f64::from(pct) / 100.0;
            let scale = |c: u8| (f64::from(c) * f).round() as u8;
            (scale(r), scale(g), scale(b))
        })
        .find(|c| contrast(*c, PAGE) >= MIN_CONTRAST)
        .unwrap_or((0, 0, 0))
}

/// Checks an accent colour: a hex colour the app can draw text in on its white page and put
/// white text on (the same ratio both ways). Refuses — never silently changes — one that
/// isn't, naming the contrast and the nearest readable shade. Ok: lowercase `#rrggbb`.
pub fn check_accent(input: &str) -> Result<String, String> {
    let rgb = parse_hex(input.trim()).ok_or_else(|| "must be a hex colour like #1a7f5a".to_string())?;
    let ratio = contrast(rgb, PAGE);
    if ratio < MIN_CONTRAST {
        return Err(format!(
            "has a contrast of {ratio:.2}:1 with white (the page, and the text on buttons); text needs at least {MIN_CONTRAST}:1 (WCAG 2.1, 1.4.3) — {} is the nearest readable shade",
            to_hex(readable_shade(rgb))
        ));
    }
    Ok(to_hex(rgb))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_matches_wcag_reference_values() {
        assert!((contrast((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 1e-9);
        assert!((contrast((255, 255, 255), (255, 255, 255)) - 1.0).abs() < 1e-9);
        // #767676 on white is the classic "just passes" grey (4.54:1).
        let grey = contrast((0x76, 0x76, 0x76), PAGE);
        assert!((4.5..4.6).contains(&grey), "{grey}");
        assert!(contrast((0x77, 0x77, 0x77), PAGE) < 4.5);
    }

    #[test]
    fn accents_are_checked_and_normalized() {
        assert_eq!(check_accent("#1A7F5A"), Ok("#1a7f5a".into()));
        assert_eq!(check_accent("#000"), Ok("#000000".into()));
        assert_eq!(check_accent(DEFAULT_ACCENT), Ok(DEFAULT_ACCENT.into()));
        for bad in ["1a7f5a", "#12345", "#ggg000", "red", "", "#1a7f5a00"] {
            assert!(check_accent(bad).unwrap_err().contains("hex colour"), "{bad}");
        }
        // Yellow is unreadable on white: refused, with a darker shade that passes.
        let e = check_accent("#ffd700").unwrap_err();
        assert!(e.contains("1.") && e.contains(":1"), "{e}");
        let suggested = e.split(" — ").nth(1).unwrap().split(' ').next().unwrap();
        assert!(check_accent(suggested).is_ok(), "{suggested} from {e}");
        assert!(contrast(parse_hex(suggested).unwrap(), PAGE) < 4.7, "the lightest passing shade, not black: {suggested}");
    }

    #[test]
    fn branding_fields_are_named_when_bad() {
        let b = Branding { display_name: Some("  Acme  ".into()), accent_color: Some("#05A".into()), support_email: Some(" Help@acme.example ".into()), support_phone: Some("+1 (555) 010-0199".into()), powered_by: true };
        let n = b.normalized().unwrap();
        assert_eq!(n.display_name.as_deref(), Some("Acme"));
        assert_eq!(n.support_email.as_deref(), Some("help@acme.example"));
        assert_eq!(n.accent_color.as_deref(), Some("#0055aa"));
        let bad = Branding { display_name: Some("x".repeat(81)), accent_color: Some("#fff".into()), support_email: Some("nope".into()), support_phone: Some("call us".into()), powered_by: true }
            .normalized()
            .unwrap_err();
        assert_eq!(bad.keys().map(String::as_str).collect::<Vec<_>>(), ["accent_color", "display_name", "support_email", "support_phone"]);
        assert_eq!(Branding { display_name: Some("   ".into()), ..Branding::default() }.normalized().unwrap().display_name, None);
    }

    #[test]
    fn a_brand_falls_back_to_its_org_name_and_says_powered_by_only_when_on() {
        let id = Uuid::from_u128(7);
        let b = Brand::of(id, "Contoso MSP", &Branding { support_phone: Some("+1 555 0100".into()), ..Branding::default() }, None, false);
        assert_eq!((b.display_name.as_str(), b.accent_color.as_str()), ("Contoso MSP", DEFAULT_ACCENT));
        assert_eq!(b.mail_footer(), "-- \nContoso MSP\nHelp: Contoso MSP support, +1 555 0100\n");
        assert!(Brand::default().mail_footer().contains("Powered by Tenantry"));
        assert!(b.css_vars().starts_with("--accent: #2f5bea;"));
    }
}
