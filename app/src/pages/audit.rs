//! The audit trail of the current org, with filters and CSV export.
use crate::client::{self, non_empty};
use crate::components::{Loading, listed};
use crate::layout::use_session;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::AuditQuery;

#[component]
pub fn AuditPage() -> impl IntoView {
    let session = use_session();
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let since = RwSignal::new(String::new());
    let query = move || AuditQuery { actor: non_empty(actor.get()), action: non_empty(action.get()), since: non_empty(since.get()), ..Default::default() };
    let events = LocalResource::new(move || {
        let q = AuditQuery { limit: Some(200), ..query() };
        let org = session.org_header();
        async move { client::audit::list(org, &q).await }
    });
    let csv_href = move || client::audit::csv_href(session.org_header(), &query());
    view! {
        <Title text="Audit"/>
        <div class="page-head">
            <h1>"Audit trail"</h1>
            <a class="btn" href=csv_href download="audit.csv" data-testid="audit-csv">"Export CSV"</a>
        </div>
        <div class="filters">
            <input aria-label="Actor email" placeholder="Actor email" prop:value=move || actor.get() on:input=move |ev| actor.set(event_target_value(&ev))/>
            <input aria-label="Action" placeholder="Action, e.g. org.*" prop:value=move || action.get() on:input=move |ev| action.set(event_target_value(&ev))/>
            <label class="inline">"Since " <input type="date" prop:value=move || since.get() on:input=move |ev| since.set(event_target_value(&ev))/></label>
        </div>
        <Suspense fallback=|| view! { <Loading what="events"/> }>
            {move || events.get().map(|r| listed(r, "No events match.", |page| view! {
                    <table class="table cards audit" data-testid="audit-table">
                        <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"What"</th></tr></thead>
                        <tbody>{page.items.into_iter().map(|e| view! {
                            <tr>
                                // One line: "2026-11-29 23:12" (seconds and zone are in the CSV).
                                <td class="when" data-label="When"><time datetime=e.at.clone()>{e.at.replace('T', " ").chars().take(16).collect::<String>()}</time></td>
                                <td data-label="Who">{e.actor_email.clone().unwrap_or_else(|| "system".into())}</td>
                                <td data-label="Action"><code>{e.action.clone()}</code></td>
                                <td class="summary" data-label="What">{e.summary.clone()}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table>
            }))}
        </Suspense>
    }
}
