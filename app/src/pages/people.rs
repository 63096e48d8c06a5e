//! People in the current org: members (role, disable/enable, remove), adding someone
//! directly, invitations (invite, resend, revoke) and the outbox of mails not sent by SMTP.
use crate::client::{self, ApiFailure};
use crate::confirm;
use crate::layout::use_session;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{AddUser, CreateInvitation, GroupRef, InvitationCreated, ListQuery, Member, UpdateMember};
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

/// What a role lets a person do here, for the question before a role change.
fn role_meaning(role: Role) -> &'static str {
    match role {
        Role::Admin => "can manage people, settings and every asset",
        Role::Member => "can work with assets but not manage people or settings",
        Role::Viewer => "can only look",
    }
}

#[component]
pub fn PeoplePage() -> impl IntoView {
    let session = use_session();
    let query = RwSignal::new(String::new());
    let version = RwSignal::new(0u32);
    let is_admin = move || session.current.get().is_some_and(|c| c.can.manage_people);
    let my_id = move || session.me.get().map(|m| m.user.id);
    let org_name = move || session.current.with_untracked(|c| c.as_ref().map(|c| c.org.name.clone()).unwrap_or_default());
    let people = LocalResource::new(move || {
        let q = ListQuery { limit: Some(200), q: client::non_empty(query.get()), ..Default::default() };
        let org = session.org_header();
        version.get();
        async move { client::people::members(org, &q).await }
    });
    let reload = move || version.update(|v| *v += 1);
    // Every change says how it ended in the one flash area, and the table shows the truth after.
    let change = move |id: uuid::Uuid, body: UpdateMember, success: String| {
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            confirm::outcome(match client::people::update(org, id, &body).await {
                Ok(_) => Ok(success),
                Err(f) => Err(format!("Nothing changed: {}", f.fields.values().next().cloned().unwrap_or(f.message))),
            });
            reload();
        });
    };
    let ask_role = move |m: Member, role: Role| {
        let org = org_name();
        let who = m.user.name.clone();
        confirm::ask_or(
            format!("Make {who} {} of {org}?", with_article(role)),
            format!("{who} ({}) is {} of {org} now. As {} they {}.", m.user.email, with_article(m.role), with_article(role), role_meaning(role)),
            format!("Make {who} {role}"),
            move || change(m.user.id, UpdateMember { role: Some(role), ..Default::default() }, format!("{who} is now {} of {org}.", with_article(role))),
            // Cancelled: the picker goes back to the role they have.
            reload,
        );
    };
    let ask_status = move |m: Member| {
        let org = org_name();
        let who = m.user.name.clone();
        let active = m.user.status == UserStatus::Active;
        let (title, detail, action, status, success) = if active {
            (format!("Disable {who}?"), format!("{who} ({}) can't sign in until enabled again; their sessions end.", m.user.email),
             format!("Disable {who}"), UserStatus::Disabled, format!("{who} is disabled."))
        } else {
            (format!("Enable {who}?"), format!("{who} ({}) can sign in to {org} again.", m.user.email),
             format!("Enable {who}"), UserStatus::Active, format!("{who} is enabled again."))
        };
        confirm::ask(title, detail, action, move || change(m.user.id, UpdateMember { status: Some(status), ..Default::default() }, success.clone()));
    };
    let ask_remove = move |m: Member| {
        let org = org_name();
        let who = m.user.name.clone();
        let home_here = session.current.with_untracked(|c| c.as_ref().is_some_and(|c| c.org.id == m.user.home_org_id));
        let detail = if home_here {
            format!("{who} ({}) belongs to {org}: their account is deleted, with their sessions and tokens. This can't be undone.", m.user.email)
        } else {
            format!("{who} ({}) loses access to {org}; their account in their own org stays.", m.user.email)
        };
        let id = m.user.id;
        confirm::ask(format!("Remove {who} from {org}?"), detail, format!("Remove {who}"), move || {
            let org_header = session.org_header();
            let (who, org) = (who.clone(), org.clone());
            leptos::task::spawn_local(async move {
                confirm::outcome(match client::people::remove(org_header, id).await {
                    Ok(_) => Ok(format!("{who} was removed from {org}.")),
                    Err(f) => Err(format!("{who} was not removed: {}", f.fields.values().next().cloned().unwrap_or(f.message))),
                });
                reload();
            });
        });
    };
    view! {
        <Title text="People"/>
        <div class="page-head">
            <h1>"People"</h1>
            <input class="search" type="search" aria-label="Search people" placeholder="Search people…" prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading people…"</p> }>
            {move || people.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(page) if page.items.is_empty() => view! { <p class="empty">"Nobody here yet."</p> }.into_any(),
                Ok(page) => view! {
                    <table class="table cards" data-testid="people-table">
                        <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Status"</th><th>"Second factor"</th><th>"Last sign-in"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>{page.items.into_iter().map(|m| {
                            let id = m.user.id;
                            let me = my_id() == Some(id);
                            let active = m.user.status == UserStatus::Active;
                            let role = m.role;
                            let (for_role, for_status, for_remove, for_groups) = (m.clone(), m.clone(), m.clone(), m.clone());
                            let role_label = format!("Role of {}", m.user.name);
                            view! {
                                <tr data-email=m.user.email.clone()>
                                    <td data-label="Name">{m.user.name.clone()}</td>
                                    <td data-label="Email">{m.user.email.clone()}</td>
                                    <td data-label="Role">
                                        <Show when=move || is_admin() && !me fallback=move || role.to_string()>
                                            <select name="role" aria-label=role_label.clone()
                                                on:change={
                                                    let m = for_role.clone();
                                                    move |ev| {
                                                        if let Ok(r) = event_target_value(&ev).parse::<Role>() {
                                                            ask_role(m.clone(), r);
                                                        }
                                                    }
                                                }>
                                                {role_options(role)}
                                            </select>
                                        </Show>
                                        {(role == Role::Viewer).then(|| view! {
                                            <GroupLimit member=for_groups.clone() can_edit=Signal::derive(move || is_admin() && !me)
                                                on_saved=Callback::new(move |_| reload())/>
                                        })}
                                    </td>
                                    <td data-label="Status"><span class=format!("badge {}", m.user.status)>{m.user.status.to_string()}</span></td>
                                    <td data-label="Second factor" data-testid="member-mfa">{if m.mfa.is_empty() { view! { <span class="muted">"password only"</span> }.into_any() } else { view! { <span class="badge active">{m.mfa.join(", ").replace("totp", "TOTP")}</span> }.into_any() }}</td>
                                    <td data-label="Last sign-in">{m.user.last_login_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</td>
                                    <td class="actions">
                                        <Show when=move || is_admin() && !me>
                                            <button class="btn small" type="button" on:click={
                                                let m = for_status.clone();
                                                move |_| ask_status(m.clone())
                                            }>{if active { "Disable" } else { "Enable" }}</button>
                                            <button class="btn small danger" type="button" on:click={
                                                let m = for_remove.clone();
                                                move |_| ask_remove(m.clone())
                                            }>"Remove"</button>
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

/// The groups of the current org (for limiting a viewer), loaded once per page.
fn org_groups() -> LocalResource<Result<Vec<GroupRef>, ApiFailure>> {
    let session = use_session();
    LocalResource::new(move || {
        let org = session.org_header();
        async move {
            client::assets::groups(org, &client::assets::first(500))
                .await
                .map(|p| p.items.into_iter().map(|g| GroupRef { id: g.id, name: g.name }).collect())
        }
    })
}

/// "every group" or "only Front desk PCs, Lab".
fn limit_text(limit: &Option<Vec<GroupRef>>) -> String {
    match limit {
        None => "sees every group".to_string(),
        Some(groups) if groups.is_empty() => "sees no group (their groups were deleted)".to_string(),
        Some(groups) => format!("sees only {}", groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>().join(", ")),
    }
}

/// Ticks for the groups a viewer is limited to; none ticked means every group.
#[component]
fn GroupPicker(groups: LocalResource<Result<Vec<GroupRef>, ApiFailure>>, chosen: RwSignal<Vec<uuid::Uuid>>) -> impl IntoView {
    view! {
        <fieldset class="group-picker" data-testid="group-picker">
            <legend>"Limit to groups"</legend>
            <Suspense fallback=|| view! { <span class="muted">"Loading groups…"</span> }>
                {move || groups.get().map(|r| match r {
                    Err(e) => view! { <span class="error">{e.message}</span> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <span class="muted">"This org has no groups yet (Groups page)."</span> }.into_any(),
                    Ok(list) => list.into_iter().map(|g| {
                        let id = g.id;
                        view! {
                            <label class="inline">
                                <input type="checkbox" name="group" value=id.to_string() prop:checked=move || chosen.with(|c| c.contains(&id))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| { c.retain(|x| *x != id); if on { c.push(id); } });
                                    }/>
                                {g.name.clone()}
                            </label>
                        }
                    }).collect_view().into_any(),
                })}
            </Suspense>
            <small class="muted">"None ticked: every group."</small>
        </fieldset>
    }
}

/// A viewer's limit in their People row, and (for admins) changing it.
#[component]
fn GroupLimit(member: Member, can_edit: Signal<bool>, on_saved: Callback<()>) -> impl IntoView {
    let session = use_session();
    let editing = RwSignal::new(false);
    let chosen = RwSignal::new(member.group_limit.clone().unwrap_or_default().iter().map(|g| g.id).collect::<Vec<_>>());
    let text = limit_text(&member.group_limit);
    let id = member.user.id;
    let who = member.user.name.clone();
    let save = move |_| {
        let org = session.org_header();
        let body = UpdateMember { group_ids: Some(chosen.get_untracked()), ..Default::default() };
        let who = who.clone();
        leptos::task::spawn_local(async move {
            confirm::outcome(match client::people::update(org, id, &body).await {
                Ok(m) => Ok(format!("{who} {}.", limit_text(&m.group_limit))),
                Err(f) => Err(format!("Nothing changed: {}", f.fields.values().next().cloned().unwrap_or(f.message))),
            });
            editing.set(false);
            on_saved.run(());
        });
    };
    view! {
        <div class="group-limit">
            <small class="muted" data-testid="member-groups">{text}</small>
            <Show when=move || can_edit.get() && !editing.get()>
                <button class="btn small" type="button" data-testid="edit-groups" on:click=move |_| editing.set(true)>"Limit to groups…"</button>
            </Show>
            <Show when=move || editing.get()>
                <GroupPicker groups=org_groups() chosen/>
                <button class="btn small primary" type="button" data-testid="save-groups" on:click=save.clone()>"Save"</button>
                <button class="btn small" type="button" on:click=move |_| editing.set(false)>"Cancel"</button>
            </Show>
        </div>
    }
}

/// "an admin", "a member", "a viewer".
fn with_article(role: Role) -> String {
    match role {
        Role::Admin => "an admin".into(),
        r => format!("a {r}"),
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
        async move { client::people::invitations(org, &client::assets::first(200)).await }
    });
    let outbox = LocalResource::new(move || {
        let org = session.org_header();
        version.get();
        async move { client::people::outbox(org, &client::assets::first(50)).await }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(r) = role.get_untracked().parse::<Role>() else { return };
        let body = CreateInvitation { email: email.get_untracked(), role: r };
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::people::invite(org, &body).await {
                Ok(created) => {
                    failure.set(None);
                    email.set(String::new());
                    role.set("member".to_string());
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
            match client::people::resend(org, id).await {
                Ok(created) => link.set(Some(created)),
                Err(f) => failure.set(Some(f)),
            }
            version.update(|v| *v += 1);
        });
    };
    let revoke = move |id: uuid::Uuid, to: String| {
        let org_name = session.current.with_untracked(|c| c.as_ref().map(|c| c.org.name.clone()).unwrap_or_default());
        confirm::ask(
            format!("Revoke the invitation for {to}?"),
            format!("The link sent to {to} stops working; they can't join {org_name} with it. You can invite them again later."),
            "Revoke invitation",
            move || {
                let org = session.org_header();
                let to = to.clone();
                leptos::task::spawn_local(async move {
                    confirm::outcome(match client::people::revoke_invitation(org, id).await {
                        Ok(_) => Ok(format!("The invitation for {to} is revoked.")),
                        Err(f) => Err(format!("The invitation for {to} was not revoked: {}", f.message)),
                    });
                    version.update(|v| *v += 1);
                });
            },
        );
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
                <p><code class="secret"><a href=c.accept_url.clone()>{c.accept_url.clone()}</a></code></p>
                <button class="btn small" type="button" on:click={
                    let url = c.accept_url.clone();
                    move |_| copy_to_clipboard(&url)
                }>"Copy link"</button>
                " "
                <button class="btn small" type="button" on:click=move |_| link.set(None)>"Done"</button>
            </div>
        })}
        <h2>"Pending invitations"</h2>
        <Suspense fallback=|| view! { <p class="muted">"Loading invitations…"</p> }>
            {move || pending.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(page) if page.items.is_empty() => view! { <p class="empty">"No pending invitations."</p> }.into_any(),
                Ok(page) => view! {
                    <table class="table" data-testid="invitations-table">
                        <thead><tr><th>"Email"</th><th>"Role"</th><th>"Invited by"</th><th>"Expires"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>{page.items.into_iter().map(|i| {
                            let id = i.id;
                            let to = i.email.clone();
                            view! { <tr data-email=i.email.clone()>
                                <td>{i.email.clone()}</td>
                                <td>{i.role.to_string()}</td>
                                <td>{i.invited_by_email.clone().unwrap_or_default()}</td>
                                <td>{if i.expired { format!("expired {}", short_time(&i.expires_at)) } else { short_time(&i.expires_at) }}</td>
                                <td>
                                    <button class="btn small" type="button" on:click=move |_| resend(id)>"Resend"</button>
                                    <button class="btn small danger" type="button" on:click=move |_| revoke(id, to.clone())>"Revoke"</button>
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
                            <MailBody body=m.body.clone()/>
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
    let groups = org_groups();
    let chosen = RwSignal::new(Vec::<uuid::Uuid>::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(r) = role.get_untracked().parse::<Role>() else { return };
        let pw = password.get_untracked();
        let limit = chosen.get_untracked();
        let group_ids = (r == Role::Viewer && !limit.is_empty()).then_some(limit);
        let body = AddUser { email: email.get_untracked(), name: name.get_untracked(), role: r, password: (!pw.is_empty()).then(|| pw.into()), group_ids };
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::people::add(org, &body).await {
                Ok(m) => {
                    failure.set(None);
                    confirm::done(format!("Added {} ({}) as {}{}.", m.user.name, m.user.email, with_article(m.role),
                        if m.group_limit.is_some() { format!(" who {}", limit_text(&m.group_limit)) } else { String::new() }));
                    // A fresh form: the next person starts from the default role, not the last one picked.
                    email.set(String::new());
                    name.set(String::new());
                    password.set(String::new());
                    role.set("member".to_string());
                    chosen.set(Vec::new());
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
                {err("role")}
            </label>
            <Show when=move || role.get() == "viewer">
                <div class="span-all">
                    <GroupPicker groups chosen/>
                    {err("group_ids")}
                </div>
            </Show>
            <label>"Password (optional)"
                <input name="password" type="password" autocomplete="new-password" prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                {err("password")}
            </label>
            {move || failure.get().filter(|f| f.fields.is_empty()).map(|f| view! { <p class="error">{f.message}</p> })}
            <button class="btn primary" type="submit">"Add person"</button>
        </form>
    }
}

/// A mail's text with its links clickable, each with a button that copies it.
#[component]
fn MailBody(body: String) -> impl IntoView {
    let parts: Vec<(bool, String)> = split_links(&body);
    view! {
        <pre class="mail-body">{parts.into_iter().map(|(is_link, text)| if is_link {
            let copy = text.clone();
            view! {
                <a href=text.clone() data-testid="outbox-link">{text.clone()}</a>
                " "
                <button class="btn small" type="button" data-testid="copy-link" on:click=move |_| copy_to_clipboard(&copy)>"Copy link"</button>
            }.into_any()
        } else {
            text.into_any()
        }).collect_view()}</pre>
    }
}

/// Splits `text` into plain runs and `http(s)://` links (a link ends at whitespace).
fn split_links(text: &str) -> Vec<(bool, String)> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("http://").into_iter().chain(rest.find("https://")).min() {
        if at > 0 {
            parts.push((false, rest[..at].to_string()));
        }
        let end = rest[at..].find(char::is_whitespace).map_or(rest.len(), |e| at + e);
        parts.push((true, rest[at..end].to_string()));
        rest = &rest[end..];
    }
    if !rest.is_empty() {
        parts.push((false, rest.to_string()));
    }
    parts
}

/// Puts `text` on the clipboard and says so in the flash.
fn copy_to_clipboard(text: &str) {
    #[cfg(feature = "hydrate")]
    {
        let clipboard = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
            .and_then(|n| js_sys::Reflect::get(&n, &"clipboard".into()));
        let write = clipboard.clone().and_then(|c| js_sys::Reflect::get(&c, &"writeText".into()));
        match (clipboard, write) {
            (Ok(c), Ok(f)) if f.is_function() => {
                let f: js_sys::Function = f.into();
                let _ = f.call1(&c, &text.into());
                confirm::done("Link copied.");
            }
            _ => confirm::failed("This browser doesn't let the page copy; select the link and copy it."),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

#[cfg(test)]
mod tests {
    use super::split_links;

    #[test]
    fn links_are_split_out_of_mail_text() {
        let parts = split_links("Hi,\naccept: http://x.localhost/accept?token=a1 soon.\nhttps://y/z");
        assert_eq!(parts, vec![
            (false, "Hi,\naccept: ".to_string()),
            (true, "http://x.localhost/accept?token=a1".to_string()),
            (false, " soon.\n".to_string()),
            (true, "https://y/z".to_string()),
        ]);
        assert_eq!(split_links("no links"), vec![(false, "no links".to_string())]);
    }
}
