//! Merge the current tenant into another under the same MSP: pick the target, preview (a dry
//! run listing what moves and every conflict), type the tenant's slug, merge. The server does
//! it in one transaction and refuses while blocking conflicts remain.
use crate::client;
use crate::layout::{plural, use_session};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{MergePlan, MergeRequest};
use shared::{OrgKind, Role};
use uuid::Uuid;

#[component]
pub fn MergePage() -> impl IntoView {
    let session = use_session();
    let target = RwSignal::new(String::new());
    let plan = RwSignal::new(None::<MergePlan>);
    let typed = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let merged = RwSignal::new(None::<(String, MergePlan)>);
    let here = move || session.current.get().map(|c| c.org);
    // Targets: customers and child tenants the user administers, other than this one and its
    // own descendants (a tenant can't be merged into something inside itself).
    let targets = LocalResource::new(move || {
        let me = here().map(|o| o.id);
        async move {
            client::orgs::accessible(&client::assets::first(500)).await.map(|p| {
                let below = descendants(me, &p.items);
                p.items.into_iter().filter(|o| o.role == Role::Admin && o.kind != OrgKind::Msp && Some(o.id) != me && !below.contains(&o.id)).collect::<Vec<_>>()
            })
        }
    });
    let target_name = move || {
        let id = target.get_untracked();
        targets.get_untracked().and_then(|r| r.ok()).and_then(|list| list.into_iter().find(|o| o.id.to_string() == id)).map(|o| o.name)
    };
    let target_label = move || {
        let id = target.get();
        targets.get().and_then(|r| r.ok()).and_then(|list| list.into_iter().find(|o| o.id.to_string() == id)).map(|o| o.name)
    };
    let run = move |dry_run: bool| {
        // Read now, in the click: the answer arrives outside any reactive context.
        let name = target_name().unwrap_or_default();
        let Ok(into_org_id) = Uuid::parse_str(&target.get_untracked()) else {
            error.set(Some("Choose the tenant to merge into.".into()));
            return;
        };
        let org = session.org_header();
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let body = MergeRequest { into_org_id, dry_run };
            match client::orgs::merge(org, &body).await {
                Ok(p) if dry_run => plan.set(Some(p)),
                Ok(p) => {
                    merged.set(Some((name, p)));
                    plan.set(None);
                    // The merged tenant is gone: act in the target from now on.
                    client::store_org(Some(into_org_id));
                    session.org.set(Some(into_org_id));
                }
                Err(f) => error.set(Some(f.field("into_org_id").unwrap_or(f.message))),
            }
            busy.set(false);
        });
    };
    let slug_matches = move || here().is_some_and(|o| typed.get().trim() == o.slug);
    let blocked = move || plan.get().is_some_and(|p| p.conflicts.iter().any(|c| c.blocking));
    view! {
        <Title text="Merge tenant"/>
        <div class="page-head"><h1>"Merge tenant"</h1></div>
        {move || merged.get().map(|(name, p)| view! {
            <p class="notice" data-testid="merge-result">
                {format!("Merged into {name}: {}, {}, {}, {} moved. The old tenant is deleted.",
                    plural(p.assets, "asset", "assets"), plural(p.groups, "group", "groups"), plural(p.users, "user", "users"), plural(p.child_tenants, "child tenant", "child tenants"))}
            </p>
        })}
        <Show when=move || merged.get().is_none()>
            {move || here().map(|o| view! {
                <p>"Everything in " <strong>{o.name.clone()}</strong> " — people, assets, groups, settings, schedules and child tenants — "
                   "moves into the tenant you choose, and " <strong>{o.name.clone()}</strong> " is deleted. All or nothing."</p>
            })}
            <div class="card form-inline">
                <label>"Merge into "
                    <select name="into" data-testid="merge-target" prop:value=move || target.get()
                        on:change=move |ev| { target.set(event_target_value(&ev)); plan.set(None); }>
                        <option value="">"Choose a tenant…"</option>
                        {move || targets.get().and_then(|r| r.ok()).map(|list| list.into_iter().map(|o| view! {
                            <option value=o.id.to_string()>{format!("{} ({})", o.name, o.slug)}</option>
                        }).collect_view())}
                    </select>
                </label>
                <button class="btn" data-testid="merge-preview" disabled=move || busy.get() on:click=move |_| run(true)>"Preview"</button>
            </div>
            {move || error.get().map(|e| view! { <p class="error" data-testid="merge-error">{e}</p> })}
            {move || plan.get().map(|p| view! {
                <div class="card" data-testid="merge-plan">
                    <h2>"What will move"</h2>
                    <p>{[plural(p.assets, "asset", "assets"), plural(p.groups, "group", "groups"), plural(p.users, "user", "users"),
                        plural(p.memberships, "membership", "memberships"), plural(p.child_tenants, "child tenant", "child tenants"),
                        plural(p.schedules, "schedule", "schedules"), plural(p.deployments, "deployment", "deployments")].join(" · ")}</p>
                    {if p.conflicts.is_empty() {
                        view! { <p class="muted">"No conflicts."</p> }.into_any()
                    } else {
                        view! {
                            <table class="table compact" data-testid="merge-conflicts">
                                <thead><tr><th>"Conflict"</th><th>"Value"</th><th>""</th><th>"What happens"</th></tr></thead>
                                <tbody>
                                    {p.conflicts.into_iter().map(|c| view! {
                                        <tr>
                                            <td>{c.kind.replace('_', " ")}</td>
                                            <td><code>{c.value}</code></td>
                                            <td>{if c.blocking { view! { <span class="badge suspended">"blocks"</span> }.into_any() } else { view! { <span class="badge">"ok"</span> }.into_any() }}</td>
                                            <td>{c.detail}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                </div>
            })}
            <Show when=move || plan.get().is_some() && !blocked()>
                <div class="card danger-zone">
                    <label>{move || format!("Type {} to confirm", here().map(|o| o.slug).unwrap_or_default())}
                        <input data-testid="merge-confirm" prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))/>
                    </label>
                    <button class="btn danger" data-testid="merge-run" disabled=move || busy.get() || !slug_matches() on:click=move |_| run(false)>
                        {move || format!("Merge into {}", target_label().unwrap_or_default())}
                    </button>
                </div>
            </Show>
            <Show when=blocked>
                <p class="error">"Resolve the blocking conflicts (rename or remove them in one of the tenants), then preview again."</p>
            </Show>
        </Show>
    }
}

/// The ids of every org in `orgs` below `root` (following `parent_id`).
fn descendants(root: Option<Uuid>, orgs: &[shared::api::OrgEntry]) -> Vec<Uuid> {
    let mut below: Vec<Uuid> = Vec::new();
    let Some(root) = root else { return below };
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for o in orgs.iter().filter(|o| o.parent_id == Some(parent)) {
            if !below.contains(&o.id) {
                below.push(o.id);
                frontier.push(o.id);
            }
        }
    }
    below
}
