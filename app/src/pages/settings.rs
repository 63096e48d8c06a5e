//! Settings of the current org with inheritance: each shows its effective value and where it
//! comes from ("inherited from Contoso MSP"); admins override it here or revert to inherited.
//! A change at a parent reaches every child that doesn't override, because the server
//! resolves the value when it is read.
use crate::client::{self, ApiFailure};
use crate::layout::use_session;
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::Value;
use shared::settings::{EffectiveSetting, SetSetting, SettingKey, Settings, SourceKind};


/// How one field of a setting's value is edited.
#[derive(Clone, Copy)]
enum Input {
    /// A set of values picked from a fixed list (days of the week, actions), kept in its order.
    Checklist(&'static [&'static str]),
    Time,
    Text,
    Bool,
    Number,
    Choice(&'static [&'static str]),
    Widgets,
}

/// A field inside a setting's value, by its path (`start`, `dnd.end`) — the same name the
/// API uses when it refuses the field.
#[derive(Clone, Copy)]
struct Field {
    path: &'static str,
    label: &'static str,
    input: Input,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const WIDGETS: [&str; 9] = ["assets", "online", "offline", "open_alerts", "users", "last_activity", "schedules", "deployments", "notifications"];

const fn f(path: &'static str, label: &'static str, input: Input) -> Field {
    Field { path, label, input }
}

const MAINTENANCE_WINDOW: &[Field] = &[
            f("days", "Days", Input::Checklist(&DAYS)),
            f("start", "Starts", Input::Time),
            f("end", "Ends", Input::Time),
            f("timezone", "Time zone (UTC or ±HH:MM)", Input::Text),
];
const DEPLOYMENT_DEFAULTS: &[Field] = &[
            f("reboot_policy", "Reboot", Input::Choice(&["never", "if_needed", "always", "ask_user"])),
            f("auto_approve", "Approve deployments automatically", Input::Bool),
            f("maintenance_window_only", "Only inside the maintenance window", Input::Bool),
            f("max_concurrent", "Computers at once", Input::Number),
];
const AGENT_SETTINGS: &[Field] = &[
            f("check_in_interval_seconds", "Check-in interval (seconds)", Input::Number),
            f("auto_update", "Update agents automatically", Input::Bool),
            f("log_level", "Log level", Input::Choice(&["error", "warn", "info", "debug"])),
];
const NOTIFICATION_PREFERENCES: &[Field] = &[
            f("email", "Also send notifications by mail", Input::Bool),
            f("dnd.enabled", "Do Not Disturb", Input::Bool),
            f("dnd.days", "DND days", Input::Checklist(&DAYS)),
            f("dnd.start", "DND starts", Input::Time),
            f("dnd.end", "DND ends", Input::Time),
            f("dnd.timezone", "DND time zone (UTC or ±HH:MM)", Input::Text),
];
const DELEGATION_POLICY: &[Field] = &[
            f("max_days", "Longest delegation in days (0: no limit)", Input::Number),
            f("allow_open_ended", "Delegations may be open-ended", Input::Bool),
            f("remind_days_before", "Notify this many days before a delegation ends (0: never)", Input::Number),
];
const APPROVALS: &[Field] = &[
            f("actions", "Actions that need a second admin", Input::Checklist(&shared::settings::APPROVAL_ACTIONS)),
            f("expires_after_hours", "A request expires after (hours)", Input::Number),
];
const DEFAULT_DASHBOARD: &[Field] = &[f("widgets", "Overview widgets, in order", Input::Widgets)];
const SIGN_IN_POLICY: &[Field] = &[
            f("require_mfa", "Require a second factor (TOTP or a passkey)", Input::Bool),
            f("apply_to_customers", "Also for every customer's users (MSP only)", Input::Bool),
];

fn fields(key: SettingKey) -> &'static [Field] {
    match key {
        SettingKey::MaintenanceWindow => MAINTENANCE_WINDOW,
        SettingKey::DeploymentDefaults => DEPLOYMENT_DEFAULTS,
        SettingKey::AgentSettings => AGENT_SETTINGS,
        SettingKey::NotificationPreferences => NOTIFICATION_PREFERENCES,
        SettingKey::DefaultDashboard => DEFAULT_DASHBOARD,
        SettingKey::SignInPolicy => SIGN_IN_POLICY,
        SettingKey::DelegationPolicy => DELEGATION_POLICY,
        SettingKey::Approvals => APPROVALS,
    }
}

fn title(key: SettingKey) -> &'static str {
    match key {
        SettingKey::MaintenanceWindow => "Maintenance window",
        SettingKey::DeploymentDefaults => "Deployment defaults",
        SettingKey::AgentSettings => "Agent settings",
        SettingKey::NotificationPreferences => "Notifications and Do Not Disturb",
        SettingKey::DefaultDashboard => "Default dashboard",
        SettingKey::SignInPolicy => "Sign-in policy",
        SettingKey::DelegationPolicy => "Delegation policy",
        SettingKey::Approvals => "Four-eyes approvals",
    }
}

fn pointer(path: &str) -> String {
    format!("/{}", path.replace('.', "/"))
}

fn days_text(v: &Value) -> String {
    let days: Vec<&str> = v.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    if days.len() == 7 { "every day".into() } else { days.join(", ") }
}

/// One line saying what the value means.
fn summary(key: SettingKey, v: &Value) -> String {
    let s = |p: &str| v.pointer(&pointer(p)).map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string())).unwrap_or_default();
    match key {
        SettingKey::MaintenanceWindow => {
            format!("{} {}–{} {}", days_text(v.pointer("/days").unwrap_or(&Value::Null)), s("start"), s("end"), s("timezone"))
        }
        SettingKey::DeploymentDefaults => format!(
            "reboot {}, {} approval, {}, {} at once",
            s("reboot_policy").replace('_', " "),
            if s("auto_approve") == "true" { "automatic" } else { "manual" },
            if s("maintenance_window_only") == "true" { "in the maintenance window" } else { "any time" },
            s("max_concurrent")
        ),
        SettingKey::AgentSettings => format!(
            "check in every {} s, auto-update {}, log {}",
            s("check_in_interval_seconds"),
            if s("auto_update") == "true" { "on" } else { "off" },
            s("log_level")
        ),
        SettingKey::NotificationPreferences => {
            let dnd = if s("dnd.enabled") == "true" {
                format!("Do Not Disturb {} {}–{} {}", days_text(v.pointer("/dnd/days").unwrap_or(&Value::Null)), s("dnd.start"), s("dnd.end"), s("dnd.timezone"))
            } else {
                "Do Not Disturb off".into()
            };
            format!("mail {} · {dnd}", if s("email") == "true" { "on" } else { "off" })
        }
        SettingKey::DefaultDashboard => days_text(v.pointer("/widgets").unwrap_or(&Value::Null)).replace('_', " "),
        SettingKey::SignInPolicy => match (s("require_mfa") == "true", s("apply_to_customers") == "true") {
            (false, _) => "a password is enough".into(),
            (true, false) => "second factor required".into(),
            (true, true) => "second factor required, customers included".into(),
        },
        SettingKey::DelegationPolicy => format!(
            "{}, {}, {}",
            match s("max_days").as_str() { "0" => "any length".to_string(), d => format!("at most {d} days") },
            if s("allow_open_ended") == "true" { "open-ended allowed" } else { "an end date required" },
            match s("remind_days_before").as_str() { "0" => "no reminder".to_string(), d => format!("reminder {d} days before the end") },
        ),
        SettingKey::Approvals => match days_text(v.pointer("/actions").unwrap_or(&Value::Null)) {
            a if a.is_empty() => "nothing needs a second admin".into(),
            a => format!("a second admin approves {a} within {} h", s("expires_after_hours")),
        },
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let session = use_session();
    let version = RwSignal::new(0u32);
    let settings = LocalResource::new(move || {
        let org = session.org_header();
        version.get();
        async move { client::get::<Settings>("/api/v1/settings", org).await }
    });
    view! {
        <Title text="Settings"/>
        <div class="page-head"><h1>"Settings"</h1></div>
        <p class="muted">"Child tenants inherit each setting unless they override it. Reverting an override brings the inherited value back."</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading settings…"</p> }>
            {move || settings.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(s) => s.items.into_iter().map(|item| view! { <SettingCard item version/> }).collect_view().into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn SettingCard(item: EffectiveSetting, version: RwSignal<u32>) -> impl IntoView {
    let session = use_session();
    let key = item.key;
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(item.value.clone());
    let errors = RwSignal::new(None::<ApiFailure>);
    let is_admin = move || session.current.get().is_some_and(|c| c.can.manage_settings);
    let source = match item.source.kind {
        SourceKind::Own => "Set here".to_string(),
        SourceKind::Inherited => format!("Inherited from {}", item.source.org_name.clone().unwrap_or_default()),
        SourceKind::Default => "System default".to_string(),
    };
    let source_class = match item.source.kind {
        SourceKind::Own => "badge msp",
        SourceKind::Inherited => "badge child",
        SourceKind::Default => "badge",
    };
    let overridden = item.source.kind == SourceKind::Own;
    let value = item.value.clone();
    let save = move |_| {
        let org = session.org_header();
        let body = SetSetting { value: draft.get_untracked() };
        leptos::task::spawn_local(async move {
            match client::put::<EffectiveSetting, _>(&format!("/api/v1/settings/{}", key.as_str()), org, &body).await {
                Ok(_) => {
                    errors.set(None);
                    editing.set(false);
                    version.update(|v| *v += 1);
                }
                Err(f) => errors.set(Some(f)),
            }
        });
    };
    let revert = move |_| {
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::delete(&format!("/api/v1/settings/{}", key.as_str()), org).await {
                Ok(()) => version.update(|v| *v += 1),
                Err(f) => errors.set(Some(f)),
            }
        });
    };
    view! {
        <div class="card setting" data-setting=key.as_str()>
            <div class="panel-head">
                <h2>{title(key)}</h2>
                <span class=source_class data-testid="setting-source">{source}</span>
            </div>
            <p data-testid="setting-value">{summary(key, &value)}</p>
            <Show when=move || editing.get()>
                <div class="form-grid">
                    {fields(key).iter().map(|f| view! { <FieldInput field=*f draft errors/> }).collect_view()}
                </div>
                <div class="form-inline">
                    <button class="btn primary" data-testid="setting-save" on:click=save>"Save override"</button>
                    <button class="btn ghost" on:click=move |_| { editing.set(false); errors.set(None); }>"Cancel"</button>
                </div>
            </Show>
            {move || errors.get().filter(|e| e.fields.is_empty()).map(|e| view! { <p class="error">{e.message}</p> })}
            <Show when=move || is_admin() && !editing.get()>
                <div class="form-inline">
                    <button class="btn" data-testid="setting-edit" on:click=move |_| editing.set(true)>{if overridden { "Edit" } else { "Override here" }}</button>
                    {overridden.then(|| view! { <button class="btn ghost" data-testid="setting-revert" on:click=revert>"Revert to inherited"</button> })}
                </div>
            </Show>
        </div>
    }
}

#[component]
fn FieldInput(field: Field, draft: RwSignal<Value>, errors: RwSignal<Option<ApiFailure>>) -> impl IntoView {
    // Both closures capture only Copy values, so every control can hold its own copy.
    let read = move || draft.with(|v| v.pointer(&pointer(field.path)).cloned().unwrap_or(Value::Null));
    let write = move |new: Value| {
        draft.update(|v| {
            if let Some(slot) = v.pointer_mut(&pointer(field.path)) {
                *slot = new;
            }
        })
    };
    let error = move || errors.get().and_then(|e| e.field(field.path).or_else(|| e.field(&format!("value.{}", field.path))));
    // Several controls (days, widgets) are a group with a legend; one control has a label.
    let grouped = matches!(field.input, Input::Checklist(_) | Input::Widgets);
    let control = match field.input {
        Input::Bool => view! {
            <input type="checkbox" name=field.path prop:checked=move || read().as_bool().unwrap_or(false)
                on:change=move |ev| write(Value::Bool(event_target_checked(&ev)))/>
        }.into_any(),
        Input::Time | Input::Text => view! {
            <input type=if matches!(field.input, Input::Time) { "time" } else { "text" } name=field.path
                prop:value=move || read().as_str().unwrap_or_default().to_string()
                on:input=move |ev| write(Value::String(event_target_value(&ev)))/>
        }.into_any(),
        Input::Number => view! {
            <input type="number" name=field.path prop:value=move || read().to_string()
                on:input=move |ev| write(event_target_value(&ev).trim().parse::<i64>().map(Value::from).unwrap_or(Value::Null))/>
        }.into_any(),
        Input::Choice(options) => view! {
            <select name=field.path prop:value=move || read().as_str().unwrap_or_default().to_string()
                on:change=move |ev| write(Value::String(event_target_value(&ev)))>
                {options.iter().map(|o| view! { <option value=*o>{o.replace('_', " ")}</option> }).collect_view()}
            </select>
        }.into_any(),
        Input::Checklist(options) => {
            let toggle = {
                move |day: &'static str, on: bool| {
                    let mut days: Vec<String> = read().as_array().map(|a| a.iter().filter_map(|d| d.as_str().map(str::to_string)).collect()).unwrap_or_default();
                    days.retain(|d| d != day);
                    if on {
                        days.push(day.to_string());
                    }
                    days.sort_by_key(|d| options.iter().position(|x| x == d));
                    write(Value::from(days));
                }
            };
            view! {
                <span class="days" data-field=field.path>
                    {options.iter().map(|d| {
                        view! {
                            <label class="checkbox"><input type="checkbox" value=*d
                                prop:checked=move || read().as_array().is_some_and(|a| a.iter().any(|x| x == d))
                                on:change=move |ev| toggle(d, event_target_checked(&ev))/>{*d}</label>
                        }
                    }).collect_view()}
                </span>
            }.into_any()
        }
        Input::Widgets => {
            let list = move || read().as_array().map(|a| a.iter().filter_map(|w| w.as_str().map(str::to_string)).collect::<Vec<_>>()).unwrap_or_default();
            let set = move |items: Vec<String>| write(Value::from(items));
            view! {
                <ol class="widgets">
                    {move || {
                        let items = list();
                        let n = items.len();
                        items.clone().into_iter().enumerate().map(|(i, w)| {
                            let (up, down, remove) = (items.clone(), items.clone(), items.clone());
                            view! {
                                <li>
                                    {w.replace('_', " ")}
                                    <button class="btn ghost small" type="button" aria-label=format!("Move {} up", w.replace('_', " ")) disabled=i == 0 on:click=move |_| { let mut v = up.clone(); v.swap(i, i - 1); set(v); }>"↑"</button>
                                    <button class="btn ghost small" type="button" aria-label=format!("Move {} down", w.replace('_', " ")) disabled=i + 1 == n on:click=move |_| { let mut v = down.clone(); v.swap(i, i + 1); set(v); }>"↓"</button>
                                    <button class="btn ghost small" type="button" aria-label=format!("Remove {}", w.replace('_', " ")) on:click=move |_| { let mut v = remove.clone(); v.remove(i); set(v); }>"✕"</button>
                                </li>
                            }
                        }).collect_view()
                    }}
                </ol>
                <select aria-label="Add a widget" on:change=move |ev| {
                    let w = event_target_value(&ev);
                    let mut v = list();
                    if !w.is_empty() && !v.contains(&w) { v.push(w); set(v); }
                }>
                    <option value="">"Add a widget…"</option>
                    {WIDGETS.iter().map(|w| view! { <option value=*w>{w.replace('_', " ")}</option> }).collect_view()}
                </select>
            }.into_any()
        }
    };
    let error_view = move || error().map(|m| view! { <span class="field-error">{m}</span> });
    if grouped {
        view! {
            <fieldset class="field-group">
                <legend>{field.label}</legend>
                {control}
                {error_view}
            </fieldset>
        }
        .into_any()
    } else {
        view! {
            <label>{field.label}
                {control}
                {error_view}
            </label>
        }
        .into_any()
    }
}
