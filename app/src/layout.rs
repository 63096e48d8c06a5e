//! The signed-in app shell: header (brand, org switcher, user), navigation, and the banner
//! that says which org you are acting in.
use crate::client::{self, ApiFailure};
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use shared::api::{CurrentOrg, Me, OrgEntry, Page};
use uuid::Uuid;

/// Who is signed in and which org the pages act in; provided by [`Shell`].
#[derive(Clone, Copy)]
pub struct Session {
    pub me: RwSignal<Option<Me>>,
    /// `None` until chosen: the home org.
    pub org: RwSignal<Option<Uuid>>,
    pub current: RwSignal<Option<CurrentOrg>>,
    /// The org this page's host (or stored choice) names is missing or not yours.
    pub not_found: RwSignal<bool>,
}

impl Session {
    /// The org the pages act in, as loaded (the one the banner names): pages render only once
    /// it is, and a switch reaches them only when the new org has loaded — so a request never
    /// goes to one org while the page still shows another's figures and rights.
    pub fn org_header(&self) -> Option<String> {
        client::org_header(self.current.with(|c| c.as_ref().map(|c| c.org.id)))
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

#[component]
pub fn Shell() -> impl IntoView {
    let session = Session { me: RwSignal::new(None), org: RwSignal::new(None), current: RwSignal::new(None), not_found: RwSignal::new(false) };
    provide_context(session);
    provide_context(crate::pages::inbox::InboxVersion(RwSignal::new(0)));
    crate::confirm::provide();
    // The navigation on a phone: folded away until the menu button opens it.
    let menu_open = RwSignal::new(false);
    let location = leptos_router::hooks::use_location();
    Effect::new(move |_| {
        location.pathname.track();
        menu_open.set(false);
    });
    let me = LocalResource::new(|| client::get::<Me>("/api/v1/me", None));
    Effect::new(move |_| {
        match me.get() {
            Some(Ok(m)) => {
                // An enrol-only session (the sign-in policy wants a second factor) has one page.
                if m.mfa_enrollment_required && !crate::pages::security::is_current_page() {
                    client::go_to("/security");
                }
                session.org.set(client::stored_org());
                session.me.set(Some(m));
            }
            Some(Err(ApiFailure { status: 401, .. })) => client::go_to("/login"),
            _ => {}
        }
    });
    // Load the current org whenever the choice changes; a stale stored choice falls back home.
    let current = LocalResource::new(move || {
        let org = session.org.get();
        let ready = session.me.get().is_some();
        async move {
            if !ready {
                return None;
            }
            match client::get::<CurrentOrg>("/api/v1/org", client::org_header(org)).await {
                Ok(c) => Some(c),
                Err(_) if org.is_some() => {
                    client::store_org(None);
                    session.org.set(None);
                    None
                }
                Err(ApiFailure { status: 404, .. }) => {
                    // On a tenant host: the tenant doesn't exist or isn't yours — same page either way.
                    session.not_found.set(true);
                    None
                }
                Err(_) => None,
            }
        }
    });
    Effect::new(move |_| {
        if let Some(c) = current.get().flatten() {
            session.current.set(Some(c));
        }
    });
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = client::post::<serde_json::Value, _>("/api/v1/auth/logout", None, &serde_json::json!({})).await;
            client::store_org(None);
            client::go_to("/login");
        });
    };
    view! {
        <div class="app">
            <header class="topbar">
                <button class="menu-button" type="button" data-testid="menu-button" aria-controls="sidenav"
                    aria-expanded=move || menu_open.get().to_string() on:click=move |_| menu_open.update(|o| *o = !*o)>
                    <span aria-hidden="true">"☰"</span>" Menu"
                </button>
                <a class="brand" href="/">"Tenantry"</a>
                <OrgSwitcher/>
                <div class="spacer"></div>
                <Show when=move || session.me.get().is_some() fallback=|| view! { <span class="muted">"Loading…"</span> }>
                    <crate::pages::inbox::Bell/>
                    <span class="user" data-testid="current-user">
                        {move || session.me.get().map(|m| m.user.name.clone()).unwrap_or_default()}
                        <small class="muted">{move || session.me.get().map(|m| format!(" · {}", m.user.email)).unwrap_or_default()}</small>
                    </span>
                    <button class="btn ghost" on:click=sign_out data-testid="sign-out">"Sign out"</button>
                </Show>
            </header>
            <nav class="sidenav" id="sidenav" aria-label="Main" class:open=move || menu_open.get()>
                <A href="/">"Portal"</A>
                <Show when=move || session.current.get().is_some_and(|c| c.can.overview)>
                    <A href="/overview">"Overview"</A>
                    <A href="/customers">"Customers"</A>
                    <A href="/bulk">"Bulk actions"</A>
                </Show>
                <Show when=move || session.current.get().is_some_and(|c| c.can.manage_customers)>
                    <A href="/technicians">"Technicians"</A>
                    <A href="/approvals">"Approvals"</A>
                </Show>
                <A href="/organizations">"Organizations"</A>
                <A href="/assets">"Assets"</A>
                <A href="/groups">"Groups"</A>
                <Show when=move || session.current.get().is_some_and(|c| c.can.edit_assets)>
                    <A href="/import">"Import"</A>
                </Show>
                <Show when=move || session.current.get().is_some_and(|c| c.can.merge)>
                    <A href="/merge">"Merge tenant"</A>
                </Show>
                <A href="/operations">"Operations"</A>
                <A href="/settings">"Settings"</A>
                <Show when=move || session.current.get().is_some_and(|c| c.can.manage_settings)>
                    <A href="/sso">"Single sign-on"</A>
                </Show>
                <A href="/people">"People"</A>
                <Show when=move || session.current.get().is_some_and(|c| c.can.audit)>
                    <A href="/audit">"Audit"</A>
                </Show>
                <A href="/tokens">"API tokens"</A>
                <A href="/security">"Security"</A>
                <A href="/api-docs">"API"</A>
            </nav>
            <main class="content">
                <ContextBanner/>
                <Show when=move || session.me.get().is_some() fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    <Show when=move || !session.not_found.get() fallback=crate::pages::NotFound>
                        <Show when=move || session.current.get().is_some() || (session.me.with(|m| m.is_some()) && crate::pages::security::is_current_page()) fallback=|| view! { <p class="muted">"Loading…"</p> }>
                            <Outlet/>
                        </Show>
                    </Show>
                </Show>
                <crate::confirm::ConfirmHost/>
            </main>
        </div>
    }
}

/// "You are acting in Acme Corp as admin, from Contoso MSP."
#[component]
fn ContextBanner() -> impl IntoView {
    let session = use_session();
    move || {
        session.current.get().map(|c| {
            let outside = c.acting_from_outside;
            view! {
                <div class="context-banner" class:outside=outside data-testid="context-banner">
                    "Acting in " <strong data-testid="context-org">{c.org.name.clone()}</strong>
                    " (" {c.org.kind.to_string()} ") as " <strong>{c.role.to_string()}</strong>
                    {outside.then(|| view! { <span>" — on behalf of " <strong>{c.home_org_name.clone()}</strong></span> })}
                    {c.group_limit.clone().map(|groups| view! {
                        <span data-testid="banner-groups">
                            {if groups.is_empty() {
                                " — limited to groups that no longer exist, so no assets are shown".to_string()
                            } else {
                                format!(" — you see only {}: {}", if groups.len() == 1 { "the group" } else { "the groups" },
                                    groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>().join(", "))
                            }}
                        </span>
                    })}
                </div>
            }
        })
    }
}

/// The org switcher: home first, then alphabetical; search runs on the server, so it stays
/// instant with thousands of orgs. An ARIA combobox: the button opens a panel whose search box
/// (`role=combobox`) owns the list (`role=listbox`); arrows move the active option
/// (`aria-activedescendant`), Enter picks it, Escape or a click outside closes the panel and
/// gives focus back to the button. The org acted in now is marked in the list.
///
/// Every list shown carries the query it answers. An answer that arrives for a query that is
/// no longer typed is dropped, and Enter pressed before the answer for what is typed now has
/// arrived waits for that answer and picks from it — never from a list of an earlier query.
#[component]
fn OrgSwitcher() -> impl IntoView {
    let session = use_session();
    let open = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    // A tag of the current MSP to narrow the list to (`""`: all).
    let tag = RwSignal::new(String::new());
    // What a list answers: the query, plus the tag when one is chosen.
    let key_of = |q: &str, t: &str| if t.is_empty() { q.to_string() } else { format!("{q} #{t}") };
    let highlighted = RwSignal::new(0usize);
    // The list on screen and the query it belongs to.
    let shown = RwSignal::new(None::<(String, Result<Vec<OrgEntry>, ApiFailure>)>);
    // Enter was pressed while the list on screen belonged to an older query.
    let enter_pending = RwSignal::new(false);
    let root = NodeRef::<leptos::html::Div>::new();
    let button = NodeRef::<leptos::html::Button>::new();
    let search = NodeRef::<leptos::html::Input>::new();
    let close = move |give_focus_back: bool| {
        open.set(false);
        enter_pending.set(false);
        query.set(String::new());
        if give_focus_back {
            if let Some(b) = button.get_untracked() {
                let _ = b.focus();
            }
        }
    };
    let choose = move |entry: OrgEntry| {
        let id = (!entry.is_home).then_some(entry.id);
        client::store_org(id);
        session.org.set(id);
        close(true);
    };
    let pick_highlighted = move || {
        let entry = shown.with_untracked(|s| match s {
            Some((_, Ok(list))) => list.get(highlighted.get_untracked()).cloned(),
            _ => None,
        });
        if let Some(e) = entry {
            choose(e);
        }
    };
    // One request per (open, query) change; only the answer to the query typed now is kept.
    Effect::new(move |_| {
        let q = query.get();
        let t = tag.get();
        if !open.get() {
            shown.set(None);
            return;
        }
        leptos::task::spawn_local(async move {
            let url = format!("/api/v1/orgs?limit=50&q={}{}", js_encode(&q), crate::pages::tag_ui::tag_param(&t));
            let answer = client::get::<Page<OrgEntry>>(&url, None).await.map(|p| p.items);
            let key = key_of(&q, &t);
            if !open.get_untracked() || key_of(&query.get_untracked(), &tag.get_untracked()) != key {
                return;
            }
            shown.set(Some((key, answer)));
            if enter_pending.get_untracked() {
                enter_pending.set(false);
                pick_highlighted();
            }
        });
    });
    // The search box gets focus as soon as the panel is there.
    Effect::new(move |_| {
        if let Some(input) = search.get() {
            let _ = input.focus();
        }
    });
    // A click anywhere outside the switcher closes it.
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let handle = window_event_listener(leptos::ev::mousedown, move |ev| {
            if !open.get_untracked() {
                return;
            }
            let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
            let inside = root.get_untracked().is_some_and(|r| r.contains(target.as_ref()));
            if !inside {
                close(false);
            }
        });
        on_cleanup(move || handle.remove());
    }
    let fresh = move || shown.with(|s| s.as_ref().is_some_and(|(k, _)| *k == key_of(&query.get(), &tag.get())));
    let items = move || shown.with(|s| match s {
        Some((_, Ok(list))) => list.clone(),
        _ => Vec::new(),
    });
    let current_id = move || session.current.with(|c| c.as_ref().map(|c| c.org.id));
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let len = shown.with_untracked(|s| match s {
            Some((_, Ok(list))) => list.len(),
            _ => 0,
        });
        match ev.key().as_str() {
            "ArrowDown" => {
                ev.prevent_default();
                highlighted.update(|h| *h = (*h + 1).min(len.saturating_sub(1)));
            }
            "ArrowUp" => {
                ev.prevent_default();
                highlighted.update(|h| *h = h.saturating_sub(1));
            }
            "Home" if len > 0 => {
                ev.prevent_default();
                highlighted.set(0);
            }
            "End" if len > 0 => {
                ev.prevent_default();
                highlighted.set(len - 1);
            }
            "Enter" => {
                ev.prevent_default();
                if fresh() {
                    pick_highlighted();
                } else {
                    enter_pending.set(true);
                }
            }
            "Escape" => {
                ev.prevent_default();
                close(true);
            }
            _ => {}
        }
    };
    let has_options = move || fresh() && !items().is_empty();
    view! {
        <div class="switcher" node_ref=root>
            <button class="switcher-button" type="button" node_ref=button data-testid="org-switcher"
                aria-haspopup="listbox" aria-expanded=move || open.get().to_string() aria-controls="org-switcher-panel"
                on:click=move |_| {
                    let now_open = !open.get_untracked();
                    open.set(now_open);
                    highlighted.set(0);
                    enter_pending.set(false);
                    if !now_open {
                        query.set(String::new());
                    }
                }
                on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" && open.get_untracked() { close(true) }>
                <span class="switcher-label">
                    <span class="visually-hidden">"Acting in: "</span>
                    {move || session.current.get().map(|c| c.org.name.clone()).unwrap_or_else(|| "Choose org".into())}
                </span>
                <span class="caret" aria-hidden="true">"▾"</span>
            </button>
            <Show when=move || open.get()>
                <div class="switcher-panel" id="org-switcher-panel">
                    <input class="switcher-search" type="search" placeholder="Search orgs…" data-testid="org-search" node_ref=search
                        role="combobox" aria-label="Search organizations" aria-autocomplete="list" aria-controls="org-results"
                        aria-expanded=move || has_options().to_string()
                        aria-activedescendant=move || has_options().then(|| format!("org-option-{}", highlighted.get()))
                        autocomplete="off"
                        prop:value=move || query.get()
                        on:input=move |ev| { query.set(event_target_value(&ev)); highlighted.set(0); }
                        on:keydown=on_key/>
                    <crate::pages::tag_ui::TagFilter value=tag/>
                    // `data-query` names the query the listed orgs answer; `aria-busy` says a newer one is on its way.
                    <ul role="listbox" id="org-results" aria-label="Organizations" data-testid="org-results" class:stale=move || !fresh()
                        data-query=move || shown.with(|s| s.as_ref().map(|(q, _)| q.clone()))
                        aria-busy=move || (!fresh()).to_string()>
                        {move || {
                            let list = items();
                            if list.is_empty() {
                                let text = match shown.with(|s| s.as_ref().map(|(_, r)| r.as_ref().err().map(|f| f.message.clone()))) {
                                    _ if !fresh() => "Searching…".to_string(),
                                    Some(Some(message)) => message,
                                    _ => "No org matches".to_string(),
                                };
                                return view! { <li class="muted empty" role="presentation">{text}</li> }.into_any();
                            }
                            let current = current_id();
                            list.into_iter().enumerate().map(|(i, e)| {
                                let entry = e.clone();
                                let is_current = current == Some(e.id);
                                view! {
                                    <li class="switcher-item" role="option" id=format!("org-option-{i}") class:active=move || highlighted.get() == i
                                        class:current=is_current aria-current=is_current.then_some("true")
                                        aria-selected=move || (highlighted.get() == i).to_string()
                                        on:mousemove=move |_| if highlighted.get_untracked() != i { highlighted.set(i) }
                                        on:mousedown=move |ev| { ev.prevent_default(); choose(entry.clone()) }>
                                        <span class="name">{e.name.clone()}<crate::pages::tag_ui::TagChips tags=e.tags.clone()/></span>
                                        <span class="meta">
                                            {is_current.then(|| view! { <span class="current-mark">"✓ current · "</span> })}
                                            {if e.is_home { "home".to_string() } else { e.kind.to_string() }} " · " {e.role.to_string()}
                                        </span>
                                    </li>
                                }
                            }).collect_view().into_any()
                        }}
                    </ul>
                </div>
            </Show>
        </div>
    }
}

/// What a page that exists only for MSPs shows while acting in a customer: what it is for,
/// and the way back to the home org.
#[component]
pub fn MspOnly(what: &'static str) -> impl IntoView {
    let session = use_session();
    let back = move |_| {
        client::store_org(None);
        session.org.set(None);
    };
    move || {
        session.current.get().map(|c| {
            let home = c.home_org_name.clone();
            view! {
                <div class="card" data-testid="msp-only">
                    <h1>{what}</h1>
                    <p>{format!("This page is for MSP orgs; you are acting in {} ({}).", c.org.name, c.org.kind)}</p>
                    {(c.org.kind != shared::OrgKind::Msp || c.acting_from_outside).then(|| view! {
                        <button class="btn primary" type="button" data-testid="back-home" on:click=back>{format!("Back to {home}")}</button>
                    })}
                </div>
            }
        })
    }
}

/// "1 open alert", "2 open alerts".
pub use shared::plural;

pub use crate::client::encode as js_encode;

pub use crate::components::field_error;
