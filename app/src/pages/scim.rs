//! The current org's SCIM tokens, for its directory (Entra ID, Okta…) to provision people:
//! create (the secret and the SCIM base URL are shown once), list, revoke. Shown on the
//! Single sign-on page.
use crate::client::{self, ApiFailure};
use crate::layout::use_session;
use leptos::prelude::*;
use shared::scim::{CreateScimToken, ScimToken, ScimTokenCreated};

#[component]
pub fn ScimTokens() -> impl IntoView {
    let session = use_session();
    let version = RwSignal::new(0u32);
    let tokens = LocalResource::new(move || {
        version.get();
        let org = session.org_header();
        async move { client::get::<Vec<ScimToken>>("/api/v1/scim-tokens", org).await }
    });
    let name = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiFailure>);
    let created = RwSignal::new(None::<ScimTokenCreated>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateScimToken { name: name.get_untracked() };
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::post::<ScimTokenCreated, _>("/api/v1/scim-tokens", org, &body).await {
                Ok(t) => {
                    failure.set(None);
                    name.set(String::new());
                    created.set(Some(t));
                    version.update(|v| *v += 1);
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    let revoke = move |id: uuid::Uuid| {
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            if let Err(f) = client::delete(&format!("/api/v1/scim-tokens/{id}"), org).await {
                failure.set(Some(f));
            }
            version.update(|v| *v += 1);
        });
    };
    view! {
        <h2>"Provisioning (SCIM 2.0)"</h2>
        <p class="muted">"Your directory creates, updates, deactivates and removes this organization's people. Give it the SCIM base URL and a token."</p>
        {move || created.get().map(|t| view! {
            <div class="card" role="status" data-testid="scim-token-created">
                <p><strong>"Copy the token now: it is shown only this once."</strong></p>
                <p>"SCIM base URL: " <code>{t.base_url.clone()}</code></p>
                <p>"Token: " <code class="secret">{t.token.clone()}</code></p>
                <button class="btn small" on:click=move |_| created.set(None)>"Done"</button>
            </div>
        })}
        <form class="card form-grid" method="post" on:submit=submit data-testid="create-scim-token">
            <label>"Name"
                <input name="name" placeholder="Entra ID provisioning" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                {move || failure.get().and_then(|f| f.field("name")).map(|e| view! { <p class="field-error">{e}</p> })}
            </label>
            <button class="btn primary" type="submit">"Create SCIM token"</button>
        </form>
        {move || failure.get().filter(|f| f.fields.is_empty()).map(|f| view! { <p class="error" role="alert">{f.message}</p> })}
        <Suspense fallback=|| view! { <p class="muted">"Loading tokens…"</p> }>
            {move || tokens.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="empty">"No SCIM tokens."</p> }.into_any(),
                Ok(list) => view! {
                    <table class="table" data-testid="scim-tokens">
                        <thead><tr><th>"Name"</th><th>"Starts with"</th><th>"Created by"</th><th>"Created"</th><th>"Last used"</th><th></th></tr></thead>
                        <tbody>{list.into_iter().map(|t| {
                            let id = t.id;
                            view! { <tr>
                                <td>{t.name.clone()}</td>
                                <td><code>{format!("{}…", t.prefix)}</code></td>
                                <td>{t.created_by.clone()}</td>
                                <td>{t.created_at.get(..10).unwrap_or("").to_string()}</td>
                                <td>{t.last_used_at.clone().map(|x| x.get(..10).unwrap_or("").to_string()).unwrap_or_else(|| "never".into())}</td>
                                <td><button class="btn small danger" on:click=move |_| revoke(id)>"Revoke"</button></td>
                            </tr> }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
    }
}
