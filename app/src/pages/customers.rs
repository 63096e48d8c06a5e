//! Customers of the current MSP: list, search, add (with the suggested slug), suspend,
//! delete with typed confirmation, and delegated admins per customer.
use crate::client::{self, ApiFailure};
use crate::confirm;
use crate::layout::{js_encode, use_session};
use crate::pages::tag_ui::{TagChips, TagFilter, tag_param};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{CreateDelegation, Delegation, Member, Org, OrgEntry, Page, UpdateOrg};
use shared::{OrgSlug, OrgStatus, Role};

#[derive(serde::Serialize)]
struct NewCustomer {
    name: String,
    slug: Option<String>,
    email_domain: String,
}

#[component]
pub fn CustomersPage() -> impl IntoView {
    let session = use_session();
    let msp = move || session.current.with(|c| c.as_ref().is_some_and(|c| c.can.overview));
    view! {
        <Show when=msp fallback=|| view! { <Title text="Customers"/><crate::layout::MspOnly what="Customers"/> }>
            <Customers/>
        </Show>
    }
}

#[component]
fn Customers() -> impl IntoView {
    let session = use_session();
    let query = RwSignal::new(String::new());
    let tag = RwSignal::new(String::new());
    let version = RwSignal::new(0u32);
    let customers = LocalResource::new(move || {
        let q = js_encode(&query.get());
        let tag = tag_param(&tag.get());
        let org = session.org_header();
        version.get();
        async move { client::get::<Page<OrgEntry>>(&format!("/api/v1/customers?limit=500&q={q}{tag}"), org).await }
    });
    let selected = RwSignal::new(None::<OrgEntry>);
    let is_admin = move || session.current.get().is_some_and(|c| c.can.manage_customers);
    view! {
        <Title text="Customers"/>
        <div class="page-head">
            <h1>"Customers"</h1>
            <input class="search" type="search" aria-label="Search customers" placeholder="Search customers…" data-testid="customer-search"
                prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
            <TagFilter value=tag/>
        </div>
        <Show when=is_admin>
            <AddCustomer on_added=move || version.update(|v| *v += 1)/>
        </Show>
        <Suspense fallback=|| view! { <p class="muted">"Loading customers…"</p> }>
            {move || customers.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(page) if page.items.is_empty() => view! { <p class="empty">"No customers yet. Add the first one above."</p> }.into_any(),
                Ok(page) => view! {
                    <table class="table" data-testid="customers-table">
                        <thead><tr><th>"Name"</th><th>"Slug"</th><th>"Status"</th><th>"Your role"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>
                            {page.items.into_iter().map(|c| {
                                let pick = c.clone();
                                view! {
                                    <tr data-slug=c.slug.clone()>
                                        <td>{c.name.clone()}<TagChips tags=c.tags.clone()/></td>
                                        <td><code>{c.slug.clone()}</code></td>
                                        <td><span class=format!("badge {}", c.status)>{c.status.to_string()}</span></td>
                                        <td>{c.role.to_string()}</td>
                                        <td><button class="btn small" on:click=move |_| selected.set(Some(pick.clone()))>"Manage"</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
        {move || selected.get().map(|c| view! {
            <CustomerPanel customer=c on_changed=move || { version.update(|v| *v += 1); } on_close=move || selected.set(None)/>
        })}
    }
}

#[component]
fn AddCustomer(on_added: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let session = use_session();
    let name = RwSignal::new(String::new());
    let slug = RwSignal::new(String::new());
    let slug_touched = RwSignal::new(false);
    let domain = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiFailure>);
    let msp_slug = move || session.current.get().map(|c| c.org.slug.clone()).unwrap_or_default();
    // Empty until a name is typed; then it follows the name.
    let suggested = move || name.with(|n| if n.trim().is_empty() { String::new() } else { OrgSlug::suggest(n, Some(&msp_slug())) });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = NewCustomer {
            name: name.get_untracked(),
            slug: Some(if slug_touched.get_untracked() { slug.get_untracked() } else { suggested() }),
            email_domain: domain.get_untracked(),
        };
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::post::<Org, _>("/api/v1/customers", org, &body).await {
                Ok(created) => {
                    failure.set(None);
                    confirm::done(format!("Added {} ({}).", created.name, created.slug));
                    name.set(String::new());
                    slug.set(String::new());
                    slug_touched.set(false);
                    domain.set(String::new());
                    on_added();
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    let err = move |field: &'static str| move || failure.get().and_then(|f| f.field(field)).map(|e| view! { <p class="field-error">{e}</p> });
    view! {
        <form class="card form-grid" on:submit=submit data-testid="add-customer">
            <h2>"Add customer"</h2>
            <label>"Name"
                <input name="name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                {err("name")}
            </label>
            <label>"Slug (tenant URL)"
                <input name="slug" prop:value=move || if slug_touched.get() { slug.get() } else { suggested() }
                    on:input=move |ev| { slug_touched.set(true); slug.set(event_target_value(&ev)); }/>
                {err("slug")}
            </label>
            <label>"Email domain"
                <input name="email_domain" placeholder="customer.com" prop:value=move || domain.get() on:input=move |ev| domain.set(event_target_value(&ev))/>
                <small class="warn">"The email domain can't be changed later."</small>
                {err("email_domain")}
            </label>
            {move || failure.get().filter(|f| f.fields.is_empty()).map(|f| view! { <p class="error">{f.message}</p> })}
            <button class="btn primary" type="submit">"Add customer"</button>
        </form>
    }
}

#[component]
fn CustomerPanel(customer: OrgEntry, on_changed: impl Fn() + Copy + Send + Sync + 'static, on_close: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let session = use_session();
    let id = customer.id;
    let slug = customer.slug.clone();
    let version = RwSignal::new(0u32);
    let failure = RwSignal::new(None::<String>);
    let delegations = LocalResource::new(move || {
        let org = session.org_header();
        version.get();
        async move { client::get::<Vec<Delegation>>(&format!("/api/v1/customers/{id}/delegations"), org).await }
    });
    let technicians = LocalResource::new(move || {
        let org = session.org_header();
        async move { client::get::<Page<Member>>("/api/v1/users?limit=500", org).await }
    });
    let tech = RwSignal::new(String::new());
    let expires = RwSignal::new(String::new());
    let grant = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(user_id) = uuid::Uuid::parse_str(&tech.get_untracked()) else {
            failure.set(Some("Choose a technician.".into()));
            return;
        };
        let exp = expires.get_untracked();
        let body = CreateDelegation { user_id, expires_at: (!exp.is_empty()).then_some(exp) };
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::post::<Delegation, _>(&format!("/api/v1/customers/{id}/delegations"), org, &body).await {
                Ok(d) => {
                    failure.set(None);
                    confirm::done(format!("{} can administer {} now.", d.user_name, d.customer_name));
                    tech.set(String::new());
                    expires.set(String::new());
                    version.update(|v| *v += 1);
                }
                Err(f) => failure.set(Some(f.fields.values().next().cloned().unwrap_or(f.message))),
            }
        });
    };
    let customer_name = StoredValue::new(customer.name.clone());
    let revoke = move |user: uuid::Uuid, who: String| {
        let customer_name = customer_name.get_value();
        confirm::ask(
            format!("Revoke {who}'s delegated access to {customer_name}?"),
            format!("{who} can no longer administer {customer_name} (unless another grant lets them)."),
            "Revoke access",
            move || {
                let org = session.org_header();
                let (who, customer_name) = (who.clone(), customer_name.clone());
                leptos::task::spawn_local(async move {
                    confirm::outcome(match client::delete(&format!("/api/v1/customers/{id}/delegations/{user}"), org).await {
                        Ok(_) => Ok(format!("{who} no longer administers {customer_name}.")),
                        Err(f) => Err(format!("Nothing changed: {}", f.message)),
                    });
                    version.update(|v| *v += 1);
                });
            },
        );
    };
    let suspended = customer.status == OrgStatus::Suspended;
    let name = customer.name.clone();
    let toggle_status = move |_| {
        let name = name.clone();
        let (title, detail, action, done) = if suspended {
            (format!("Reactivate {name}?"), format!("People of {name} and its child tenants can sign in and work again."),
             format!("Reactivate {name}"), format!("{name} is active again."))
        } else {
            (format!("Suspend {name}?"), format!("Nobody can sign in to {name} or its child tenants, and its API tokens stop working, until you reactivate it. Nothing is deleted."),
             format!("Suspend {name}"), format!("{name} is suspended."))
        };
        confirm::ask(title, detail, action, move || {
            let body = UpdateOrg { status: Some(if suspended { OrgStatus::Active } else { OrgStatus::Suspended }), ..Default::default() };
            let (name, done) = (name.clone(), done.clone());
            leptos::task::spawn_local(async move {
                match client::patch::<Org, _>(&format!("/api/v1/orgs/{id}"), None, &body).await {
                    Ok(_) => { confirm::done(done); on_changed(); on_close(); }
                    Err(f) => confirm::failed(format!("{name} was not changed: {}", f.message)),
                }
            });
        });
    };
    let confirm = RwSignal::new(String::new());
    let slug_for_check = slug.clone();
    // The typed slug is the question here: it names the customer, and the text says what goes.
    let deleted_name = customer.name.clone();
    let delete = move |_| {
        let name = deleted_name.clone();
        leptos::task::spawn_local(async move {
            match client::delete(&format!("/api/v1/orgs/{id}"), None).await {
                Ok(_) => { confirm::done(format!("{name} is deleted.")); on_changed(); on_close(); }
                Err(f) => confirm::failed(format!("{name} was not deleted: {}", f.message)),
            }
        });
    };
    view! {
        <div class="card panel" data-testid="customer-panel">
            <div class="panel-head">
                <h2>{customer.name.clone()}</h2>
                <button class="btn ghost" on:click=move |_| on_close()>"Close"</button>
            </div>
            {move || failure.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            <h3>"Delegated admins"</h3>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || delegations.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No technician has delegated access."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="table" data-testid="delegations-table">
                            <thead><tr><th>"Technician"</th><th>"Granted by"</th><th>"Since"</th><th>"Expires"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                            <tbody>{list.into_iter().map(|d| {
                                let user = d.user_id;
                                let who = d.user_name.clone();
                                view! { <tr>
                                    <td>{d.user_name.clone()} <small class="muted">{format!(" {}", d.user_email)}</small></td>
                                    <td>{d.granted_by_email.clone()}</td>
                                    <td>{d.created_at.get(..10).unwrap_or("").to_string()}</td>
                                    <td>{match (&d.expires_at, d.active) {
                                        (None, _) => "never".to_string(),
                                        (Some(t), true) => t.get(..10).unwrap_or("").to_string(),
                                        (Some(t), false) => format!("expired {}", t.get(..10).unwrap_or("")),
                                    }}</td>
                                    <td><button class="btn small danger" type="button" on:click=move |_| revoke(user, who.clone())>"Revoke"</button></td>
                                </tr> }
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
            <form class="inline-form" on:submit=grant data-testid="delegate-form">
                <select aria-label="Technician" prop:value=move || tech.get() on:change=move |ev| tech.set(event_target_value(&ev)) name="technician">
                    <option value="">"Delegate admin to…"</option>
                    {move || technicians.get().and_then(Result::ok).map(|p| p.items.into_iter()
                        .filter(|m| m.role != Role::Admin)
                        .map(|m| view! { <option value=m.user.id.to_string()>{format!("{} ({})", m.user.name, m.user.email)}</option> })
                        .collect_view())}
                </select>
                <label class="inline">"until " <input type="date" name="expires_at" prop:value=move || expires.get() on:input=move |ev| expires.set(event_target_value(&ev))/></label>
                <button class="btn primary" type="submit">"Delegate admin"</button>
            </form>
            <h3>"Lifecycle"</h3>
            <button class="btn" type="button" data-testid="toggle-status" on:click=toggle_status>{if suspended { "Reactivate" } else { "Suspend" }}</button>
            <div class="danger-zone">
                <p>"Deleting " <strong>{customer.name.clone()}</strong> " removes its child tenants, users, invitations and settings. Type "
                   <code>{slug.clone()}</code> " to confirm."</p>
                <input name="confirm-slug" aria-label="Type the slug to confirm" prop:value=move || confirm.get() on:input=move |ev| confirm.set(event_target_value(&ev))/>
                <button class="btn danger" disabled=move || confirm.get() != slug_for_check on:click=delete>"Delete customer"</button>
            </div>
        </div>
    }
}
