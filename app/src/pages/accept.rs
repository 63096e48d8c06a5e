//! Accepting an invitation: outside the signed-in shell. The invited person picks a name and
//! a password and lands signed in, in the org that invited them.
use crate::client::{self, ApiFailure};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use shared::api::AcceptInvitation;

#[component]
pub fn AcceptPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let invitation = LocalResource::new(move || {
        let t = token();
        async move { client::people::lookup_invitation(&t).await }
    });
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiFailure>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        failure.set(None);
        let body = AcceptInvitation { token: token(), name: name.get_untracked(), password: password.get_untracked() };
        leptos::task::spawn_local(async move {
            match client::people::accept_invitation(&body).await {
                Ok(_) => client::go_to("/"),
                Err(f) => {
                    failure.set(Some(f));
                    busy.set(false);
                }
            }
        });
    };
    let field_error = move |name: &'static str| move || failure.get().and_then(|f| f.field(name)).map(|e| view! { <p class="field-error">{e}</p> });
    let general = move || {
        failure.get().filter(|f| f.fields.is_empty()).map(|f| match f.status {
            404 => "This invitation link is no longer valid: it expired, was revoked or replaced, or was already used. Ask for a new one.".to_string(),
            409 => "This address already has an account. Sign in instead.".to_string(),
            _ => f.message,
        })
    };
    view! {
        <Title text="Accept invitation"/>
        <div class="centered login">
            <Suspense fallback=|| view! { <p class="muted">"Checking your invitation…"</p> }>
                {move || invitation.get().map(|r| match r {
                    // Either, not into_any: this page is in the signed-out module, kept small.
                    Err(_) => Either::Left(view! {
                        <div class="card narrow" data-testid="invitation-invalid">
                            <h1>"Invitation not valid"</h1>
                            <p class="muted">"This link expired, was revoked or replaced by a newer one, or was already used. Ask your admin to send a new invitation."</p>
                            <a class="btn" href="/login">"Sign in"</a>
                        </div>
                    }),
                    Ok(inv) => Either::Right(view! {
                        // Rendered only in the browser; `post` anyway, so a password can never go out in a URL.
                        <form class="card narrow" method="post" on:submit=submit novalidate=true data-testid="accept-form">
                            <h1 class="brand-large">"Tenantry"</h1>
                            <p>"You are invited to " <strong>{inv.org_name.clone()}</strong> " as " {inv.role.to_string()} "."</p>
                            <p class="muted">"Your sign-in email: " {inv.email.clone()}</p>
                            <label for="name">"Your name"</label>
                            <input id="name" name="name" autocomplete="name" required=true
                                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                            {field_error("name")}
                            <label for="password">"Choose a password"</label>
                            <input id="password" name="password" type="password" autocomplete="new-password" required=true
                                prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                            <small class="muted">"At least 10 characters."</small>
                            {field_error("password")}
                            {field_error("token")}
                            {move || general().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                            <button class="btn primary wide" type="submit" disabled=move || busy.get()>
                                {move || if busy.get() { "Joining…" } else { "Join and sign in" }}
                            </button>
                        </form>
                    }),
                })}
            </Suspense>
        </div>
    }
}
