//! Operations in the current org: schedules (when, on which computers or groups), deployments
//! (own, and inheritable ones from above), and sending a notification to the org, a user, a
//! role or a group.
use crate::client::{self, ApiFailure};
use crate::client::assets::first;
use crate::layout::{field_error, use_session};
use crate::components::{FormError, listed};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{AssetQuery, CreateDeployment, CreateNotification, CreateSchedule, DeliveryStatus, Notification, NotificationTarget, Severity};
use shared::Role;
use uuid::Uuid;

#[component]
pub fn OperationsPage() -> impl IntoView {
    let session = use_session();
    let is_admin = move || session.current.get().is_some_and(|c| c.can.manage_settings);
    view! {
        <Title text="Operations"/>
        <div class="page-head"><h1>"Operations"</h1></div>
        <Schedules/>
        <Deployments/>
        <Show when=is_admin><SendNotification/></Show>
    }
}

#[component]
fn Schedules() -> impl IntoView {
    let session = use_session();
    let version = RwSignal::new(0u32);
    let schedules = LocalResource::new(move || {
        let org = session.org_header();
        version.get();
        async move { client::operations::schedules(org, &first(500)).await }
    });
    let assets = LocalResource::new(move || {
        let org = session.org_header();
        async move { client::assets::list(org, &AssetQuery { kind: Some("computer".into()), limit: Some(500), ..Default::default() }).await }
    });
    let groups = LocalResource::new(move || {
        let org = session.org_header();
        async move { client::assets::groups(org, &first(500)).await }
    });
    let can_edit = move || session.current.get().is_some_and(|c| c.can.edit_assets);
    let name = RwSignal::new(String::new());
    let frequency = RwSignal::new("weekly".to_string());
    let start = RwSignal::new("02:00".to_string());
    let end = RwSignal::new("04:00".to_string());
    let chosen_assets = RwSignal::new(Vec::<Uuid>::new());
    let chosen_groups = RwSignal::new(Vec::<Uuid>::new());
    let errors = RwSignal::new(None::<ApiFailure>);
    let create = move |_| {
        let org = session.org_header();
        let body = CreateSchedule {
            name: name.get_untracked(),
            frequency: frequency.get_untracked(),
            window_start: start.get_untracked(),
            window_end: end.get_untracked(),
            asset_ids: chosen_assets.get_untracked(),
            group_ids: chosen_groups.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match client::operations::create_schedule(org, &body).await {
                Ok(_) => {
                    errors.set(None);
                    name.set(String::new());
                    chosen_assets.set(Vec::new());
                    chosen_groups.set(Vec::new());
                    version.update(|v| *v += 1);
                }
                Err(f) => errors.set(Some(f)),
            }
        });
    };
    let remove = move |id: Uuid, name: String| {
        crate::confirm::ask(format!("Delete the schedule {name}?"), format!("{name} stops; its assets and groups keep their other schedules."), "Delete schedule", move || {
            let org = session.org_header();
            let name = name.clone();
            leptos::task::spawn_local(async move {
                crate::confirm::outcome(match client::operations::delete_schedule(org, id).await {
                    Ok(_) => Ok(format!("The schedule {name} is deleted.")),
                    Err(f) => Err(format!("{name} was not deleted: {}", f.message)),
                });
                version.update(|v| *v += 1);
            });
        });
    };
    let pick = |list: RwSignal<Vec<Uuid>>, ev: leptos::ev::Event| {
        if let Ok(id) = Uuid::parse_str(&event_target_value(&ev)) {
            list.update(|l| if !l.contains(&id) { l.push(id) });
        }
    };
    view! {
        <section class="card" data-testid="schedules">
            <h2>"Schedules"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || schedules.get().map(|r| listed(r, "No schedules in this tenant.", |p| view! {
                        <table class="table compact">
                            <thead><tr><th>"Name"</th><th>"Runs"</th><th>"Window"</th><th>"Targets"</th><th></th></tr></thead>
                            <tbody>
                                {p.items.into_iter().map(|s| {
                                    let id = s.id;
                                    let name = s.name.clone();
                                    let targets: Vec<String> = s.groups.iter().map(|g| format!("group {}", g.name)).chain(s.assets.iter().map(|a| a.name.clone())).collect();
                                    view! {
                                        <tr>
                                            <td>{s.name.clone()}</td>
                                            <td>{format!("{:?}", s.frequency).to_lowercase()}</td>
                                            <td>{format!("{}–{}", s.window_start, s.window_end)}</td>
                                            <td>{if targets.is_empty() { "—".to_string() } else { targets.join(", ") }}</td>
                                            <td><Show when=can_edit><button class="btn ghost small" type="button" on:click={
                                                let name = name.clone();
                                                move |_| remove(id, name.clone())
                                            }>"Delete"</button></Show></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }))}
            </Suspense>
            <Show when=can_edit>
                <h3>"New schedule"</h3>
                <div class="form-grid">
                    <label>"Name"<input name="schedule-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>{field_error(errors, "name")}</label>
                    <label>"Runs"
                        <select prop:value=move || frequency.get() on:change=move |ev| frequency.set(event_target_value(&ev))>
                            <option value="daily">"daily"</option><option value="weekly">"weekly"</option><option value="monthly">"monthly"</option>
                        </select>{field_error(errors, "frequency")}
                    </label>
                    <label>"From"<input type="time" prop:value=move || start.get() on:input=move |ev| start.set(event_target_value(&ev))/>{field_error(errors, "window_start")}</label>
                    <label>"To"<input type="time" prop:value=move || end.get() on:input=move |ev| end.set(event_target_value(&ev))/>{field_error(errors, "window_end")}</label>
                    <label>"Add computer"
                        <select on:change=move |ev| pick(chosen_assets, ev)>
                            <option value="">"Choose…"</option>
                            {move || assets.get().and_then(|r| r.ok()).map(|p| p.items.into_iter().map(|a| view! { <option value=a.id.to_string()>{a.name}</option> }).collect_view())}
                        </select>{field_error(errors, "asset_ids")}
                    </label>
                    <label>"Add group"
                        <select on:change=move |ev| pick(chosen_groups, ev)>
                            <option value="">"Choose…"</option>
                            {move || groups.get().and_then(|r| r.ok()).map(|p| p.items.into_iter().map(|g| view! { <option value=g.id.to_string()>{g.name}</option> }).collect_view())}
                        </select>{field_error(errors, "group_ids")}
                    </label>
                </div>
                <p class="muted">{move || format!("{}, {} targeted", crate::layout::plural(chosen_assets.get().len() as i64, "computer", "computers"), crate::layout::plural(chosen_groups.get().len() as i64, "group", "groups"))}</p>
                <button class="btn primary" on:click=create>"Add schedule"</button>
                <FormError errors=errors/>
            </Show>
        </section>
    }
}

#[component]
fn Deployments() -> impl IntoView {
    let session = use_session();
    let version = RwSignal::new(0u32);
    let deployments = LocalResource::new(move || {
        let org = session.org_header();
        version.get();
        async move { client::operations::deployments(org, &first(500)).await }
    });
    let is_admin = move || session.current.get().is_some_and(|c| c.can.manage_settings);
    let name = RwSignal::new(String::new());
    let package = RwSignal::new(String::new());
    let inheritable = RwSignal::new(false);
    let errors = RwSignal::new(None::<ApiFailure>);
    let create = move |_| {
        let org = session.org_header();
        let body = CreateDeployment { name: name.get_untracked(), package: package.get_untracked(), inheritable: inheritable.get_untracked() };
        leptos::task::spawn_local(async move {
            match client::operations::create_deployment(org, &body).await {
                Ok(_) => {
                    errors.set(None);
                    name.set(String::new());
                    package.set(String::new());
                    version.update(|v| *v += 1);
                }
                Err(f) => errors.set(Some(f)),
            }
        });
    };
    let remove = move |id: Uuid, name: String| {
        crate::confirm::ask(format!("Delete the deployment {name}?"), format!("{name} is no longer offered here (nor to child tenants that inherit it)."), "Delete deployment", move || {
            let org = session.org_header();
            let name = name.clone();
            leptos::task::spawn_local(async move {
                crate::confirm::outcome(match client::operations::delete_deployment(org, id).await {
                    Ok(_) => Ok(format!("The deployment {name} is deleted.")),
                    Err(f) => Err(format!("{name} was not deleted: {}", f.message)),
                });
                version.update(|v| *v += 1);
            });
        });
    };
    view! {
        <section class="card" data-testid="deployments">
            <h2>"Deployments"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || deployments.get().map(|r| listed(r, "No deployments target this tenant.", |p| view! {
                        <table class="table compact">
                            <thead><tr><th>"Name"</th><th>"Package"</th><th>"From"</th><th></th></tr></thead>
                            <tbody>
                                {p.items.into_iter().map(|d| {
                                    let id = d.id;
                                    let name = d.name.clone();
                                    let own = !d.inherited;
                                    view! {
                                        <tr>
                                            <td>{d.name.clone()}{d.inheritable.then(|| view! { <span class="badge child">"inherited by children"</span> })}</td>
                                            <td><code>{d.package.clone()}</code></td>
                                            <td>{if d.inherited { format!("inherited from {}", d.org_name) } else { "this tenant".into() }}</td>
                                            <td><Show when=move || own && is_admin()><button class="btn ghost small" type="button" on:click={
                                                let name = name.clone();
                                                move |_| remove(id, name.clone())
                                            }>"Delete"</button></Show></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }))}
            </Suspense>
            <Show when=is_admin>
                <h3>"New deployment"</h3>
                <div class="form-grid">
                    <label>"Name"<input prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>{field_error(errors, "name")}</label>
                    <label>"Package or script"<input prop:value=move || package.get() on:input=move |ev| package.set(event_target_value(&ev))/>{field_error(errors, "package")}</label>
                    <label class="checkbox"><input type="checkbox" prop:checked=move || inheritable.get() on:change=move |ev| inheritable.set(event_target_checked(&ev))/>" Also for child tenants"</label>
                </div>
                <button class="btn primary" on:click=create>"Add deployment"</button>
                <FormError errors=errors/>
            </Show>
        </section>
    }
}

#[component]
fn SendNotification() -> impl IntoView {
    let session = use_session();
    let kind = RwSignal::new("org".to_string());
    let user = RwSignal::new(String::new());
    let role = RwSignal::new("admin".to_string());
    let group = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let severity = RwSignal::new("info".to_string());
    let errors = RwSignal::new(None::<ApiFailure>);
    let sent = RwSignal::new(None::<Notification>);
    let members = LocalResource::new(move || {
        let org = session.org_header();
        async move { client::people::members(org, &first(500)).await }
    });
    let groups = LocalResource::new(move || {
        let org = session.org_header();
        async move { client::assets::groups(org, &first(500)).await }
    });
    let send = move |_| {
        let parse = |s: String| Uuid::parse_str(&s).unwrap_or(Uuid::nil());
        let target = match kind.get_untracked().as_str() {
            "user" => NotificationTarget::User { user_id: parse(user.get_untracked()) },
            "role" => NotificationTarget::Role { role: role.get_untracked().parse().unwrap_or(Role::Admin) },
            "group" => NotificationTarget::Group { group_id: parse(group.get_untracked()) },
            _ => NotificationTarget::Org,
        };
        let severity = match severity.get_untracked().as_str() {
            "warning" => Severity::Warning,
            "critical" => Severity::Critical,
            _ => Severity::Info,
        };
        let request = CreateNotification { target, title: title.get_untracked(), body: body.get_untracked(), severity };
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::operations::notify(org, &request).await {
                Ok(n) => {
                    errors.set(None);
                    sent.set(Some(n));
                }
                Err(f) => errors.set(Some(f)),
            }
        });
    };
    view! {
        <section class="card" data-testid="notify">
            <h2>"Send a notification"</h2>
            <p class="muted">"To the whole org, it waits while the org's Do Not Disturb window is on and is delivered when the window ends. To a user, a role or a group, it is delivered at once, even during Do Not Disturb."</p>
            <div class="form-grid">
                <label>"To"
                    <select name="target" prop:value=move || kind.get() on:change=move |ev| kind.set(event_target_value(&ev))>
                        <option value="org">"everyone in this org"</option>
                        <option value="user">"one person"</option>
                        <option value="role">"a role"</option>
                        <option value="group">"a group"</option>
                    </select>
                </label>
                <Show when=move || kind.get() == "user">
                    <label>"Person"
                        <select name="user" prop:value=move || user.get() on:change=move |ev| user.set(event_target_value(&ev))>
                            <option value="">"Choose…"</option>
                            {move || members.get().and_then(|r| r.ok()).map(|p| p.items.into_iter().map(|m| view! {
                                <option value=m.user.id.to_string()>{format!("{} ({})", m.user.name, m.user.email)}</option>
                            }).collect_view())}
                        </select>
                    </label>
                </Show>
                <Show when=move || kind.get() == "role">
                    <label>"Role"
                        <select name="role" prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>
                            <option value="admin">"admins"</option><option value="member">"members"</option><option value="viewer">"viewers"</option>
                        </select>
                    </label>
                </Show>
                <Show when=move || kind.get() == "group">
                    <label>"Group"
                        <select name="group" prop:value=move || group.get() on:change=move |ev| group.set(event_target_value(&ev))>
                            <option value="">"Choose…"</option>
                            {move || groups.get().and_then(|r| r.ok()).map(|p| p.items.into_iter().map(|g| view! { <option value=g.id.to_string()>{g.name}</option> }).collect_view())}
                        </select>
                    </label>
                </Show>
                {field_error(errors, "target")}
                <label>"Title"<input name="title" prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev))/>{field_error(errors, "title")}</label>
                <label>"Message"<textarea name="body" prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>{field_error(errors, "body")}</label>
                <label>"Severity"
                    <select prop:value=move || severity.get() on:change=move |ev| severity.set(event_target_value(&ev))>
                        <option value="info">"info"</option><option value="warning">"warning"</option><option value="critical">"critical"</option>
                    </select>
                </label>
            </div>
            <button class="btn primary" data-testid="notify-send" on:click=send>"Send"</button>
            <FormError errors=errors/>
            {move || sent.get().map(|n| view! {
                <p class="notice" data-testid="notify-result">{match n.status {
                    DeliveryStatus::Delivered => format!("Delivered to {}; {} queued.", crate::layout::plural(n.recipients, "inbox", "inboxes"), crate::layout::plural(n.mails, "mail", "mails")),
                    DeliveryStatus::Held => format!("Held by Do Not Disturb until {}; it will be delivered then.", n.held_until.unwrap_or_default()),
                }}</p>
            })}
        </section>
    }
}
