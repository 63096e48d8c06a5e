//! The signed-in person's API tokens: create (the secret is shown once), list, revoke.
//! A token is confirmed with the password (and the authenticator code when one is needed),
//! or — for someone with a passkey — with the passkey alone (`POST /api/v1/tokens`).
use crate::client::{self, ApiFailure};
use crate::webauthn::{self, Failure};
use crate::layout::use_session;
use crate::components::{Loading, listed};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{MfaStatus, SessionTokenRequest, TokenCreated, TokenRequest};

#[component]
pub fn TokensPage() -> impl IntoView {
    let session = use_session();
    let version = RwSignal::new(0u32);
    let tokens = LocalResource::new(move || {
        version.get();
        async move { client::auth::tokens().await }
    });
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let days = RwSignal::new("90".to_string());
    // Asked for once the server says a second factor is needed (TOTP enrolled or required).
    let otp = RwSignal::new(String::new());
    let needs_code = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiFailure>);
    let created = RwSignal::new(None::<TokenCreated>);
    // Whether the person has a passkey: then it alone confirms a new token.
    let has_passkey = LocalResource::new(|| async { client::get::<MfaStatus>("/api/v1/me/mfa", None).await.is_ok_and(|s| !s.passkeys.is_empty()) });
    let passkey_failure = RwSignal::new(None::<Failure>);
    let passkey_busy = RwSignal::new(false);
    let done = move |t: TokenCreated| {
        failure.set(None);
        passkey_failure.set(None);
        created.set(Some(t));
        name.set(String::new());
        password.set(String::new());
        otp.set(String::new());
        version.update(|v| *v += 1);
    };
    let with_passkey = move |_| {
        passkey_busy.set(true);
        passkey_failure.set(None);
        let name = name.get_untracked();
        let expires_in_days = days.get_untracked().trim().parse().ok();
        leptos::task::spawn_local(async move {
            let made = match webauthn::proof().await {
                Ok(proof) => {
                    let body = SessionTokenRequest { name, expires_in_days, passkey: proof.passkey, ..SessionTokenRequest::default() };
                    client::post::<TokenCreated, _>("/api/v1/tokens", None, &body).await.map_err(Failure::Api)
                }
                Err(f) => Err(f),
            };
            match made {
                Ok(t) => done(t),
                Err(Failure::Api(f)) if f.fields.contains_key("name") || f.fields.contains_key("expires_in_days") => failure.set(Some(f)),
                Err(f) => passkey_failure.set(Some(f)),
            }
            passkey_busy.set(false);
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let email = session.me.get_untracked().map(|m| m.user.email).unwrap_or_default();
        let body = TokenRequest {
            email,
            password: password.get_untracked().into(),
            name: name.get_untracked(),
            expires_in_days: days.get_untracked().trim().parse().ok(),
            otp: Some(otp.get_untracked().trim().to_string()).filter(|c| !c.is_empty()),
            recovery_code: None,
        };
        leptos::task::spawn_local(async move {
            match client::auth::create_token(&body).await {
                Ok(t) => done(t),
                Err(f) => {
                    let methods = f.field("methods").unwrap_or_default();
                    if methods.split(',').any(|m| m == "totp") || f.fields.contains_key("otp") {
                        needs_code.set(true);
                    }
                    failure.set(Some(f));
                }
            }
        });
    };
    let revoke = move |id: uuid::Uuid, name: String| {
        crate::confirm::ask(
            format!("Revoke the token {name}?"),
            format!("Scripts using {name} stop working at once. This can't be undone; make a new token if they need one."),
            "Revoke token",
            move || {
                let name = name.clone();
                leptos::task::spawn_local(async move {
                    crate::confirm::outcome(match client::auth::revoke_token(id).await {
                        Ok(()) => Ok(format!("The token {name} is revoked.")),
                        Err(f) => Err(format!("{name} was not revoked: {}", f.message)),
                    });
                    version.update(|v| *v += 1);
                });
            },
        );
    };
    let err = move |field: &'static str| move || failure.get().and_then(|f| f.field(field)).map(|e| view! { <p class="field-error">{e}</p> });
    view! {
        <Title text="API tokens"/>
        <div class="page-head"><h1>"API tokens"</h1></div>
        <p class="muted">"Scripts authenticate with " <code>"Authorization: Bearer <token>"</code> " and act as you."</p>
        {move || created.get().map(|t| view! {
            <div class="card" role="status" data-testid="token-created">
                <p><strong>"Copy your new token now: it is shown only this once."</strong></p>
                <code class="secret">{t.token.clone()}</code>
                <button class="btn small" on:click=move |_| created.set(None)>"Done"</button>
            </div>
        })}
        // Rendered only in the browser; `post` anyway, so a password can never go out in a URL.
        <form class="card form-grid" method="post" on:submit=submit data-testid="create-token">
            <h2>"Create a token"</h2>
            <label>"Name"
                <input name="name" placeholder="backup script" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                {err("name")}
            </label>
            <label>"Valid for (days)"
                <input name="expires_in_days" type="number" min="1" max="365" prop:value=move || days.get() on:input=move |ev| days.set(event_target_value(&ev))/>
                {err("expires_in_days")}
            </label>
            <label>"Confirm with your password"
                <input name="password" type="password" autocomplete="current-password" prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                {err("password")}
            </label>
            <Show when=move || needs_code.get()>
                <label>"Code from your authenticator app"
                    <input name="otp" inputmode="numeric" autocomplete="one-time-code" maxlength="6" prop:value=move || otp.get() on:input=move |ev| otp.set(event_target_value(&ev))/>
                    {move || failure.get().filter(|f| f.fields.contains_key("methods")).map(|_| view! { <p class="field-error">"A second factor is required: enter the current code."</p> })}
                    {err("otp")}
                </label>
            </Show>
            {move || failure.get().and_then(|f| f.field("methods")).filter(|m| !m.split(',').any(|m| m == "totp")).map(|_| view! {
                <p class="error" data-testid="token-needs-passkey">"Your second factor is a passkey: confirm with it (Create with a passkey instead)."</p>
            })}
            {move || failure.get().filter(|f| f.fields.is_empty()).map(|f| view! { <p class="error">{if f.status == 401 { "That password is not right.".to_string() } else { f.message }}</p> })}
            <p>
                <button class="btn primary" type="submit">"Create token"</button>
                <Show when=move || has_passkey.get().unwrap_or(false)>
                    " "
                    <button class="btn" type="button" on:click=with_passkey disabled=move || passkey_busy.get() data-testid="create-token-passkey">
                        {move || if passkey_busy.get() { "Waiting for your passkey…" } else { "Create with a passkey instead" }}
                    </button>
                </Show>
            </p>
            {move || passkey_failure.get().and_then(|f| f.message()).map(|m| view! { <p class="error" role="alert" data-testid="token-passkey-error">{m}</p> })}
        </form>
        <Suspense fallback=|| view! { <Loading what="tokens"/> }>
            {move || tokens.get().map(|r| listed(r, "No tokens.", |list| view! {
                    <table class="table" data-testid="tokens-table">
                        <thead><tr><th>"Name"</th><th>"Starts with"</th><th>"Created"</th><th>"Expires"</th><th>"Last used"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>{list.into_iter().map(|t| {
                            let id = t.id;
                            let name = t.name.clone();
                            view! { <tr>
                                <td>{t.name.clone()}</td>
                                <td><code>{format!("{}…", t.prefix)}</code></td>
                                <td>{t.created_at.get(..10).unwrap_or("").to_string()}</td>
                                <td>{t.expires_at.get(..10).unwrap_or("").to_string()}</td>
                                <td>{t.last_used_at.clone().map(|x| x.get(..10).unwrap_or("").to_string()).unwrap_or_else(|| "never".into())}</td>
                                <td><button class="btn small danger" type="button" on:click=move |_| revoke(id, name.clone())>"Revoke"</button></td>
                            </tr> }
                        }).collect_view()}</tbody>
                    </table>
                }))}
        </Suspense>
    }
}
