//! Org settings that child tenants inherit unless they override them.
//!
//! Five keys ([`SettingKey`]), each with a typed value and a built-in system default. An
//! override is stored per (org, key) as the value's JSON; the effective value is resolved at
//! read time by [`resolve`] — nearest override on the path to the root wins, else the
//! default — so a change at a parent reaches every child that doesn't override, at once.
//!
//! Times of day are `"HH:MM"` (24 h); a `timezone` is `"UTC"` or a fixed offset such as
//! `"+01:00"` (named zones need a tz database, which this WASM-compatible crate doesn't carry).
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The settings an org can set or inherit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SettingKey {
    MaintenanceWindow,
    DeploymentDefaults,
    AgentSettings,
    NotificationPreferences,
    DefaultDashboard,
    SignInPolicy,
    DelegationPolicy,
    Approvals,
}

impl SettingKey {
    /// Every key, in the order `GET /api/v1/settings` lists them.
    pub const ALL: [SettingKey; 8] = [
        SettingKey::MaintenanceWindow,
        SettingKey::DeploymentDefaults,
        SettingKey::AgentSettings,
        SettingKey::NotificationPreferences,
        SettingKey::DefaultDashboard,
        SettingKey::SignInPolicy,
        SettingKey::DelegationPolicy,
        SettingKey::Approvals,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            SettingKey::MaintenanceWindow => "maintenance_window",
            SettingKey::DeploymentDefaults => "deployment_defaults",
            SettingKey::AgentSettings => "agent_settings",
            SettingKey::NotificationPreferences => "notification_preferences",
            SettingKey::DefaultDashboard => "default_dashboard",
            SettingKey::SignInPolicy => "sign_in_policy",
            SettingKey::DelegationPolicy => "delegation_policy",
            SettingKey::Approvals => "approvals",
        }
    }

    pub fn parse(s: &str) -> Option<SettingKey> {
        SettingKey::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The built-in value used when no org on the path overrides the key.
    pub fn default_value(self) -> Value {
        let v = match self {
            SettingKey::MaintenanceWindow => serde_json::to_value(MaintenanceWindow::default()),
            SettingKey::DeploymentDefaults => serde_json::to_value(DeploymentDefaults::default()),
            SettingKey::AgentSettings => serde_json::to_value(AgentSettings::default()),
            SettingKey::NotificationPreferences => serde_json::to_value(NotificationPreferences::default()),
            SettingKey::DefaultDashboard => serde_json::to_value(DefaultDashboard::default()),
            SettingKey::SignInPolicy => serde_json::to_value(SignInPolicy::default()),
            SettingKey::DelegationPolicy => serde_json::to_value(DelegationPolicy::default()),
            SettingKey::Approvals => serde_json::to_value(Approvals::default()),
        };
        v.unwrap_or(Value::Null)
    }

    /// Parses and checks a value for this key. Missing fields take the default's; unknown
    /// fields are refused. On success the complete, normalized value (what gets stored);
    /// otherwise every bad field, named by its path inside the value (`start`, `dnd.end`).
    pub fn validate(self, value: &Value) -> Result<Value, BTreeMap<String, String>> {
        fn typed<T: for<'de> Deserialize<'de> + Serialize>(value: &Value, check: impl Fn(&T, &mut Problems)) -> Result<Value, BTreeMap<String, String>> {
            let parsed: T = serde_json::from_value(value.clone()).map_err(|e| {
                let field = serde_field(&e.to_string());
                BTreeMap::from([(field, e.to_string())])
            })?;
            let mut problems = Problems::default();
            check(&parsed, &mut problems);
            if !problems.0.is_empty() {
                return Err(problems.0);
            }
            serde_json::to_value(&parsed).map_err(|e| BTreeMap::from([("value".to_string(), e.to_string())]))
        }
        if !value.is_object() {
            return Err(BTreeMap::from([("value".to_string(), "must be an object".to_string())]));
        }
        match self {
            SettingKey::MaintenanceWindow => typed::<MaintenanceWindow>(value, |v, p| v.window().check("", p)),
            SettingKey::DeploymentDefaults => typed::<DeploymentDefaults>(value, |v, p| {
                if !(1..=1000).contains(&v.max_concurrent) {
                    p.add("max_concurrent", "must be 1 to 1000");
                }
            }),
            SettingKey::AgentSettings => typed::<AgentSettings>(value, |v, p| {
                if !(30..=86_400).contains(&v.check_in_interval_seconds) {
                    p.add("check_in_interval_seconds", "must be 30 to 86400 seconds");
                }
            }),
            SettingKey::NotificationPreferences => typed::<NotificationPreferences>(value, |v, p| v.dnd.window().check("dnd.", p)),
            SettingKey::DefaultDashboard => typed::<DefaultDashboard>(value, |v, p| {
                if v.widgets.is_empty() {
                    p.add("widgets", "must name at least one widget");
                }
                let mut seen = Vec::new();
                for w in &v.widgets {
                    if seen.contains(w) {
                        p.add("widgets", format!("lists {} twice", w.as_str()));
                    }
                    seen.push(*w);
                }
            }),
            SettingKey::SignInPolicy => typed::<SignInPolicy>(value, |v, p| {
                if v.allowed_methods.is_empty() {
                    p.add("allowed_methods", "must name at least one method");
                }
            }),
            SettingKey::DelegationPolicy => typed::<DelegationPolicy>(value, |v, p| {
                if v.max_days > 3650 {
                    p.add("max_days", "must be 0 (no limit) to 3650 days");
                }
                if v.remind_days_before > 365 {
                    p.add("remind_days_before", "must be 0 (no reminder) to 365 days");
                }
            }),
            SettingKey::Approvals => typed::<Approvals>(value, |v, p| {
                for a in &v.actions {
                    if !APPROVAL_ACTIONS.contains(&a.as_str()) {
                        p.add("actions", format!("names {a:?}; known actions are {}", APPROVAL_ACTIONS.join(", ")));
                    }
                }
                if v.actions.iter().enumerate().any(|(i, a)| v.actions[..i].contains(a)) {
                    p.add("actions", "lists an action twice");
                }
                if !(1..=720).contains(&v.expires_after_hours) {
                    p.add("expires_after_hours", "must be 1 to 720 hours");
                }
            }),
        }
    }
}

impl std::fmt::Display for SettingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Default)]
struct Problems(BTreeMap<String, String>);

impl Problems {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_string()).or_insert_with(|| message.into());
    }
}

/// serde_json names the offending field in messages like "unknown field `x`" or
/// "missing field `x`"; anything else is blamed on the whole value.
fn serde_field(message: &str) -> String {
    message
        .split('`')
        .nth(1)
        .filter(|f| message.contains("field") && !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map_or_else(|| "value".to_string(), str::to_string)
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];
}

/// `"HH:MM"` → minutes after midnight.
pub fn parse_hhmm(s: &str) -> Option<i64> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// `"UTC"`, `"Z"` or `"±HH:MM"` → minutes east of UTC.
pub fn parse_offset(s: &str) -> Option<i64> {
    if s.eq_ignore_ascii_case("utc") || s == "Z" {
        return Some(0);
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let minutes = parse_hhmm(&s[1..])?;
    (minutes <= 14 * 60).then_some(sign * minutes)
}

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// A weekly time window: on each of `days`, from `start` to `end` local time. An `end`
/// before `start` runs past midnight into the next day (22:00–06:00 on Friday ends Saturday
/// morning). `start` and `end` must differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyWindow<'a> {
    pub days: &'a [Weekday],
    pub start: &'a str,
    pub end: &'a str,
    pub timezone: &'a str,
}

impl WeeklyWindow<'_> {
    fn check(&self, prefix: &str, p: &mut Problems) {
        let start = parse_hhmm(self.start);
        let end = parse_hhmm(self.end);
        if start.is_none() {
            p.add(&format!("{prefix}start"), "must be a time HH:MM (00:00 to 23:59)");
        }
        if end.is_none() {
            p.add(&format!("{prefix}end"), "must be a time HH:MM (00:00 to 23:59)");
        }
        if start.is_some() && start == end {
            p.add(&format!("{prefix}end"), "must differ from start");
        }
        if parse_offset(self.timezone).is_none() {
            p.add(&format!("{prefix}timezone"), "must be UTC or an offset like +01:00");
        }
    }

    /// When `now_ms` (Unix ms) falls inside the window, the Unix ms at which that window
    /// ends; otherwise `None`. An invalid window covers nothing.
    pub fn covers(&self, now_ms: i64) -> Option<i64> {
        let (start, end, offset) = (parse_hhmm(self.start)?, parse_hhmm(self.end)?, parse_offset(self.timezone)?);
        if start == end {
            return None;
        }
        let local = now_ms + offset * MINUTE_MS;
        let day = local.div_euclid(DAY_MS);
        let minute = local.rem_euclid(DAY_MS) / MINUTE_MS;
        // 1970-01-01 was a Thursday (index 3 counting from Monday).
        let weekday = |d: i64| Weekday::ALL[(d + 3).rem_euclid(7) as usize];
        let on = |d: i64| self.days.contains(&weekday(d));
        let end_of = |d: i64| d * DAY_MS + end * MINUTE_MS - offset * MINUTE_MS;
        if start < end {
            (on(day) && (start..end).contains(&minute)).then(|| end_of(day))
        } else if on(day) && minute >= start {
            Some(end_of(day + 1))
        } else if on(day - 1) && minute < end {
            Some(end_of(day))
        } else {
            None
        }
    }
}

/// `maintenance_window`: when agents may patch and reboot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct MaintenanceWindow {
    pub days: Vec<Weekday>,
    /// `"HH:MM"`.
    pub start: String,
    /// `"HH:MM"`; before `start` means the window runs past midnight.
    pub end: String,
    /// `"UTC"` or `"±HH:MM"`.
    pub timezone: String,
}

impl Default for MaintenanceWindow {
    fn default() -> Self {
        MaintenanceWindow { days: vec![Weekday::Sat, Weekday::Sun], start: "02:00".into(), end: "05:00".into(), timezone: "UTC".into() }
    }
}

impl MaintenanceWindow {
    pub fn window(&self) -> WeeklyWindow<'_> {
        WeeklyWindow { days: &self.days, start: &self.start, end: &self.end, timezone: &self.timezone }
    }
}

/// What a deployment does about reboots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RebootPolicy {
    Never,
    IfNeeded,
    Always,
    AskUser,
}

/// `deployment_defaults`: how new deployments behave unless they say otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct DeploymentDefaults {
    pub reboot_policy: RebootPolicy,
    pub auto_approve: bool,
    /// Only inside the maintenance window.
    pub maintenance_window_only: bool,
    /// Computers deployed to at once, 1–1000.
    pub max_concurrent: u32,
}

impl Default for DeploymentDefaults {
    fn default() -> Self {
        DeploymentDefaults { reboot_policy: RebootPolicy::IfNeeded, auto_approve: false, maintenance_window_only: true, max_concurrent: 25 }
    }
}

/// Agent log verbosity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

/// `agent_settings`: how the RMM agents on the org's computers behave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct AgentSettings {
    /// 30–86400.
    pub check_in_interval_seconds: u32,
    pub auto_update: bool,
    pub log_level: LogLevel,
}

impl Default for AgentSettings {
    fn default() -> Self {
        AgentSettings { check_in_interval_seconds: 300, auto_update: true, log_level: LogLevel::Info }
    }
}

/// Do Not Disturb: a weekly window during which org-targeted notifications are held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct DoNotDisturb {
    pub enabled: bool,
    pub days: Vec<Weekday>,
    pub start: String,
    pub end: String,
    pub timezone: String,
}

impl Default for DoNotDisturb {
    fn default() -> Self {
        DoNotDisturb { enabled: false, days: Weekday::ALL.to_vec(), start: "22:00".into(), end: "07:00".into(), timezone: "UTC".into() }
    }
}

impl DoNotDisturb {
    pub fn window(&self) -> WeeklyWindow<'_> {
        WeeklyWindow { days: &self.days, start: &self.start, end: &self.end, timezone: &self.timezone }
    }

    /// When DND is on and `now_ms` is inside its window: when the window ends.
    pub fn holds_until(&self, now_ms: i64) -> Option<i64> {
        if self.enabled { self.window().covers(now_ms) } else { None }
    }
}

/// `notification_preferences`: mail on or off, and Do Not Disturb.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct NotificationPreferences {
    /// Also send each delivered notification by mail.
    pub email: bool,
    pub dnd: DoNotDisturb,
}

/// A tile of the org overview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Widget {
    Assets,
    Online,
    Offline,
    OpenAlerts,
    Users,
    LastActivity,
    Schedules,
    Deployments,
    Notifications,
}

impl Widget {
    pub const fn as_str(self) -> &'static str {
        match self {
            Widget::Assets => "assets",
            Widget::Online => "online",
            Widget::Offline => "offline",
            Widget::OpenAlerts => "open_alerts",
            Widget::Users => "users",
            Widget::LastActivity => "last_activity",
            Widget::Schedules => "schedules",
            Widget::Deployments => "deployments",
            Widget::Notifications => "notifications",
        }
    }
}

/// `default_dashboard`: the overview widgets shown on entering the org, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct DefaultDashboard {
    pub widgets: Vec<Widget>,
}

impl Default for DefaultDashboard {
    fn default() -> Self {
        DefaultDashboard { widgets: vec![Widget::Assets, Widget::Online, Widget::Offline, Widget::OpenAlerts, Widget::Users] }
    }
}

/// A second sign-in factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MfaMethod {
    Totp,
    RecoveryCode,
    Passkey,
}

impl MfaMethod {
    pub const ALL: [MfaMethod; 3] = [MfaMethod::Totp, MfaMethod::RecoveryCode, MfaMethod::Passkey];

    pub const fn as_str(self) -> &'static str {
        match self {
            MfaMethod::Totp => "totp",
            MfaMethod::RecoveryCode => "recovery_code",
            MfaMethod::Passkey => "passkey",
        }
    }
}

/// `sign_in_policy`: whether users need a second factor.
///
/// It binds the users whose *home* org is the org that sets it or a descendant that doesn't
/// override it. Across the MSP → customer edge it reaches only when `apply_to_customers` is
/// set; and an MSP's `require_mfa` with `apply_to_customers` can't be switched off below it (a
/// customer may add a requirement for itself, never drop the MSP's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct SignInPolicy {
    /// A password alone is not enough: users without a factor must enrol one after signing in.
    pub require_mfa: bool,
    /// Set on an MSP: the requirement also binds every customer's users (and their children's).
    pub apply_to_customers: bool,
    /// The second factors that count; at least one. (Stored and checked for shape; with TOTP
    /// and recovery codes the only factors so far, it does not yet narrow anything.)
    pub allowed_methods: Vec<MfaMethod>,
}

impl Default for SignInPolicy {
    fn default() -> Self {
        SignInPolicy { require_mfa: false, apply_to_customers: false, allowed_methods: MfaMethod::ALL.to_vec() }
    }
}

/// `delegation_policy`, read at the MSP: how long a delegated admin of a customer may last,
/// and when the people concerned hear that it is about to end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct DelegationPolicy {
    /// The longest a delegation may last, in days from its grant; 0: no limit.
    pub max_days: u32,
    /// Whether a delegation may be granted without an end.
    pub allow_open_ended: bool,
    /// How many days before a delegation ends the technician and the admin who granted it
    /// are notified; 0: nobody is.
    pub remind_days_before: u32,
}

impl Default for DelegationPolicy {
    fn default() -> Self {
        DelegationPolicy { max_days: 0, allow_open_ended: true, remind_days_before: 3 }
    }
}

/// The actions that [`Approvals`] can hold for a second admin.
pub const APPROVAL_ACTIONS: [&str; 4] = ["org.delete", "org.merge", "bulk.suspend", "scope.all_except"];

/// `approvals`, read at the MSP: which actions need a second admin of the MSP ("four eyes"),
/// and how long a request waits for one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Approvals {
    /// Any of [`APPROVAL_ACTIONS`].
    pub actions: Vec<String>,
    /// A request not decided within this many hours expires.
    pub expires_after_hours: u32,
}

impl Default for Approvals {
    fn default() -> Self {
        Approvals { actions: Vec::new(), expires_after_hours: 24 }
    }
}

impl Approvals {
    pub fn requires(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a == action)
    }
}

/// Where an effective value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// The org's own override.
    Own,
    /// An ancestor's override ("inherited from Contoso MSP").
    Inherited,
    /// Nobody on the path overrides it: the built-in default.
    Default,
}

/// The org whose override applies; both ids are `null` for a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SettingSource {
    pub kind: SourceKind,
    pub org_id: Option<Uuid>,
    pub org_name: Option<String>,
}

/// One key's effective value in an org (`GET /api/v1/settings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EffectiveSetting {
    pub key: SettingKey,
    /// The value, shaped per key (see [`MaintenanceWindow`], [`DeploymentDefaults`],
    /// [`AgentSettings`], [`NotificationPreferences`], [`DefaultDashboard`]).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: Value,
    pub source: SettingSource,
    /// `source.org_id` again, at the top level (the API contract names it so).
    pub source_org_id: Option<Uuid>,
    /// Whether the org itself overrides this key (so "revert to inherited" applies).
    pub overridden: bool,
}

/// All effective settings of the current org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Settings {
    pub org_id: Uuid,
    pub items: Vec<EffectiveSetting>,
}

/// `PUT /api/v1/settings/{key}`: the org's own value for the key. Missing fields take the
/// system default's; the stored value is always complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetSetting {
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: Value,
}

/// One org on the path from an org to its root, with its override of one key if any.
#[derive(Debug, Clone, PartialEq)]
pub struct PathOverride<'a> {
    pub org_id: Uuid,
    pub org_name: &'a str,
    pub value: Option<&'a Value>,
}

/// The effective value of `key` for the org at `path[0]`; `path` runs nearest first up to
/// the root. The nearest override wins; without one, the system default.
pub fn resolve(key: SettingKey, path: &[PathOverride<'_>]) -> EffectiveSetting {
    for (i, node) in path.iter().enumerate() {
        if let Some(value) = node.value {
            return EffectiveSetting {
                key,
                value: value.clone(),
                source: SettingSource {
                    kind: if i == 0 { SourceKind::Own } else { SourceKind::Inherited },
                    org_id: Some(node.org_id),
                    org_name: Some(node.org_name.to_string()),
                },
                source_org_id: Some(node.org_id),
                overridden: i == 0,
            };
        }
    }
    EffectiveSetting {
        key,
        value: key.default_value(),
        source: SettingSource { kind: SourceKind::Default, org_id: None, org_name: None },
        source_org_id: None,
        overridden: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node<'a>(n: u128, name: &'a str, value: Option<&'a Value>) -> PathOverride<'a> {
        PathOverride { org_id: Uuid::from_u128(n), org_name: name, value }
    }

    #[test]
    fn nearest_override_wins_else_default() {
        let msp = json!({"days": ["sat"], "start": "01:00", "end": "03:00", "timezone": "UTC"});
        let customer = json!({"days": ["sun"], "start": "04:00", "end": "06:00", "timezone": "UTC"});
        let k = SettingKey::MaintenanceWindow;
        // leaf → customer → msp: the leaf inherits the customer's override, not the MSP's.
        let leaf = resolve(k, &[node(3, "Leaf", None), node(2, "Customer", Some(&customer)), node(1, "MSP", Some(&msp))]);
        assert_eq!((leaf.value.clone(), leaf.source.kind, leaf.source.org_name.as_deref()), (customer.clone(), SourceKind::Inherited, Some("Customer")));
        assert!(!leaf.overridden);
        let mid = resolve(k, &[node(2, "Customer", Some(&customer)), node(1, "MSP", Some(&msp))]);
        assert_eq!((mid.source.kind, mid.source.org_id), (SourceKind::Own, Some(Uuid::from_u128(2))));
        assert!(mid.overridden);
        // The customer reverts: both now see the MSP's value.
        let leaf = resolve(k, &[node(3, "Leaf", None), node(2, "Customer", None), node(1, "MSP", Some(&msp))]);
        assert_eq!((leaf.value, leaf.source.org_name.as_deref()), (msp, Some("MSP")));
        let none = resolve(k, &[node(3, "Leaf", None), node(1, "MSP", None)]);
        assert_eq!((none.value, none.source.kind, none.source.org_id), (k.default_value(), SourceKind::Default, None));
    }

    #[test]
    fn defaults_are_valid_and_partial_values_are_completed() {
        for k in SettingKey::ALL {
            assert_eq!(k.validate(&k.default_value()), Ok(k.default_value()), "{k}");
            assert_eq!(SettingKey::parse(k.as_str()), Some(k));
        }
        let v = SettingKey::AgentSettings.validate(&json!({"check_in_interval_seconds": 60})).unwrap();
        assert_eq!(v["auto_update"], json!(true));
    }

    #[test]
    fn bad_values_name_their_field() {
        let bad = SettingKey::MaintenanceWindow.validate(&json!({"start": "25:00"})).unwrap_err();
        assert!(bad.contains_key("start"), "{bad:?}");
        let bad = SettingKey::NotificationPreferences.validate(&json!({"dnd": {"enabled": true, "end": "7am"}})).unwrap_err();
        assert!(bad.contains_key("dnd.end"), "{bad:?}");
        let bad = SettingKey::MaintenanceWindow.validate(&json!({"colour": "red"})).unwrap_err();
        assert!(bad.contains_key("colour"), "{bad:?}");
        let bad = SettingKey::DefaultDashboard.validate(&json!({"widgets": ["assets", "assets"]})).unwrap_err();
        assert!(bad.contains_key("widgets"), "{bad:?}");
        let bad = SettingKey::DefaultDashboard.validate(&json!({"widgets": ["weather"]})).unwrap_err();
        assert!(bad.contains_key("value") || bad.contains_key("widgets"), "{bad:?}");
        assert!(SettingKey::AgentSettings.validate(&json!({"check_in_interval_seconds": 5})).unwrap_err().contains_key("check_in_interval_seconds"));
        assert!(SettingKey::MaintenanceWindow.validate(&json!([1])).is_err());
        assert!(SettingKey::MaintenanceWindow.validate(&json!({"timezone": "Europe/Berlin"})).unwrap_err().contains_key("timezone"));
        assert!(SettingKey::Approvals.validate(&json!({"actions": ["org.launch"]})).unwrap_err().contains_key("actions"));
        assert!(SettingKey::Approvals.validate(&json!({"actions": ["org.delete", "org.delete"]})).unwrap_err().contains_key("actions"));
        assert!(SettingKey::DelegationPolicy.validate(&json!({"max_days": 5000})).unwrap_err().contains_key("max_days"));
        assert!(SettingKey::DelegationPolicy.validate(&json!({"open_ended": false})).unwrap_err().contains_key("open_ended"));
    }

    // 2026-11-23 is a Monday; 00:00 UTC that day:
    const MON: i64 = 1_795_392_000_000;
    const H: i64 = 3_600_000;

    #[test]
    fn weekly_windows_cover_what_they_say() {
        assert_eq!(MON.div_euclid(DAY_MS) * DAY_MS, MON);
        let days = [Weekday::Mon];
        let day = WeeklyWindow { days: &days, start: "09:00", end: "17:00", timezone: "UTC" };
        assert_eq!(day.covers(MON + 10 * H), Some(MON + 17 * H));
        assert_eq!(day.covers(MON + 17 * H), None, "the end is exclusive");
        assert_eq!(day.covers(MON + 8 * H), None);
        assert_eq!(day.covers(MON + 24 * H + 10 * H), None, "Tuesday");
        // Past midnight: Monday 22:00 to Tuesday 06:00.
        let night = WeeklyWindow { days: &days, start: "22:00", end: "06:00", timezone: "UTC" };
        assert_eq!(night.covers(MON + 23 * H), Some(MON + 30 * H));
        assert_eq!(night.covers(MON + 24 * H + 5 * H), Some(MON + 30 * H));
        assert_eq!(night.covers(MON + 5 * H), None, "Sunday night is not in the window");
        // An offset moves the window: 09:00–17:00 at +02:00 is 07:00–15:00 UTC.
        let east = WeeklyWindow { days: &days, start: "09:00", end: "17:00", timezone: "+02:00" };
        assert_eq!(east.covers(MON + 7 * H), Some(MON + 15 * H));
        assert_eq!(east.covers(MON + 16 * H), None);
        let dnd = DoNotDisturb { enabled: false, ..DoNotDisturb::default() };
        assert_eq!(dnd.holds_until(MON + 23 * H), None, "disabled holds nothing");
        assert_eq!(DoNotDisturb { enabled: true, ..dnd }.holds_until(MON + 23 * H), Some(MON + 31 * H));
    }

    #[test]
    fn clock_strings() {
        assert_eq!(parse_hhmm("00:00"), Some(0));
        assert_eq!(parse_hhmm("23:59"), Some(1439));
        for bad in ["24:00", "9:00", "12:60", "ab:cd", ""] {
            assert_eq!(parse_hhmm(bad), None, "{bad}");
        }
        assert_eq!(parse_offset("-05:30"), Some(-330));
        assert_eq!(parse_offset("UTC"), Some(0));
        assert_eq!(parse_offset("CET"), None);
    }
}
