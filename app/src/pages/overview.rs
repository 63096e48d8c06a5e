//! The MSP dashboard: every managed customer's figures at a glance, totals on top, a bar of
//! online/offline per customer, sort, filter and search.
use crate::client;
use crate::layout::{js_encode, use_session};
use crate::pages::tag_ui::tag_param;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::Overview;

/// The word after a big number: "1 customer", "2 customers".
fn noun(n: i64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

#[component]
pub fn OverviewPage() -> impl IntoView {
    let session = use_session();
    let msp = move || session.current.with(|c| c.as_ref().is_some_and(|c| c.can.overview));
    view! {
        <Show when=msp fallback=|| view! { <Title text="Overview"/><crate::layout::MspOnly what="Customers at a glance"/> }>
            <Overview/>
        </Show>
    }
}

#[component]
fn Overview() -> impl IntoView {
    let session = use_session();
    let query = RwSignal::new(String::new());
    let sort = RwSignal::new("name".to_string());
    let status = RwSignal::new(String::new());
    let tag = RwSignal::new(String::new());
    let data = LocalResource::new(move || {
        let url = format!("/api/v1/overview?limit=100&q={}&sort={}&status={}{}", js_encode(&query.get()), sort.get(), status.get(), tag_param(&tag.get()));
        let org = session.org_header();
        async move { client::get::<Overview>(&url, org).await }
    });
    // A row's name opens that customer's assets: the pages act in it from then on.
    let open_customer = move |id: uuid::Uuid| {
        client::store_org(Some(id));
        session.org.set(Some(id));
    };
    let head = move |key: &'static str, label: &'static str| {
        // A button in the header cell: reachable by keyboard; `aria-sort` says which column orders the rows.
        view! {
            <th class="sortable" class:sorted=move || sort.get() == key
                aria-sort=move || if sort.get() == key { if key == "name" { "ascending" } else { "descending" } } else { "none" }>
                <button type="button" class="sort-button" on:click=move |_| sort.set(key.to_string())>{label}</button>
            </th>
        }
    };
    view! {
        <Title text="Overview"/>
        <div class="page-head">
            <h1>"Customers at a glance"</h1>
            <div class="filters">
                <input type="search" aria-label="Search customers" placeholder="Search customers…" data-testid="overview-search" prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
                <select aria-label="Status" on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="">"All statuses"</option>
                    <option value="active">"Active"</option>
                    <option value="suspended">"Suspended"</option>
                </select>
                <crate::pages::tag_ui::TagFilter value=tag/>
            </div>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading the overview…"</p> }>
            {move || data.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(o) => {
                    let t = o.totals.clone();
                    view! {
                        <div class="totals" data-testid="overview-totals">
                            <div class="stat"><span class="n">{t.customers}</span>{noun(t.customers, "customer", "customers")}</div>
                            <div class="stat"><span class="n">{t.assets}</span>{noun(t.assets, "asset", "assets")}</div>
                            <div class="stat ok"><span class="n">{t.online}</span>"online"</div>
                            <div class="stat bad"><span class="n">{t.offline}</span>"offline"</div>
                            <div class="stat warn"><span class="n">{t.open_alerts}</span>{noun(t.open_alerts, "open alert", "open alerts")}</div>
                            <div class="stat"><span class="n">{t.suspended}</span>"suspended"</div>
                            <div class="stat" data-testid="protected-users"><span class="n">{t.protected_users}</span>"users with a second factor"</div>
                        </div>
                        {if o.items.is_empty() {
                            view! { <p class="empty">"No customer matches."</p> }.into_any()
                        } else {
                            view! {
                                <table class="table cards" data-testid="overview-table">
                                    <thead><tr>
                                        {head("name", "Customer")}{head("users", "Users")}<th>"With 2nd factor"</th>{head("assets", "Assets")}
                                        <th>"Online / offline"</th>{head("alerts", "Open alerts")}{head("activity", "Last activity")}<th>"Status"</th>
                                    </tr></thead>
                                    <tbody>{o.items.into_iter().map(|c| {
                                        let alerts = c.open_alerts;
                                        let id = c.id;
                                        let alert_class = if alerts > 0 { "alert" } else { "" };
                                        let pct = if c.assets > 0 { c.online * 100 / c.assets } else { 0 };
                                        view! {
                                            <tr data-slug=c.slug.clone()>
                                                <td class="primary">
                                                    <a href="/assets" data-testid="open-customer" on:click=move |_| open_customer(id)>{c.name.clone()}</a>
                                                </td>
                                                <td data-label="Users">{c.users}</td>
                                                <td data-label="With 2nd factor">{format!("{} of {}", c.protected_users, c.users)}</td>
                                                <td data-label="Assets">{c.assets}</td>
                                                <td data-label="Online / offline">
                                                    <div class="bar" title=format!("{} online, {} offline", c.online, c.offline)>
                                                        <span class="bar-ok" style=format!("width: {pct}%")></span>
                                                    </div>
                                                    <small class="muted">{format!("{} / {}", c.online, c.offline)}</small>
                                                </td>
                                                <td data-label="Open alerts" class=alert_class>{alerts}</td>
                                                <td data-label="Last activity">{c.last_activity.clone().map(|t| t.replace('T', " ").chars().take(16).collect::<String>()).unwrap_or_else(|| "—".into())}</td>
                                                <td data-label="Status"><span class=format!("badge {}", c.status)>{c.status.to_string()}</span></td>
                                            </tr>
                                        }
                                    }).collect_view()}</tbody>
                                </table>
                            }.into_any()
                        }}
                    }.into_any()
                }
            })}
        </Suspense>
    }
}
