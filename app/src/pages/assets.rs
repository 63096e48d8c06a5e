//! Assets of the current org: search and filter, pick several, move them to another tenant
//! the user administers. Everything goes through `/api/v1/assets…`, so a group-limited viewer
//! sees here exactly what the API shows them.
use crate::client::{self, non_empty};
use crate::components::{Loading, listed};
use crate::layout::{plural, use_session};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{AssetQuery, ListQuery, MoveAssets};
use shared::{AssetKind, Role};
use uuid::Uuid;

#[component]
pub fn AssetsPage() -> impl IntoView {
    let session = use_session();
    let query = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let online = RwSignal::new(String::new());
    let version = RwSignal::new(0u32);
    let selected = RwSignal::new(Vec::<Uuid>::new());
    let target = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let assets = LocalResource::new(move || {
        let filter = AssetQuery { q: non_empty(query.get()), kind: non_empty(kind.get()), online: non_empty(online.get()), limit: Some(500), ..Default::default() };
        let org = session.org_header();
        version.get();
        async move { client::assets::list(org, &filter).await }
    });
    let summary = LocalResource::new(move || {
        let org = session.org_header();
        version.get();
        async move { client::assets::summary(org).await }
    });
    let is_admin = move || session.current.get().is_some_and(|c| c.can.manage_assets);
    // Move targets: other orgs where the user is admin (the server checks again).
    let targets = LocalResource::new(move || {
        let here = session.current.get().map(|c| c.org.id);
        async move {
            client::orgs::accessible(&ListQuery { limit: Some(500), ..Default::default() })
                .await
                .map(|p| p.items.into_iter().filter(|o| o.role == Role::Admin && Some(o.id) != here).collect::<Vec<_>>())
        }
    });
    let toggle = move |id: Uuid| {
        selected.update(|s| {
            if let Some(i) = s.iter().position(|x| *x == id) {
                s.remove(i);
            } else {
                s.push(id);
            }
        })
    };
    let do_move = move |_| {
        let Ok(target_org_id) = Uuid::parse_str(&target.get_untracked()) else {
            outcome.set(Some(Err("Choose a tenant to move to.".into())));
            return;
        };
        let body = MoveAssets { asset_ids: selected.get_untracked(), target_org_id };
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::assets::move_to(org, &body).await {
                Ok(r) => {
                    let cleared = match r.groups_cleared {
                        0 => String::new(),
                        1 => " (1 left its group)".to_string(),
                        n => format!(" ({n} left their groups)"),
                    };
                    outcome.set(Some(Ok(format!("Moved {}{cleared}.", plural(r.moved, "asset", "assets")))));
                    selected.set(Vec::new());
                    version.update(|v| *v += 1);
                }
                Err(f) => outcome.set(Some(Err(format!("Nothing was moved: {}", f.message)))),
            }
        });
    };
    view! {
        <Title text="Assets"/>
        <div class="page-head">
            <h1>"Assets"</h1>
            <input class="search" type="search" placeholder="Search name, id, OS, address…" data-testid="asset-search"
                prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
            <select name="kind" prop:value=move || kind.get() on:change=move |ev| kind.set(event_target_value(&ev))>
                <option value="">"All kinds"</option>
                {AssetKind::ALL.iter().map(|k| view! { <option value=k.as_str()>{k.as_str().replace('_', " ")}</option> }).collect_view()}
            </select>
            <select name="online" prop:value=move || online.get() on:change=move |ev| online.set(event_target_value(&ev))>
                <option value="">"Online and offline"</option>
                <option value="true">"Online"</option>
                <option value="false">"Offline"</option>
            </select>
        </div>
        <crate::pages::asset_detail::NewAssetForm on_created=Callback::new(move |_| version.update(|v| *v += 1))/>
        <Suspense fallback=|| ()>
            {move || summary.get().and_then(|r| r.ok()).map(|s| view! {
                <p class="muted" data-testid="asset-summary">
                    {format!("{} · {} online · {} offline · {}", plural(s.total, "asset", "assets"), s.online, s.offline, plural(s.open_alerts, "open alert", "open alerts"))}
                </p>
            })}
        </Suspense>
        <Show when=is_admin>
            <div class="card form-inline" data-testid="move-assets">
                <span>{move || format!("{} selected", selected.get().len())}</span>
                <select name="target" prop:value=move || target.get() on:change=move |ev| target.set(event_target_value(&ev))>
                    <option value="">"Move to…"</option>
                    {move || targets.get().and_then(|r| r.ok()).map(|list| list.into_iter().map(|o| view! {
                        <option value=o.id.to_string()>{format!("{} ({})", o.name, o.slug)}</option>
                    }).collect_view())}
                </select>
                <button class="btn primary" disabled=move || selected.get().is_empty() on:click=do_move>"Move"</button>
            </div>
        </Show>
        {move || outcome.get().map(|o| match o {
            Ok(msg) => view! { <p class="notice" data-testid="move-result">{msg}</p> }.into_any(),
            Err(msg) => view! { <p class="error" role="alert" data-testid="move-result">{msg}</p> }.into_any(),
        })}
        <Suspense fallback=|| view! { <Loading what="assets"/> }>
            {move || assets.get().map(|r| listed(r, "No assets here.", |page| view! {
                    <table class="table" data-testid="assets-table">
                        <thead><tr><th></th><th>"Name"</th><th>"Kind"</th><th>"Group"</th><th>"OS"</th><th>"Address"</th><th>"Status"</th><th>"Alerts"</th></tr></thead>
                        <tbody>
                            {page.items.into_iter().map(|a| {
                                let id = a.id;
                                view! {
                                    <tr data-external-id=a.external_id.clone().unwrap_or_default()>
                                        <td><input type="checkbox" prop:checked=move || selected.get().contains(&id) on:change=move |_| toggle(id)/></td>
                                        <td><a href=format!("/assets/{}", a.id)>{a.name.clone()}</a></td>
                                        <td>{a.kind.as_str().replace('_', " ")}</td>
                                        <td>{a.group_name.clone().unwrap_or_default()}</td>
                                        <td>{a.os.clone().unwrap_or_default()}</td>
                                        <td><code>{a.address.clone().unwrap_or_default()}</code></td>
                                        <td><span class=if a.online { "badge active" } else { "badge suspended" }>{if a.online { "online" } else { "offline" }}</span></td>
                                        <td>{a.open_alerts}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
            }))}
        </Suspense>
    }
}
