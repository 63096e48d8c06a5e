//! The MSP user portal: every tenant you can open, as tiles.
use crate::client;
use crate::layout::use_session;
use crate::components::{Loading, listed};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{ListQuery, OrgEntry};

#[component]
pub fn PortalPage() -> impl IntoView {
    let session = use_session();
    let query = RwSignal::new(String::new());
    let orgs = LocalResource::new(move || {
        let q = ListQuery { q: client::non_empty(query.get()), limit: Some(200), ..Default::default() };
        async move { client::orgs::accessible(&q).await }
    });
    let open = move |e: OrgEntry| {
        let id = (!e.is_home).then_some(e.id);
        client::store_org(id);
        session.org.set(id);
    };
    view! {
        <Title text="Portal"/>
        <div class="page-head">
            <h1>"Your tenants"</h1>
            <input class="search" type="search" aria-label="Filter tenants" placeholder="Filter tenants…" data-testid="portal-search"
                prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
        </div>
        <Suspense fallback=|| view! { <Loading what="tenants"/> }>
            {move || orgs.get().map(|r| listed(r, "No tenant matches.", |page| view! {
                    <div class="tiles" data-testid="portal-tiles">
                        {page.items.into_iter().map(|e| {
                            let entry = e.clone();
                            view! {
                                // The tile opens the tenant here; "Open on its own URL" is a second,
                                // separate button (a button inside a button can't be reached by keyboard).
                                <div class="tile" data-testid="tile" data-slug=e.slug.clone()>
                                    <button class="tile-main" type="button" on:click=move |_| open(entry.clone())>
                                        <span class="tile-name">{e.name.clone()}</span>
                                        <span class="tile-meta">
                                            <span class=format!("badge {}", e.kind)>{e.kind.to_string()}</span>
                                            <span class="badge role">{e.role.to_string()}</span>
                                            {e.is_home.then(|| view! { <span class="badge home">"home"</span> })}
                                            {(e.status == shared::OrgStatus::Suspended).then(|| view! { <span class="badge suspended">"suspended"</span> })}
                                        </span>
                                        <span class="tile-url">{e.url.clone()}</span>
                                    </button>
                                    <OpenOnOwnHost org=e.id name=e.name.clone()/>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                    {page.next_cursor.map(|_| view! { <p class="muted">"Showing the first 200 — type to narrow down."</p> })}
                }))}
        </Suspense>
    }
}

/// Opens the tenant on its own host, signed in (a one-time handoff; no second password).
#[component]
fn OpenOnOwnHost(org: uuid::Uuid, name: String) -> impl IntoView {
    let open = move |_| {
        leptos::task::spawn_local(async move {
            match client::auth::handoff(org).await {
                Ok(h) => client::go_to(&h.url),
                Err(f) => crate::confirm::failed(format!("Couldn't open it on its own URL: {}", f.message)),
            }
        });
    };
    view! {
        <button class="open-host" type="button" data-testid="open-host" on:click=open>
            "Open on its own URL" <span class="visually-hidden">{format!(" ({name})")}</span> " ↗"
        </button>
    }
}
