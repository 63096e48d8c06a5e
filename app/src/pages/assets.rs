//! Assets of the current org: search and filter, pick several, move them to another tenant
//! the user administers. Everything goes through `/api/v1/assets…`, so a group-limited viewer
//! sees here exactly what the API shows them.
use crate::client::{self, non_empty};
use crate::confirm;
use crate::components::{Loading, listed};
use crate::layout::{plural, use_session};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{AssetQuery, GroupAssets, ListQuery, MoveAssets};
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
    let can_edit = move || session.current.get().is_some_and(|c| c.can.edit_assets);
    let any_selected = move || selected.with(|s| !s.is_empty());
    let group = RwSignal::new(String::new());
    let groups = LocalResource::new(move || {
        let org = session.org_header();
        version.get();
        async move { client::assets::groups(org, &client::assets::first(500)).await.map(|p| p.items) }
    });
    // Move targets: other orgs where the user is admin (the server checks again).
    let targets = LocalResource::new(move || {
        let here = session.current.get().map(|c| c.org.id);
        async move {
            client::orgs::accessible(&ListQuery { limit: Some(500), ..Default::default() })
                .await
                .map(|p| p.items.into_iter().filter(|o| o.role == Role::Admin && Some(o.id) != here).collect::<Vec<_>>())
        }
    });
    // Checkboxes only for someone who can do something with a selection.
    let can_pick = move || session.current.with_untracked(|c| c.as_ref().is_some_and(|c| c.can.edit_assets || c.can.manage_assets));
    let toggle = move |id: Uuid| {
        selected.update(|s| {
            if let Some(i) = s.iter().position(|x| *x == id) {
                s.remove(i);
            } else {
                s.push(id);
            }
        })
    };
    // Moving to another customer asks first, naming how many, from where and to where.
    let do_move = move |_| {
        let Ok(target_org_id) = Uuid::parse_str(&target.get_untracked()) else {
            outcome.set(Some(Err("Choose a tenant to move to.".into())));
            return;
        };
        let to = targets.get_untracked().and_then(|r| r.ok()).and_then(|l| l.into_iter().find(|o| o.id == target_org_id)).map(|o| o.name).unwrap_or_default();
        let from = session.current.with_untracked(|c| c.as_ref().map(|c| c.org.name.clone()).unwrap_or_default());
        let ids = selected.get_untracked();
        let count = plural(ids.len() as i64, "asset", "assets");
        confirm::ask(
            format!("Move {count} from {from} to {to}?"),
            format!("{count} leave {from} and belong to {to} from now on: people of {from} no longer see them, and they leave their groups and schedules here."),
            format!("Move to {to}"),
            move || {
                let body = MoveAssets { asset_ids: ids.clone(), target_org_id };
                let org = session.org_header();
                let to = to.clone();
                leptos::task::spawn_local(async move {
                    match client::assets::move_to(org, &body).await {
                        Ok(r) => {
                            let cleared = match r.groups_cleared {
                                0 => String::new(),
                                1 => " (1 left its group)".to_string(),
                                n => format!(" ({n} left their groups)"),
                            };
                            let message = format!("Moved {} to {to}{cleared}.", plural(r.moved, "asset", "assets"));
                            // "Undo" moves them back (not back into groups they left), acting in the target.
                            let (ids, back_to, from) = (body.asset_ids.clone(), session.current.with_untracked(|c| c.as_ref().map(|c| (c.org.id, c.org.name.clone()))), to.clone());
                            match back_to {
                                Some((home, home_name)) => confirm::done_with_undo(message.clone(), move || {
                                    let body = MoveAssets { asset_ids: ids.clone(), target_org_id: home };
                                    let (from, home_name) = (from.clone(), home_name.clone());
                                    leptos::task::spawn_local(async move {
                                        confirm::outcome(match client::assets::move_to(Some(target_org_id.to_string()), &body).await {
                                            Ok(r) => Ok(format!("Moved {} back from {from} to {home_name}.", plural(r.moved, "asset", "assets"))),
                                            Err(f) => Err(format!("They stay in {from}: {}", f.message)),
                                        });
                                        version.update(|v| *v += 1);
                                    });
                                }),
                                None => confirm::done(message.clone()),
                            }
                            outcome.set(Some(Ok(message)));
                            selected.set(Vec::new());
                            version.update(|v| *v += 1);
                        }
                        Err(f) => {
                            confirm::failed(format!("Nothing was moved: {}", f.message));
                            outcome.set(Some(Err(format!("Nothing was moved: {}", f.message))));
                        }
                    }
                });
            },
        );
    };
    let put_in_group = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = group.get_untracked();
        let group_id = if chosen == "none" { None } else {
            match Uuid::parse_str(&chosen) {
                Ok(g) => Some(g),
                Err(_) => return confirm::failed("Choose a group first."),
            }
        };
        let name = group_id.and_then(|g| groups.get_untracked().and_then(|r| r.ok()).and_then(|l| l.into_iter().find(|x| x.id == g)).map(|x| x.name));
        let body = GroupAssets { asset_ids: selected.get_untracked(), group_id };
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            confirm::outcome(match client::assets::put_in_group(org, &body).await {
                Ok(r) => {
                    selected.set(Vec::new());
                    version.update(|v| *v += 1);
                    let n = plural(r.changed, "asset", "assets");
                    Ok(match name {
                        Some(name) => format!("Put {n} in {name}."),
                        None => format!("Took {n} out of their groups."),
                    })
                }
                Err(f) => Err(format!("No group changed: {}", f.message)),
            });
        });
    };
    view! {
        <Title text="Assets"/>
        <div class="page-head">
            <h1>"Assets"</h1>
            <input class="search" type="search" aria-label="Search assets" placeholder="Search name, id, OS, address…" data-testid="asset-search"
                prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
            <select name="kind" aria-label="Kind" prop:value=move || kind.get() on:change=move |ev| kind.set(event_target_value(&ev))>
                <option value="">"All kinds"</option>
                {AssetKind::ALL.iter().map(|k| view! { <option value=k.as_str()>{k.as_str().replace('_', " ")}</option> }).collect_view()}
            </select>
            <select name="online" aria-label="Online or offline" prop:value=move || online.get() on:change=move |ev| online.set(event_target_value(&ev))>
                <option value="">"Online and offline"</option>
                <option value="true">"Online"</option>
                <option value="false">"Offline"</option>
            </select>
        </div>
        <Show when=can_edit>
            <crate::pages::asset_detail::NewAssetForm on_created=Callback::new(move |_| version.update(|v| *v += 1))/>
        </Show>
        <Suspense fallback=|| ()>
            {move || summary.get().and_then(|r| r.ok()).map(|s| view! {
                <p class="muted" data-testid="asset-summary">
                    {format!("{} · {} online · {} offline · {}", plural(s.total, "asset", "assets"), s.online, s.offline, plural(s.open_alerts, "open alert", "open alerts"))}
                </p>
            })}
        </Suspense>
        // The actions on picked assets show once some are picked, not as empty "0 selected" cards.
        <Show when=move || is_admin() && any_selected()>
            <div class="card form-inline" data-testid="move-assets">
                <span>{move || format!("{} selected", selected.get().len())}</span>
                <select name="target" aria-label="Move to" prop:value=move || target.get() on:change=move |ev| target.set(event_target_value(&ev))>
                    <option value="">"Move to…"</option>
                    {move || targets.get().and_then(|r| r.ok()).map(|list| list.into_iter().map(|o| view! {
                        <option value=o.id.to_string()>{format!("{} ({})", o.name, o.slug)}</option>
                    }).collect_view())}
                </select>
                <button class="btn primary" type="button" on:click=do_move>"Move"</button>
            </div>
        </Show>
        <Show when=move || can_edit() && any_selected()>
            <form class="card form-inline" data-testid="group-assets" on:submit=put_in_group>
                <span>{move || format!("{} selected", selected.get().len())}</span>
                <select name="group" aria-label="Group" prop:value=move || group.get() on:change=move |ev| group.set(event_target_value(&ev))>
                    <option value="">"Put in group…"</option>
                    {move || groups.get().and_then(|r| r.ok()).map(|list| list.into_iter().map(|g| view! {
                        <option value=g.id.to_string()>{g.name.clone()}</option>
                    }).collect_view())}
                    <option value="none">"No group"</option>
                </select>
                <button class="btn" type="submit">"Put in group"</button>
            </form>
        </Show>
        {move || outcome.get().map(|o| match o {
            Ok(msg) => view! { <p class="notice" data-testid="move-result">{msg}</p> }.into_any(),
            Err(msg) => view! { <p class="error" role="alert" data-testid="move-result">{msg}</p> }.into_any(),
        })}
        <Suspense fallback=|| view! { <Loading what="assets"/> }>
            {move || assets.get().map(|r| listed(r, "No assets here.", |page| view! {
                    <table class="table cards" data-testid="assets-table">
                        <thead><tr>{can_pick().then(|| view! { <th><span class="visually-hidden">"Select"</span></th> })}<th>"Name"</th><th>"Kind"</th><th>"Group"</th><th>"OS"</th><th>"Address"</th><th>"Status"</th><th>"Alerts"</th></tr></thead>
                        <tbody>
                            {page.items.into_iter().map(|a| {
                                let id = a.id;
                                let pick_label = format!("Select {}", a.name);
                                view! {
                                    <tr data-external-id=a.external_id.clone().unwrap_or_default()>
                                        {can_pick().then(|| view! {
                                            <td class="pick"><input type="checkbox" aria-label=pick_label prop:checked=move || selected.get().contains(&id) on:change=move |_| toggle(id)/></td>
                                        })}
                                        <td class="primary"><a href=session.href(&format!("assets/{}", a.id))>{a.name.clone()}</a></td>
                                        <td data-label="Kind">{a.kind.as_str().replace('_', " ")}</td>
                                        <td data-label="Group">{a.group_name.clone().unwrap_or_default()}</td>
                                        <td data-label="OS">{a.os.clone().unwrap_or_default()}</td>
                                        <td data-label="Address"><code>{a.address.clone().unwrap_or_default()}</code></td>
                                        <td data-label="Status"><span class=if a.online { "badge active" } else { "badge suspended" }>{if a.online { "online" } else { "offline" }}</span></td>
                                        <td data-label="Alerts">{a.open_alerts}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
            }))}
        </Suspense>
    }
}
