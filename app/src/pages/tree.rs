//! The Organizations tree: MSP → customers → child tenants → their assets by kind. Collapsed
//! by default; each level is fetched when opened (`/api/v1/tree/{id}/children`), so a
//! 10,000-customer MSP costs one page of nodes, not the whole tree. Search runs on the server
//! and shows each match with its path.
use crate::client;
use crate::layout::{plural, use_session};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{AssetQuery, ListQuery, TreeNode};
use shared::{AssetKind, OrgStatus};
use uuid::Uuid;

const PAGE: u32 = 100;

#[component]
pub fn OrganizationsPage() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let roots = LocalResource::new(move || {
        let q = ListQuery { q: client::non_empty(query.get().trim().to_string()), limit: Some(PAGE), ..Default::default() };
        async move { client::orgs::tree_roots(&q).await }
    });
    view! {
        <Title text="Organizations"/>
        <div class="page-head">
            <h1>"Organizations"</h1>
            <input class="search" type="search" placeholder="Find an org at any depth…" data-testid="tree-search"
                prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
        </div>
        <p class="muted">"Every org you can open, with its child tenants and assets. Open a branch to load it."</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || roots.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(page) if page.items.is_empty() => view! {
                    <p class="empty">{if query.get_untracked().trim().is_empty() { "No organizations yet." } else { "No org matches." }}</p>
                }.into_any(),
                Ok(page) => view! {
                    <ul class="tree" role="tree" data-testid="org-tree">
                        {page.items.into_iter().map(|n| view! { <TreeBranch node=n/> }).collect_view()}
                    </ul>
                    {page.next_cursor.map(|_| view! { <p class="muted">"More orgs match; narrow the search."</p> })}
                }.into_any(),
            })}
        </Suspense>
    }
}

/// One org and, once opened, its child tenants and asset kinds.
#[component]
fn TreeBranch(node: TreeNode) -> AnyView {
    let session = use_session();
    let open = RwSignal::new(false);
    let id = node.id;
    let total_assets = node.assets.computer + node.assets.monitored_system + node.assets.gateway;
    let has_content = node.children > 0 || total_assets > 0;
    let mut facts = vec![node.kind.to_string(), node.role.to_string()];
    if node.children > 0 {
        facts.push(plural(node.children, "tenant", "tenants"));
    }
    if total_assets > 0 {
        facts.push(plural(total_assets, "asset", "assets"));
    }
    let path = (!node.path.is_empty()).then(|| format!("{} › ", node.path.join(" › ")));
    let switch_to = move |_| {
        client::store_org(Some(id));
        session.org.set(Some(id));
    };
    let kinds: Vec<(AssetKind, i64)> = AssetKind::ALL.iter().map(|k| (*k, node.assets.get(*k))).filter(|(_, n)| *n > 0).collect();
    let children = node.children;
    view! {
        <li class="tree-node" role="treeitem" aria-expanded=move || open.get().to_string() data-org=node.slug.clone()>
            <div class="tree-row">
                <button class="tree-toggle" disabled=!has_content aria-label="expand"
                    on:click=move |_| open.update(|o| *o = !*o)>
                    {move || if !has_content { "·" } else if open.get() { "▾" } else { "▸" }}
                </button>
                <span class="tree-name">{path.map(|p| view! { <span class="muted">{p}</span> })}{node.name.clone()}</span>
                {(node.status == OrgStatus::Suspended).then(|| view! { <span class="badge suspended">"suspended"</span> })}
                <span class="muted tree-facts">{facts.join(" · ")}</span>
                <button class="btn ghost small" on:click=switch_to title="Act in this org">"Open"</button>
            </div>
            <Show when=move || open.get()>
                <ul class="tree" role="group">
                    {kinds.iter().map(|(k, n)| view! { <AssetKindBranch org=id kind=*k count=*n/> }).collect_view()}
                    {(children > 0).then(|| view! { <ChildList parent=id/> })}
                </ul>
            </Show>
        </li>
    }
    .into_any()
}

/// The child tenants of one org, a page at a time.
#[component]
fn ChildList(parent: Uuid) -> AnyView {
    let shown = RwSignal::new(Vec::<TreeNode>::new());
    let cursor = RwSignal::new(Some(String::new()));
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let load_more = move || {
        let Some(at) = cursor.get_untracked() else { return };
        loading.set(true);
        leptos::task::spawn_local(async move {
            let q = ListQuery { limit: Some(PAGE), cursor: client::non_empty(at), ..Default::default() };
            match client::orgs::tree_children(parent, &q).await {
                Ok(page) => {
                    shown.update(|s| s.extend(page.items));
                    cursor.set(page.next_cursor);
                }
                Err(e) => error.set(Some(e.message)),
            }
            loading.set(false);
        });
    };
    load_more();
    view! {
        <For each=move || shown.get() key=|n| n.id let:n>
            <TreeBranch node=n/>
        </For>
        <Show when=move || loading.get()><li class="muted">"Loading…"</li></Show>
        {move || error.get().map(|e| view! { <li class="error">{e}</li> })}
        <Show when=move || cursor.get().is_some() && !loading.get() && !shown.get().is_empty()>
            <li><button class="btn ghost small" on:click=move |_| load_more()>"Show more"</button></li>
        </Show>
    }
    .into_any()
}

/// "Computers (12)", opening to the first assets of that kind in that org.
#[component]
fn AssetKindBranch(org: Uuid, kind: AssetKind, count: i64) -> impl IntoView {
    let session = use_session();
    let open = RwSignal::new(false);
    let assets = LocalResource::new(move || {
        let wanted = open.get();
        async move {
            if !wanted {
                return None;
            }
            let q = AssetQuery { kind: Some(kind.as_str().to_string()), limit: Some(50), ..Default::default() };
            Some(client::assets::list(Some(org.to_string()), &q).await)
        }
    });
    let label = match kind {
        AssetKind::Computer => "Computers",
        AssetKind::MonitoredSystem => "Monitored systems",
        AssetKind::Gateway => "Gateways",
    };
    view! {
        <li class="tree-node" role="treeitem" data-kind=kind.as_str()>
            <div class="tree-row">
                <button class="tree-toggle" aria-label="expand" on:click=move |_| open.update(|o| *o = !*o)>
                    {move || if open.get() { "▾" } else { "▸" }}
                </button>
                <span class="tree-name">{format!("{label} ({count})")}</span>
            </div>
            <Show when=move || open.get()>
                <ul class="tree" role="group">
                    {move || assets.get().flatten().map(|r| match r {
                        Err(e) => view! { <li class="error">{e.message}</li> }.into_any(),
                        Ok(page) => {
                            let more = page.next_cursor.is_some();
                            view! {
                                {page.items.into_iter().map(|a| {
                                    let href = format!("/assets/{}", a.id);
                                    let pick = move |_| {
                                        client::store_org(Some(org));
                                        session.org.set(Some(org));
                                    };
                                    view! {
                                        <li class="tree-leaf">
                                            <a href=href on:click=pick>{a.name.clone()}</a>
                                            <span class=if a.online { "badge active" } else { "badge suspended" }>{if a.online { "online" } else { "offline" }}</span>
                                        </li>
                                    }
                                }).collect_view()}
                                {more.then(|| view! { <li class="muted">"First 50 shown; open the org's Assets page for all."</li> })}
                            }.into_any()
                        }
                    })}
                </ul>
            </Show>
        </li>
    }
}
