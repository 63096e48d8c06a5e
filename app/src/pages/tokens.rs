//! The signed-in person's API tokens: create (the secret is shown once), list, revoke.
use crate::client::{self, ApiFailure};
use crate::layout::use_session;
use crate::components::{Loading, listed};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{TokenCreated, TokenRequest};

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
                Ok(t) => {
                    failure.set(None);
                    created.set(Some(t));
                    name.set(String::new());
                    password.set(String::new());
                    otp.set(String::new());
                    version.update(|v| *v += 1);
                }
                Err(f) => {
                    if f.fields.contains_key("methods") || f.fields.contains_key("otp") {
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
            {move || failure.get().filter(|f| f.fields.is_empty()).map(|f| view! { <p class="error">{if f.status == 401 { "That password is not right.".to_string() } else { f.message }}</p> })}
            <button class="btn primary" type="submit">"Create token"</button>
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
