//! People in the current org: members (role, disable/enable, remove), adding someone
//! directly, invitations (invite, resend, revoke) and the outbox of mails not sent by SMTP.
use crate::client::{self, ApiFailure};
use crate::layout::{js_encode, use_session};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{AddUser, CreateInvitation, Invitation, InvitationCreated, Member, OutboxMail, Page, UpdateMember};
use shared::{Role, UserStatus};

pub(crate) fn short_time(t: &str) -> String {
    t.replace('T', " ").chars().take(16).collect()
}

/// A role picker's choices with `current` selected; new people default to member, never admin.
fn role_options(current: Role) -> impl IntoView {
    view! {
        <option value="member" selected=current == Role::Member>"member"</option>
        <option value="viewer" selected=current == Role::Viewer>"viewer"</option>
        <option value="admin" selected=current == Role::Admin>"admin"</option>
    }
}

#[component]
pub fn PeoplePage() -> impl IntoView {
    let session = use_session();
    let query = RwSignal::new(String::new());
    let version = RwSignal::new(0u32);
    let failure = RwSignal::new(None::<String>);
    let is_admin = move || session.current.get().is_some_and(|c| c.can.manage_people);
    let my_id = move || session.me.get().map(|m| m.user.id);
    let people = LocalResource::new(move || {
        let q = js_encode(&query.get());
        let org = session.org_header();
        version.get();
        async move { client::get::<Page<Member>>(&format!("/api/v1/users?limit=200&q={q}"), org).await }
    });
    let change = move |id: uuid::Uuid, body: UpdateMember| {
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::patch::<Member, _>(&format!("/api/v1/users/{id}"), org, &body).await {
                Ok(_) => failure.set(None),
                Err(f) => failure.set(Some(f.fields.values().next().cloned().unwrap_or(f.message))),
            }
            version.update(|v| *v += 1);
        });
    };
    let remove = move |id: uuid::Uuid| {
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::delete(&format!("/api/v1/users/{id}"), org).await {
                Ok(_) => failure.set(None),
                Err(f) => failure.set(Some(f.fields.values().next().cloned().unwrap_or(f.message))),
            }
            version.update(|v| *v += 1);
        });
    };
    view! {
        <Title text="People"/>
        <div class="page-head">
            <h1>"People"</h1>
            <input class="search" type="search" placeholder="Search people…" prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
        </div>
        {move || failure.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
        <Suspense fallback=|| view! { <p class="muted">"Loading people…"</p> }>
            {move || people.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(page) if page.items.is_empty() => view! { <p class="empty">"Nobody here yet."</p> }.into_any(),
                Ok(page) => view! {
                    <table class="table" data-testid="people-table">
                        <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Status"</th><th>"Second factor"</th><th>"Last sign-in"</th><th></th></tr></thead>
                        <tbody>{page.items.into_iter().map(|m| {
                            let id = m.user.id;
                            let me = my_id() == Some(id);
                            let active = m.user.status == UserStatus::Active;
                            let role = m.role;
                            view! {
                                <tr data-email=m.user.email.clone()>
                                    <td>{m.user.name.clone()}</td>
                                    <td>{m.user.email.clone()}</td>
                                    <td>
                                        <Show when=move || is_admin() && !me fallback=move || role.to_string()>
                                            <select name="role"
                                                on:change=move |ev| {
                                                    if let Ok(r) = event_target_value(&ev).parse::<Role>() {
                                                        change(id, UpdateMember { role: Some(r), ..Default::default() });
                                                    }
                                                }>
                                                {role_options(role)}
                                            </select>
                                        </Show>
                                    </td>
                                    <td><span class=format!("badge {}", m.user.status)>{m.user.status.to_string()}</span></td>
                                    <td data-testid="member-mfa">{if m.mfa.is_empty() { view! { <span class="muted">"password only"</span> }.into_any() } else { view! { <span class="badge active">{m.mfa.join(", ").replace("totp", "TOTP")}</span> }.into_any() }}</td>
                                    <td>{m.user.last_login_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</td>
                                    <td>
                                        <Show when=move || is_admin() && !me>
                                            <button class="btn small" on:click=move |_| change(id, UpdateMember {
                                                status: Some(if active { UserStatus::Disabled } else { UserStatus::Active }), ..Default::default()
                                            })>{if active { "Disable" } else { "Enable" }}</button>
                                            <button class="btn small danger" on:click=move |_| remove(id)>"Remove"</button>
                                        </Show>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
        <Show when=is_admin>
            <Invitations on_changed=move || version.update(|v| *v += 1)/>
            <AddPerson on_added=move || version.update(|v| *v += 1)/>
        </Show>
    }
}

#[component]
fn Invitations(on_changed: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let session = use_session();
    let version = RwSignal::new(0u32);
    let email = RwSignal::new(String::new());
    let role = RwSignal::new("member".to_string());
    let failure = RwSignal::new(None::<ApiFailure>);
    let link = RwSignal::new(None::<InvitationCreated>);
    let pending = LocalResource::new(move || {
        let org = session.org_header();
        version.get();
        async move { client::get::<Page<Invitation>>("/api/v1/invitations?limit=200", org).await }
    });
    let outbox = LocalResource::new(move || {
        let org = session.org_header();
        version.get();
        async move { client::get::<Page<OutboxMail>>("/api/v1/outbox?limit=50", org).await }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(r) = role.get_untracked().parse::<Role>() else { return };
        let body = CreateInvitation { email: email.get_untracked(), role: r };
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::post::<InvitationCreated, _>("/api/v1/invitations", org, &body).await {
                Ok(created) => {
                    failure.set(None);
                    email.set(String::new());
                    link.set(Some(created));
                    version.update(|v| *v += 1);
                    on_changed();
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    let resend = move |id: uuid::Uuid| {
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::post::<InvitationCreated, _>(&format!("/api/v1/invitations/{id}/resend"), org, &serde_json::json!({})).await {
                Ok(created) => link.set(Some(created)),
                Err(f) => failure.set(Some(f)),
            }
            version.update(|v| *v += 1);
        });
    };
    let revoke = move |id: uuid::Uuid| {
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            if let Err(f) = client::delete(&format!("/api/v1/invitations/{id}"), org).await {
                failure.set(Some(f));
            }
            version.update(|v| *v += 1);
        });
    };
    let err = move |field: &'static str| move || failure.get().and_then(|f| f.field(field)).map(|e| view! { <p class="field-error">{e}</p> });
    view! {
        <form class="card form-grid" on:submit=submit data-testid="invite-form">
            <h2>"Invite someone"</h2>
            <label>"Email"
                <input name="email" type="email" prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                {err("email")}
            </label>
            <label>"Role"
                <select name="role" prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>{role_options(Role::Member)}</select>
                {err("role")}
            </label>
            {move || failure.get().filter(|f| f.fields.is_empty()).map(|f| view! { <p class="error">{f.message}</p> })}
            <button class="btn primary" type="submit">"Send invitation"</button>
        </form>
        {move || link.get().map(|c| view! {
            <div class="card" role="status" data-testid="invitation-link">
                <p>"Invitation for " <strong>{c.email.clone()}</strong> " (" {c.role.to_string()} "), valid until " {short_time(&c.expires_at)} ". Its link, shown this once:"</p>
                <code class="secret">{c.accept_url.clone()}</code>
                <button class="btn small" on:click=move |_| link.set(None)>"Done"</button>
            </div>
        })}
        <h2>"Pending invitations"</h2>
        <Suspense fallback=|| view! { <p class="muted">"Loading invitations…"</p> }>
            {move || pending.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(page) if page.items.is_empty() => view! { <p class="empty">"No pending invitations."</p> }.into_any(),
                Ok(page) => view! {
                    <table class="table" data-testid="invitations-table">
                        <thead><tr><th>"Email"</th><th>"Role"</th><th>"Invited by"</th><th>"Expires"</th><th></th></tr></thead>
                        <tbody>{page.items.into_iter().map(|i| {
                            let id = i.id;
                            view! { <tr data-email=i.email.clone()>
                                <td>{i.email.clone()}</td>
                                <td>{i.role.to_string()}</td>
                                <td>{i.invited_by_email.clone().unwrap_or_default()}</td>
                                <td>{if i.expired { format!("expired {}", short_time(&i.expires_at)) } else { short_time(&i.expires_at) }}</td>
                                <td>
                                    <button class="btn small" on:click=move |_| resend(id)>"Resend"</button>
                                    <button class="btn small danger" on:click=move |_| revoke(id)>"Revoke"</button>
                                </td>
                            </tr> }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
        <h2>"Outbox"</h2>
        <p class="muted">"Mails this org sent. Without an SMTP server they stay here: pass the accept link on yourself."</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading mail…"</p> }>
            {move || outbox.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(page) if page.items.is_empty() => view! { <p class="empty">"No mail yet."</p> }.into_any(),
                Ok(page) => view! {
                    <ul class="outbox" data-testid="outbox">{page.items.into_iter().map(|m| view! {
                        <li class="card">
                            <p><strong>{m.subject.clone()}</strong> " → " {m.to.clone()} <small class="muted">{format!(" {}", short_time(&m.created_at))}</small></p>
                            <p class="muted">{match (&m.sent_at, &m.error) {
                                (Some(t), _) => format!("sent {}", short_time(t)),
                                (None, Some(e)) => format!("not delivered: {e}"),
                                (None, None) => "kept here (no SMTP server configured)".to_string(),
                            }}</p>
                            <pre>{m.body.clone()}</pre>
                        </li>
                    }).collect_view()}</ul>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn AddPerson(on_added: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let session = use_session();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new("member".to_string());
    let password = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiFailure>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(r) = role.get_untracked().parse::<Role>() else { return };
        let pw = password.get_untracked();
        let body = AddUser { email: email.get_untracked(), name: name.get_untracked(), role: r, password: (!pw.is_empty()).then(|| pw.into()), group_ids: None };
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::post::<Member, _>("/api/v1/users", org, &body).await {
                Ok(_) => {
                    failure.set(None);
                    email.set(String::new());
                    name.set(String::new());
                    password.set(String::new());
                    on_added();
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    let err = move |field: &'static str| move || failure.get().and_then(|f| f.field(field)).map(|e| view! { <p class="field-error">{e}</p> });
    view! {
        <form class="card form-grid" method="post" on:submit=submit data-testid="add-user">
            <h2>"Add someone directly"</h2>
            <label>"Email"
                <input name="email" type="email" prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                {err("email")}
            </label>
            <label>"Name"
                <input name="name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                {err("name")}
            </label>
            <label>"Role"
                <select name="role" prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>{role_options(Role::Member)}</select>
            </label>
            <label>"Password (optional)"
                <input name="password" type="password" autocomplete="new-password" prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                {err("password")}
            </label>
            {move || failure.get().filter(|f| f.fields.is_empty()).map(|f| view! { <p class="error">{f.message}</p> })}
            <button class="btn primary" type="submit">"Add person"</button>
        </form>
    }
}
