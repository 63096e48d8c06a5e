//! The reverse view of delegation: for each person in the MSP, which customers they can
//! administer and why (admin of the MSP, or a delegation until a date).
use crate::client;
use crate::layout::use_session;
use crate::components::loaded;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::Role;
use shared::api::Delegation;

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
                            view! { <tr><td>{m.user.name.clone()} <small class="muted">{format!(" {}", m.user.email)}</small></td><td>{m.role.to_string()}</td><td>{access}</td></tr> }
                        }).collect_view()}</tbody>
                    </table>
                }))}
        </Suspense>
    }
}
