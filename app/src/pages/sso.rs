//! Single sign-on of the current org: its OpenID Connect provider (or the one it inherits),
//! set or removed by its admins. The client secret is write-only: the page never sees it.
use crate::client::{self, ApiFailure};
use crate::layout::use_session;
use crate::pages::scim::ScimTokens;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::Role;
use shared::sso::{PutSso, SsoProvider, encode_query_value};

#[component]
pub fn SsoPage() -> impl IntoView {
    let session = use_session();
    let version = RwSignal::new(0u32);
    let provider = LocalResource::new(move || {
        version.get();
        let org = session.org_header();
        async move {
            match client::get::<SsoProvider>("/api/v1/sso", org).await {
                Ok(p) => Ok(Some(p)),
                Err(ApiFailure { status: 404, .. }) => Ok(None),
                Err(f) => Err(f),
            }
        }
    });
    let issuer = RwSignal::new(String::new());
    let client_id = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let role = RwSignal::new("member".to_string());
    let sso_only = RwSignal::new(false);
    let own = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiFailure>);
    let saved = RwSignal::new(None::<&'static str>);
    // Fill the form from what is stored (the org's own provider; an inherited one is shown,
    // not copied).
    Effect::new(move |_| {
        if let Some(Ok(Some(p))) = provider.get() {
            own.set(!p.inherited);
            if !p.inherited {
                issuer.set(p.issuer.clone());
                client_id.set(p.client_id.clone());
                role.set(p.default_role.as_str().to_string());
                sso_only.set(p.sso_only);
            }
        } else if let Some(Ok(None)) = provider.get() {
            own.set(false);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = PutSso {
            issuer: issuer.get_untracked(),
            client_id: client_id.get_untracked(),
            client_secret: Some(secret.get_untracked()).filter(|s| !s.trim().is_empty()),
            default_role: role.get_untracked().parse::<Role>().ok(),
            sso_only: Some(sso_only.get_untracked()),
        };
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::put::<SsoProvider, _>("/api/v1/sso", org, &body).await {
                Ok(_) => {
                    failure.set(None);
                    secret.set(String::new());
                    saved.set(Some("Saved. People of this organization can now sign in with it."));
                    version.update(|v| *v += 1);
                }
                Err(f) => {
                    saved.set(None);
                    failure.set(Some(f));
                }
            }
        });
    };
    let remove = move |_| {
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::delete("/api/v1/sso", org).await {
                Ok(()) => {
                    failure.set(None);
                    issuer.set(String::new());
                    client_id.set(String::new());
                    saved.set(Some("Removed."));
                    version.update(|v| *v += 1);
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    let err = move |field: &'static str| move || failure.get().and_then(|f| f.field(field)).map(|e| view! { <p class="field-error">{e}</p> });
    let test_url = move || {
        let email = session.me.get().map(|m| m.user.email).unwrap_or_default();
        format!("/auth/sso/start?email={}", encode_query_value(&email))
    };
    view! {
        <Title text="Single sign-on"/>
        <div class="page-head"><h1>"Single sign-on"</h1></div>
        <p class="muted">"People whose address is in this organization's domain sign in with its OpenID Connect provider (Entra ID, Okta, Google…). Their first sign-in creates their account."</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || provider.get().map(|r| match r {
                Err(f) => view! { <p class="error">{f.message}</p> }.into_any(),
                Ok(None) => view! { <p class="empty" data-testid="sso-status">"No provider yet: people sign in with passwords."</p> }.into_any(),
                Ok(Some(p)) => view! {
                    <div class="card" data-testid="sso-status">
                        <p>
                            {if p.inherited { format!("Inherited from {}: ", p.source_org_name) } else { "This organization signs in with ".to_string() }}
                            <code>{p.issuer.clone()}</code>
                            {format!(" (client {}); new people join as {}{}.", p.client_id, p.default_role, if p.sso_only { "; passwords are off" } else { "" })}
                        </p>
                        <p>"Register this redirect URI with the provider: " <code data-testid="sso-redirect-uri">{p.redirect_uri.clone()}</code></p>
                        <a class="btn small" href=test_url target="_blank" rel="noopener">"Test sign-in"</a>
                    </div>
                }.into_any(),
            })}
        </Suspense>
        {move || saved.get().map(|m| view! { <p class="notice" role="status" data-testid="sso-saved">{m}</p> })}
        <form class="card" method="post" on:submit=submit data-testid="sso-form">
            <h2>{move || if own.get() { "This organization's provider" } else { "Set this organization's own provider" }}</h2>
            <label>"Issuer URL"
                <input name="issuer" placeholder="https://login.microsoftonline.com/<tenant id>/v2.0" prop:value=move || issuer.get() on:input=move |ev| issuer.set(event_target_value(&ev))/>
                {err("issuer")}
            </label>
            <label>"Client ID"
                <input name="client_id" prop:value=move || client_id.get() on:input=move |ev| client_id.set(event_target_value(&ev))/>
                {err("client_id")}
            </label>
            <label>"Client secret"
                <input name="client_secret" type="password" autocomplete="off"
                    placeholder=move || if own.get() { "stored; leave empty to keep it" } else { "" }
                    prop:value=move || secret.get() on:input=move |ev| secret.set(event_target_value(&ev))/>
                {err("client_secret")}
            </label>
            <label>"New people join as"
                <select name="default_role" prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>
                    <option value="viewer">"viewer"</option>
                    <option value="member">"member"</option>
                    <option value="admin">"admin"</option>
                </select>
                {err("default_role")}
            </label>
            <label class="checkbox">
                <input type="checkbox" name="sso_only" prop:checked=move || sso_only.get() on:change=move |ev| sso_only.set(event_target_checked(&ev))/>
                " SSO only: no passwords for people of this organization and its child tenants"
            </label>
            {move || failure.get().filter(|f| f.fields.is_empty()).map(|f| view! { <p class="error" role="alert">{f.message}</p> })}
            <button class="btn primary" type="submit">"Save"</button>
            <Show when=move || own.get()>
                " " <button class="btn danger" type="button" on:click=remove>"Remove"</button>
            </Show>
        </form>
        <ScimTokens/>
    }
}
