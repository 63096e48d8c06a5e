//! Groups of assets in the current org: list, create, rename, delete. Viewers can be limited
//! to groups (People page); the Assets page puts assets into them. Actions show only when the
//! server's `can` flags allow them.
use crate::client::{self, ApiFailure};
use crate::confirm;
use crate::layout::{plural, use_session};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{Group, GroupBody};
use uuid::Uuid;

#[component]
pub fn GroupsPage() -> impl IntoView {
    let session = use_session();
    let version = RwSignal::new(0u32);
    let can_edit = move || session.current.with(|c| c.as_ref().is_some_and(|c| c.can.edit_assets));
    let can_delete = move || session.current.with(|c| c.as_ref().is_some_and(|c| c.can.manage_groups));
    let groups = LocalResource::new(move || {
        let org = session.org_header();
        version.get();
        async move { client::assets::groups(org, &client::assets::first(500)).await }
    });
    let reload = move || version.update(|v| *v += 1);
    let renaming = RwSignal::new(None::<Uuid>);
    let ask_delete = move |g: Group| {
        let org = session.current.with_untracked(|c| c.as_ref().map(|c| c.org.name.clone()).unwrap_or_default());
        let name = g.name.clone();
        confirm::ask(
            format!("Delete the group {name}?"),
            format!(
                "{name} goes from {org}. Its {} stay, without a group; a viewer limited to {name} no longer sees them.",
                plural(g.asset_count, "asset", "assets")
            ),
            format!("Delete {name}"),
            move || {
                let (org, name) = (session.org_header(), name.clone());
                let id = g.id;
                leptos::task::spawn_local(async move {
                    confirm::outcome(match client::assets::delete_group(org, id).await {
                        Ok(_) => Ok(format!("The group {name} is deleted.")),
                        Err(f) => Err(format!("{name} was not deleted: {}", f.message)),
                    });
                    reload();
                });
            },
        );
    };
    view! {
        <Title text="Groups"/>
        <div class="page-head"><h1>"Groups of assets"</h1></div>
        <Show when=can_edit>
            <NewGroup on_created=Callback::new(move |_| reload())/>
        </Show>
        <Suspense fallback=|| view! { <p class="muted">"Loading groups…"</p> }>
            {move || groups.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(page) if page.items.is_empty() => view! { <p class="empty">"No groups yet."</p> }.into_any(),
                Ok(page) => view! {
                    <table class="table cards" data-testid="groups-table">
                        <thead><tr><th>"Group"</th><th>"Assets"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>{page.items.into_iter().map(|g| {
                            let id = g.id;
                            let for_delete = g.clone();
                            let name = g.name.clone();
                            let shown_name = g.name.clone();
                            view! {
                                <tr data-group=g.name.clone()>
                                    <td class="primary">
                                        <Show when=move || renaming.get() == Some(id) fallback=move || view! { <span>{shown_name.clone()}</span> }>
                                            <RenameGroup id name=name.clone() on_done=Callback::new(move |_| { renaming.set(None); reload(); })/>
                                        </Show>
                                    </td>
                                    <td data-label="Assets">{g.asset_count}</td>
                                    <td class="actions">
                                        <Show when=move || can_edit() && renaming.get() != Some(id)>
                                            <button class="btn small" type="button" on:click=move |_| renaming.set(Some(id))>"Rename"</button>
                                        </Show>
                                        <Show when=can_delete>
                                            <button class="btn small danger" type="button" on:click={
                                                let g = for_delete.clone();
                                                move |_| ask_delete(g.clone())
                                            }>"Delete"</button>
                                        </Show>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn NewGroup(on_created: Callback<()>) -> impl IntoView {
    let session = use_session();
    let name = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiFailure>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = GroupBody { name: name.get_untracked() };
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::assets::create_group(org, &body).await {
                Ok(g) => {
                    failure.set(None);
                    name.set(String::new());
                    confirm::done(format!("Created the group {}.", g.name));
                    on_created.run(());
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    view! {
        <form class="card form-inline" on:submit=submit data-testid="new-group">
            <label class="inline">"New group"
                <input name="name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
            </label>
            <button class="btn primary" type="submit">"Create group"</button>
            {crate::layout::field_error(failure, "name")}
            {move || failure.get().filter(|f| f.fields.is_empty()).map(|f| view! { <p class="error">{f.message}</p> })}
        </form>
    }
}

#[component]
fn RenameGroup(id: Uuid, name: String, on_done: Callback<()>) -> impl IntoView {
    let session = use_session();
    let value = RwSignal::new(name.clone());
    let failure = RwSignal::new(None::<ApiFailure>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = GroupBody { name: value.get_untracked() };
        let org = session.org_header();
        let old = name.clone();
        leptos::task::spawn_local(async move {
            match client::assets::rename_group(org, id, &body).await {
                Ok(g) => {
                    confirm::done(format!("Renamed {old} to {}.", g.name));
                    on_done.run(());
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    view! {
        <form class="form-inline" on:submit=submit data-testid="rename-group">
            <input name="name" aria-label="New name" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
            <button class="btn small primary" type="submit">"Save"</button>
            <button class="btn small" type="button" on:click=move |_| on_done.run(())>"Cancel"</button>
            {crate::layout::field_error(failure, "name")}
        </form>
    }
}
