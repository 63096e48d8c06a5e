//! The reverse view of delegation: for each person in the MSP, which customers they can
//! administer and why (admin of the MSP, a delegation until a date, or a scope: every customer
//! but some, or every customer with a tag), and where an admin gives or ends a scope.
use crate::client::{self, Gated};
use crate::confirm;
use crate::layout::use_session;
use crate::components::loaded;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::Role;
use shared::api::{Delegation, ListQuery, TechnicianScope};
use std::collections::BTreeSet;
use uuid::Uuid;

#[component]
pub fn TechniciansPage() -> impl IntoView {
    let session = use_session();
    let msp = move || session.current.with(|c| c.as_ref().is_some_and(|c| c.can.manage_customers));
    view! {
        <Show when=msp fallback=|| view! { <Title text="Technicians"/><crate::layout::MspOnly what="Technicians and their customers"/> }>
            <Technicians/>
        </Show>
    }
}

#[component]
fn Technicians() -> impl IntoView {
    let session = use_session();
    let data = LocalResource::new(move || {
        let org = session.org_header();
        async move {
            let people = client::people::members(org.clone(), &client::assets::first(500)).await?;
            let delegations = client::orgs::all_delegations(org).await?;
            Ok::<_, client::ApiFailure>((people.items, delegations))
        }
    });
    view! {
        <Title text="Technicians"/>
        <div class="page-head"><h1>"Technicians and their customers"</h1></div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || data.get().map(|r| loaded(r, |(people, delegations)| view! {
                    <table class="table" data-testid="technicians-table">
                        <thead><tr><th>"Person"</th><th>"Role in the MSP"</th><th>"Can administer"</th></tr></thead>
                        <tbody>{people.into_iter().map(|m| {
                            let mine: Vec<Delegation> = delegations.iter().filter(|d| d.user_id == m.user.id).cloned().collect();
                            let access = if m.role == Role::Admin {
                                view! { <span>"Every customer — admin of the MSP"</span> }.into_any()
                            } else if mine.is_empty() {
                                view! { <span class="muted">"No customer"</span> }.into_any()
                            } else {
                                view! { <ul class="plain">{mine.into_iter().map(|d| view! {
                                    <li>
                                        <strong>{d.customer_name.clone()}</strong>
                                        {match (&d.expires_at, d.active) {
                                            (None, _) => " — delegated, no end date".to_string(),
                                            (Some(t), true) => format!(" — delegated until {}", t.get(..10).unwrap_or("")),
                                            (Some(t), false) => format!(" — delegation expired {}", t.get(..10).unwrap_or("")),
                                        }}
                                        <small class="muted">{format!(" (by {})", d.granted_by_email)}</small>
                                    </li>
                                }).collect_view()}</ul> }.into_any()
                            };
                            let scope = (m.role != Role::Admin).then(|| view! { <ScopeEditor technician=m.user.id/> });
                            view! { <tr data-email=m.user.email.clone()><td>{m.user.name.clone()} <small class="muted">{format!(" {}", m.user.email)}</small></td><td>{m.role.to_string()}</td><td>{access}{scope}</td></tr> }
                        }).collect_view()}</tbody>
                    </table>
                }))}
        </Suspense>
    }
}

/// Which kind of scope the editor is set to.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    None,
    AllExcept,
    Tag,
}

/// One technician's scope: what it is, and a form to change or end it.
#[component]
fn ScopeEditor(technician: Uuid) -> impl IntoView {
    let session = use_session();
    let version = RwSignal::new(0u32);
    let scope = LocalResource::new(move || {
        let org = session.org_header();
        version.get();
        async move { client::tags::scope(org, technician).await.ok().flatten() }
    });
    let customers = LocalResource::new(move || {
        let org = session.org_header();
        async move { client::orgs::customers(org, &ListQuery { limit: Some(500), ..Default::default() }).await.map(|p| p.items).unwrap_or_default() }
    });
    let tags = crate::pages::tag_ui::msp_tags();
    let mode = RwSignal::new(Mode::None);
    let except = RwSignal::new(BTreeSet::<Uuid>::new());
    let tag = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<String>);
    // The form starts from the scope as it is.
    Effect::new(move |_| {
        let current = scope.get().flatten();
        mode.set(match &current {
            Some(TechnicianScope { all_except: Some(_), .. }) => Mode::AllExcept,
            Some(TechnicianScope { tag: Some(_), .. }) => Mode::Tag,
            _ => Mode::None,
        });
        except.set(current.as_ref().and_then(|s| s.all_except.clone()).unwrap_or_default().into_iter().collect());
        tag.set(current.and_then(|s| s.tag).map(|t| t.to_string()).unwrap_or_default());
    });
    let describe = move || {
        let name_of = |id: &Uuid| customers.get().unwrap_or_default().into_iter().find(|c| c.id == *id).map(|c| c.name).unwrap_or_else(|| id.to_string());
        match scope.get().flatten() {
            Some(TechnicianScope { all_except: Some(list), .. }) if list.is_empty() => "Scope: every customer".to_string(),
            Some(TechnicianScope { all_except: Some(list), .. }) => format!("Scope: every customer except {}", list.iter().map(name_of).collect::<Vec<_>>().join(", ")),
            Some(TechnicianScope { tag: Some(t), .. }) => {
                let name = tags.get().unwrap_or_default().into_iter().find(|x| x.id == t).map(|x| x.name).unwrap_or_default();
                format!("Scope: every customer tagged {name}")
            }
            _ => "No scope".to_string(),
        }
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let org = session.org_header();
        let body = match mode.get_untracked() {
            Mode::AllExcept => Some(TechnicianScope { all_except: Some(except.get_untracked().into_iter().collect()), tag: None }),
            Mode::Tag => match Uuid::parse_str(&tag.get_untracked()) {
                Ok(t) => Some(TechnicianScope { all_except: None, tag: Some(t) }),
                Err(_) => return failure.set(Some("Choose a tag.".into())),
            },
            Mode::None => None,
        };
        leptos::task::spawn_local(async move {
            let outcome = match body {
                Some(body) => client::tags::set_scope(org, technician, &body).await.map(|g| match g {
                    Gated::Done(_) => "Scope saved.".to_string(),
                    Gated::Held(_) => "This scope waits for a second admin: it applies once another admin approves it under Approvals.".to_string(),
                }),
                None if scope.get_untracked().flatten().is_some() => client::tags::revoke_scope(org, technician).await.map(|()| "Scope ended.".to_string()),
                None => Ok("No scope to end.".to_string()),
            };
            match outcome {
                Ok(message) => {
                    failure.set(None);
                    confirm::done(message);
                }
                Err(f) => failure.set(Some(f.fields.values().next().cloned().unwrap_or(f.message))),
            }
            version.update(|v| *v += 1);
        });
    };
    view! {
        <details class="scope" data-testid="scope">
            <summary data-testid="scope-summary">{describe}</summary>
            <form class="form-grid" on:submit=save>
                <fieldset>
                    <legend>"Admin on"</legend>
                    <label class="checkbox"><input type="radio" value="none" prop:checked=move || mode.get() == Mode::None on:change=move |_| mode.set(Mode::None)/>" Only their delegations"</label>
                    <label class="checkbox"><input type="radio" value="all_except" prop:checked=move || mode.get() == Mode::AllExcept on:change=move |_| mode.set(Mode::AllExcept)/>" Every customer except…"</label>
                    <label class="checkbox"><input type="radio" value="tag" prop:checked=move || mode.get() == Mode::Tag on:change=move |_| mode.set(Mode::Tag)/>" Every customer with a tag"</label>
                </fieldset>
                <Show when=move || mode.get() == Mode::AllExcept>
                    <fieldset class="bulk-targets">
                        <legend>"Except"</legend>
                        {move || customers.get().unwrap_or_default().into_iter().map(|c| {
                            let id = c.id;
                            view! {
                                <label class="checkbox" data-slug=c.slug.clone()><input type="checkbox" prop:checked=move || except.with(|s| s.contains(&id))
                                    on:change=move |ev| { let on = event_target_checked(&ev); except.update(|s| { if on { s.insert(id); } else { s.remove(&id); } }); }/>
                                    " " {c.name.clone()}</label>
                            }
                        }).collect_view()}
                    </fieldset>
                </Show>
                <Show when=move || mode.get() == Mode::Tag>
                    <label>"Tag"
                        <select name="scope-tag" prop:value=move || tag.get() on:change=move |ev| tag.set(event_target_value(&ev))>
                            <option value="">"Choose a tag…"</option>
                            {move || tags.get().unwrap_or_default().into_iter().map(|t| view! { <option value=t.id.to_string()>{t.name.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                </Show>
                {move || failure.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                <button class="btn small primary" type="submit">"Save scope"</button>
            </form>
        </details>
    }
}
