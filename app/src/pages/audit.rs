//! The audit trail of the current org, with filters and CSV export.
use crate::client;
use crate::layout::{js_encode, use_session};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{AuditEvent, Page};

#[component]
pub fn AuditPage() -> impl IntoView {
    let session = use_session();
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let since = RwSignal::new(String::new());
    let query = move || format!("actor={}&action={}&since={}", js_encode(&actor.get()), js_encode(&action.get()), js_encode(&since.get()));
    let events = LocalResource::new(move || {
        let q = query();
        let org = session.org_header();
        async move { client::get::<Page<AuditEvent>>(&format!("/api/v1/audit?limit=200&{q}"), org).await }
    });
    // A download can't carry the X-Org-Id header, so the link names the org in the query.
    let csv_href = move || {
        let org = session.org.get().map(|o| format!("&org_id={o}")).unwrap_or_default();
        format!("/api/v1/audit?format=csv&{}{org}", query())
    };
    view! {
        <Title text="Audit"/>
        <div class="page-head">
            <h1>"Audit trail"</h1>
            <a class="btn" href=csv_href download="audit.csv" data-testid="audit-csv">"Export CSV"</a>
        </div>
        <div class="filters">
            <input placeholder="Actor email" prop:value=move || actor.get() on:input=move |ev| actor.set(event_target_value(&ev))/>
            <input placeholder="Action, e.g. org.*" prop:value=move || action.get() on:input=move |ev| action.set(event_target_value(&ev))/>
            <label class="inline">"Since " <input type="date" prop:value=move || since.get() on:input=move |ev| since.set(event_target_value(&ev))/></label>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading events…"</p> }>
            {move || events.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(page) if page.items.is_empty() => view! { <p class="empty">"No events match."</p> }.into_any(),
                Ok(page) => view! {
                    <table class="table" data-testid="audit-table">
                        <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"What"</th></tr></thead>
                        <tbody>{page.items.into_iter().map(|e| view! {
                            <tr>
                                <td>{e.at.replace('T', " ").chars().take(19).collect::<String>()}</td>
                                <td>{e.actor_email.clone().unwrap_or_default()}</td>
                                <td><code>{e.action.clone()}</code></td>
                                <td>{e.summary.clone()}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
    }
}
