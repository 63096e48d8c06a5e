//! The signed-in app shell: header (brand, org switcher, user), navigation, and the banner
//! that says which org you are acting in.
//!
//! The org is in the address: every org-scoped page lives under `/o/{slug}/…`, so a link can
//! be shared, back/forward return to the org they showed, and two tabs work in two orgs. Pages
//! about the signed-in person (`/`, `/tokens`, `/security`, …) act in the org this tab last
//! showed (the home org at first). On a tenant's own host the org is always that tenant.
//!
//! The portal page (`/`) also runs without the router, in a small WASM module of its own
//! (`crate::PortalHome`): there links and [`Go`] load their page ([`Navigation`]).
use crate::client::{self, ApiFailure};
use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_location, use_navigate};
use shared::api::{CurrentOrg, ListQuery, Me, OrgEntry};
use uuid::Uuid;

/// Who is signed in and which org the pages act in; provided by [`ShellFrame`].
#[derive(Clone, Copy)]
pub struct Session {
    pub me: RwSignal<Option<Me>>,
    /// The org this tab acts in on pages whose address names none (`None`: the home org, or
    /// the tenant whose host this is). Follows the last `/o/{slug}` page; kept per tab, in memory.
    pub org: RwSignal<Option<Uuid>>,
    pub current: RwSignal<Option<CurrentOrg>>,
    /// The org the address (or this page's host) names is missing or not yours.
    pub not_found: RwSignal<bool>,
}

/// How the shell and the pages in it learn the path shown and open another page: through the
/// app's router ([`Shell`]), or, where the page runs without one ([`crate::PortalHome`]), from
/// the address the page was loaded at, with page loads. Only [`Shell`] touches the router, so a
/// module without it doesn't carry the router's code.
#[derive(Clone, Copy)]
pub struct Navigation {
    path: Signal<String>,
    go: Go,
}

impl Navigation {
    /// For a page without the router: its address doesn't change while it is shown, and [`Go`]
    /// loads the page asked for from the server.
    pub fn page_loads() -> Self {
        #[cfg(feature = "ssr")]
        let path = use_context::<http::request::Parts>().map(|p| p.uri.path().to_string());
        #[cfg(not(feature = "ssr"))]
        let path = web_sys::window().and_then(|w| w.location().pathname().ok());
        Navigation { path: Signal::stored(path.unwrap_or_default()), go: Go(StoredValue::new_local(Box::new(|href: &str, _| client::go_to(href)))) }
    }
}

/// The path of the page shown.
pub fn shown_path() -> Signal<String> {
    expect_context::<Navigation>().path
}

/// The org an address names: `/o/acme-contoso/assets` → `acme-contoso`.
pub fn slug_in_path(path: &str) -> Option<&str> {
    path.strip_prefix("/o/")?.split('/').next().filter(|s| !s.is_empty())
}

/// The page of an org an address shows, without the org and the object: `/o/acme/assets/42`
/// → `assets` (the same page in another org; the object is that org's own).
fn page_in_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/o/")?;
    Some(rest.split('/').nth(1).unwrap_or(""))
}

/// Opening another page, as a `Copy` handle for event handlers and answers that arrive later.
#[derive(Clone, Copy)]
pub struct Go(StoredValue<Box<dyn Fn(&str, leptos_router::NavigateOptions)>, LocalStorage>);

impl Go {
    pub fn new() -> Self {
        expect_context::<Navigation>().go
    }

    /// Opens `href` in this tab, as a new entry of its history.
    pub fn to(&self, href: &str) {
        self.0.with_value(|n| n(href, Default::default()));
    }

    /// Opens `href` in place of the page shown now (back skips it).
    pub fn replace(&self, href: &str) {
        self.0.with_value(|n| n(href, leptos_router::NavigateOptions { replace: true, ..Default::default() }));
    }
}

/// The address of `page` (e.g. `"assets"`, `""` for the org's first page) in the org `slug`.
pub fn org_href(slug: &str, page: &str) -> String {
    if page.is_empty() { format!("/o/{slug}") } else { format!("/o/{slug}/{page}") }
}

impl Session {
    /// The org the pages act in, as loaded (the one the banner names): pages render only once
    /// it is, and a switch reaches them only when the new org has loaded — so a request never
    /// goes to one org while the page still shows another's figures and rights.
    pub fn org_header(&self) -> Option<String> {
        client::org_header(self.current.with(|c| c.as_ref().map(|c| c.org.id)))
    }

    /// The address of `page` (`"assets"`, `"assets/<id>"`, …) in the org acted in now.
    pub fn href(&self, page: &str) -> String {
        self.current.with(|c| c.as_ref().map(|c| org_href(&c.org.slug, page))).unwrap_or_else(|| "/".into())
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// The shell around the page the router shows, and the confirmation dialog its pages ask with.
#[component]
pub fn Shell() -> impl IntoView {
    let navigate = use_navigate();
    provide_context(Navigation { path: use_location().pathname.into(), go: Go(StoredValue::new_local(Box::new(navigate))) });
    view! {
        <ShellFrame>
            <Outlet/>
            <crate::confirm::ConfirmDialog/>
        </ShellFrame>
    }
}

/// The shell around `children` (the page): header, navigation, banner; it loads who is signed
/// in and the org acted in, and shows the page once both are there.
#[component]
pub fn ShellFrame(children: ChildrenFn) -> impl IntoView {
    let page = StoredValue::new(children);
    let session = Session { me: RwSignal::new(None), org: RwSignal::new(None), current: RwSignal::new(None), not_found: RwSignal::new(false) };
    provide_context(session);
    provide_context(crate::pages::inbox::InboxVersion(RwSignal::new(0)));
    provide_context(crate::pages::tag_ui::TagsVersion(RwSignal::new(0)));
    crate::confirm::provide();
    // The navigation on a phone: folded away until the menu button opens it.
    let menu_open = RwSignal::new(false);
    let pathname = shown_path();
    Effect::new(move |_| {
        pathname.track();
        menu_open.set(false);
    });
    // The page an enrol-only session (the sign-in policy wants a second factor) may see.
    let on_security_page = move || pathname.with(|p| p == "/security");
    // The org the address names, if it names one.
    let slug = Memo::new(move |_| pathname.with(|p| slug_in_path(p).map(str::to_string)));
    // Another org in the address: its pages wait until it has loaded (never one org's page
    // with another's figures and rights). `current` keeps the org it holds until then, so the
    // page shown is taken away before anything in it hears of the switch: a page whose
    // requests restarted for "no org" while it was being removed would read its own values
    // after they were gone (a panic in the console, seen when switching on a page opened by
    // its address).
    let page_ready = Memo::new(move |_| {
        session.current.with(|c| c.as_ref().is_some_and(|c| slug.with(|s| s.as_deref().is_none_or(|s| s == c.org.slug))))
    });
    Effect::new(move |_| {
        if slug.get().is_some() {
            session.not_found.set(false);
        }
    });
    let me = LocalResource::new(|| client::get::<Me>("/api/v1/me", None));
    Effect::new(move |_| {
        match me.get() {
            Some(Ok(m)) => {
                // An enrol-only session (the sign-in policy wants a second factor) has one page.
                if m.mfa_enrollment_required && !untrack(on_security_page) {
                    client::go_to("/security");
                }
                session.me.set(Some(m));
            }
            Some(Err(ApiFailure { status: 401, .. })) => client::go_to("/login"),
            _ => {}
        }
    });
    // Load the org the address names, else the one this tab acts in; a tab's org that is gone
    // (merged, deleted) falls back home.
    let current = LocalResource::new(move || {
        let slug = slug.get();
        let org = if slug.is_none() { session.org.get() } else { None };
        let ready = session.me.get().is_some();
        async move {
            if !ready {
                return None;
            }
            let answer = match &slug {
                Some(s) => client::get::<CurrentOrg>(&format!("/api/v1/org?slug={}", client::encode(s)), None).await,
                None => client::get::<CurrentOrg>("/api/v1/org", client::org_header(org)).await,
            };
            match answer {
                Ok(c) => Some(c),
                Err(_) if slug.is_none() && org.is_some() => {
                    session.org.set(None);
                    None
                }
                Err(ApiFailure { status: 404, .. }) => {
                    // The address (or this tenant host) names an org that doesn't exist or isn't
                    // yours — the same page either way.
                    session.not_found.set(true);
                    None
                }
                Err(_) => None,
            }
        }
    });
    Effect::new(move |_| {
        if let Some(c) = current.get().flatten() {
            // Pages without an org in their address go on in the org this tab showed last.
            if !c.on_own_host && session.org.get_untracked() != Some(c.org.id) {
                session.org.set(Some(c.org.id));
            }
            session.current.set(Some(c));
        }
    });
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = client::post::<serde_json::Value, _>("/api/v1/auth/logout", None, &serde_json::json!({})).await;
            client::go_to("/login");
        });
    };
    let to = move |page: &'static str| Signal::derive(move || session.href(page));
    // The brand of the org acted in (its own, its MSP's, or Tenantry's), as `GET /api/v1/org` says.
    let brand = move || session.current.get().map(|c| c.brand).unwrap_or_default();
    view! {
        <div class="app" style=move || brand().css_vars()>
            <header class="topbar">
                <button class="menu-button" type="button" data-testid="menu-button" aria-controls="sidenav"
                    aria-expanded=move || menu_open.get().to_string() on:click=move |_| menu_open.update(|o| *o = !*o)>
                    <span aria-hidden="true">"☰"</span>" Menu"
                </button>
                <a class="brand" href="/" data-testid="header-brand">
                    {move || brand().logo_url.map(|u| view! { <img class="brand-logo" src=u alt="" data-testid="header-logo"/> })}
                    <span data-testid="header-brand-name">{move || brand().display_name}</span>
                </a>
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
                <NavLink href="/">"Portal"</NavLink>
                // The org's pages, in the org acted in now.
                <Show when=move || session.current.get().is_some_and(|c| c.can.overview)>
                    <NavLink href=to("overview")>"Overview"</NavLink>
                    <NavLink href=to("customers")>"Customers"</NavLink>
                    <NavLink href=to("bulk")>"Bulk actions"</NavLink>
                </Show>
                <Show when=move || session.current.get().is_some_and(|c| c.can.manage_customers)>
                    <NavLink href=to("technicians")>"Technicians"</NavLink>
                    <NavLink href=to("approvals")>"Approvals"</NavLink>
                </Show>
                <NavLink href=to("organizations")>"Organizations"</NavLink>
                <NavLink href=to("assets")>"Assets"</NavLink>
                <NavLink href=to("groups")>"Groups"</NavLink>
                <Show when=move || session.current.get().is_some_and(|c| c.can.edit_assets)>
                    <NavLink href=to("import")>"Import"</NavLink>
                </Show>
                <Show when=move || session.current.get().is_some_and(|c| c.can.merge)>
                    <NavLink href=to("merge")>"Merge tenant"</NavLink>
                </Show>
                <NavLink href=to("operations")>"Operations"</NavLink>
                <NavLink href=to("settings")>"Settings"</NavLink>
                <Show when=move || session.current.get().is_some_and(|c| c.can.manage_settings)>
                    <NavLink href=to("sso")>"Single sign-on"</NavLink>
                    <NavLink href=to("branding")>"Branding"</NavLink>
                </Show>
                <NavLink href=to("people")>"People"</NavLink>
                <Show when=move || session.current.get().is_some_and(|c| c.can.audit)>
                    <NavLink href=to("audit")>"Audit"</NavLink>
                </Show>
                // About you, in any org.
                <NavLink href="/tokens">"API tokens"</NavLink>
                <NavLink href="/security">"Security"</NavLink>
                <NavLink href="/api-docs">"API"</NavLink>
            </nav>
            <main class="content">
                <ContextBanner/>
                <Show when=move || session.me.get().is_some() fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    <Show when=move || !session.not_found.get() fallback=crate::pages::NotFound>
                        <Show when=move || page_ready.get() || (session.me.with(|m| m.is_some()) && on_security_page()) fallback=|| view! { <p class="muted">"Loading…"</p> }>
                            {page.with_value(|page| page())}
                        </Show>
                    </Show>
                </Show>
                <crate::confirm::FlashArea/>
            </main>
        </div>
    }
}

/// A link of the side navigation, marked `aria-current="page"` while its page (or an object
/// under it, `/o/acme/assets/42` for Assets) is shown. A plain `<a>`: the router takes the
/// clicks of every same-origin link, so this needs none of `A`'s path resolving, which costs
/// code per link in the module every page loads first.
#[component]
fn NavLink(#[prop(into)] href: Signal<String>, children: Children) -> impl IntoView {
    let pathname = shown_path();
    let current = move || href.with(|h| pathname.with(|p| p == h || h != "/" && p.strip_prefix(h.as_str()).is_some_and(|rest| rest.starts_with('/'))));
    view! { <a href=href aria-current=move || current().then_some("page")>{children()}</a> }
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
    let go = Go::new();
    let pathname = shown_path();
    let choose = move |entry: OrgEntry| {
        close(true);
        if session.current.with_untracked(|c| c.as_ref().is_some_and(|c| c.org.id == entry.id)) {
            return;
        }
        // On a tenant's own host the pages stay in that tenant: another opens on its own host.
        if session.current.with_untracked(|c| c.as_ref().is_some_and(|c| c.on_own_host)) {
            open_on_own_host(entry.id);
            return;
        }
        // The same page in the chosen org (its first page when this one is about you).
        let page = pathname.with_untracked(|p| page_in_path(p).unwrap_or("").to_string());
        go.to(&org_href(&entry.slug, &page));
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
            let list = ListQuery { q: client::non_empty(q.clone()), limit: Some(50), tag: client::non_empty(t.clone()), ..Default::default() };
            let answer = client::orgs::accessible(&list).await.map(|p| p.items);
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
                                        // The chips beside the name, not in it: `.name` is the org's name alone.
                                        <span><span class="name">{e.name.clone()}</span><crate::pages::tag_ui::TagChips tags=e.tags.clone()/></span>
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
    let go = Go::new();
    let pathname = shown_path();
    // This page in the home org.
    let back = move |_| {
        let Some(home) = session.me.with_untracked(|m| m.as_ref().map(|m| m.home_org.slug.clone())) else { return };
        let page = pathname.with_untracked(|p| page_in_path(p).unwrap_or("").to_string());
        go.to(&org_href(&home, &page));
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

/// Opens an org on its own host, signed in (the one-time sign-in handoff; no second password).
pub fn open_on_own_host(org: Uuid) {
    leptos::task::spawn_local(async move {
        match client::auth::handoff(org).await {
            Ok(h) => client::go_to(&h.url),
            Err(f) => crate::confirm::failed(format!("Couldn't open it on its own URL: {}", f.message)),
        }
    });
}

/// `/o/{slug}`: an org's first page — the overview for an MSP, else its assets.
#[component]
pub fn OrgHome() -> impl IntoView {
    let session = use_session();
    let go = Go::new();
    let pathname = shown_path();
    Effect::new(move |_| {
        if let Some(c) = session.current.get() {
            // Only while the address is still this org's first page: an org that loads again
            // after the person has moved on (to the portal, say) doesn't take them back.
            if pathname.with_untracked(|p| slug_in_path(p) == Some(c.org.slug.as_str()) && page_in_path(p) == Some("")) {
                go.replace(&org_href(&c.org.slug, if c.can.overview { "overview" } else { "assets" }));
            }
        }
    });
    view! { <p class="muted">"Loading…"</p> }
}

/// "1 open alert", "2 open alerts".
pub use shared::plural;

pub use crate::components::field_error;
