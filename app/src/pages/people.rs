//! People in the current org.
use crate::client;
use crate::layout::{js_encode, use_session};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{Member, Page};

#[component]
pub fn PeoplePage() -> impl IntoView {
    let session = use_session();
    let query = RwSignal::new(String::new());
    let people = LocalResource::new(move || {
        let q = js_encode(&query.get());
        let org = session.org_header();
        async move { client::get::<Page<Member>>(&format!("/api/v1/users?limit=200&q={q}"), org).await }
    });
    view! {
        <Title text="People"/>
        <div class="page-head">
            <h1>"People"</h1>
            <input class="search" type="search" placeholder="Search people…" prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading people…"</p> }>
            {move || people.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(page) if page.items.is_empty() => view! { <p class="empty">"Nobody here yet."</p> }.into_any(),
                Ok(page) => view! {
                    <table class="table" data-testid="people-table">
                        <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Status"</th><th>"Last sign-in"</th></tr></thead>
                        <tbody>{page.items.into_iter().map(|m| view! {
                            <tr>
                                <td>{m.user.name.clone()}</td>
                                <td>{m.user.email.clone()}</td>
                                <td>{m.role.to_string()}</td>
                                <td><span class=format!("badge {}", m.user.status)>{m.user.status.to_string()}</span></td>
                                <td>{m.user.last_login_at.clone().map(|t| t.replace('T', " ").chars().take(16).collect::<String>()).unwrap_or_else(|| "never".into())}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
    }
}
