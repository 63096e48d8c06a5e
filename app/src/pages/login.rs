//! The sign-in page.
use crate::client::{self, ApiFailure};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{LoginRequest, LoginResponse};

#[component]
pub fn LoginPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiFailure>);
    let busy = RwSignal::new(false);
    // The second step: shown once the server answers `mfa_required`.
    let second_step = RwSignal::new(false);
    let use_recovery = RwSignal::new(false);
    let code = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        failure.set(None);
        let entered = code.get_untracked().trim().to_string();
        let entered = (second_step.get_untracked() && !entered.is_empty()).then_some(entered);
        let (otp, recovery_code) = if use_recovery.get_untracked() { (None, entered) } else { (entered, None) };
        let body = LoginRequest { email: email.get_untracked(), password: password.get_untracked().into(), otp, recovery_code };
        leptos::task::spawn_local(async move {
            match client::post::<LoginResponse, _>("/api/v1/auth/login", None, &body).await {
                Ok(r) if r.mfa_enrollment_required => client::go_to("/security"),
                Ok(_) => client::go_to("/"),
                Err(f) => {
                    if f.status == 401 && f.fields.contains_key("methods") {
                        // Password accepted: ask for the code (not an error to show).
                        second_step.set(true);
                        failure.set(None);
                    } else {
                        code.set(String::new());
                        failure.set(Some(f));
                    }
                    busy.set(false);
                }
            }
        });
    };
    let field_error = move |name: &'static str| move || failure.get().and_then(|f| f.field(name));
    let general = move || {
        failure.get().filter(|f| f.fields.is_empty()).map(|f| match f.status {
            401 if second_step.get() => "That code is incorrect, expired or already used.".to_string(),
            401 => "That email and password don't match an account.".to_string(),
            429 => "Too many failed attempts. Wait a few minutes and try again.".to_string(),
            _ => f.message,
        })
    };
    view! {
        <Title text="Sign in"/>
        <div class="centered login">
            <form class="card narrow" on:submit=submit novalidate=true>
                <h1 class="brand-large">"Tenantry"</h1>
                <p class="muted">"Sign in to manage your organizations."</p>
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required=true
                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                {move || field_error("email")().map(|e| view! { <p class="field-error">"Email " {e}</p> })}
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required=true
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                {move || field_error("password")().map(|e| view! { <p class="field-error">"Password " {e}</p> })}
                <Show when=move || second_step.get()>
                    <label for="code">{move || if use_recovery.get() { "Recovery code" } else { "Code from your authenticator app" }}</label>
                    <input id="code" name="code" autocomplete="one-time-code" data-testid="login-code"
                        inputmode=move || if use_recovery.get() { "text" } else { "numeric" }
                        prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/>
                    {move || field_error("otp")().or_else(field_error("recovery_code")).map(|_| view! {
                        <p class="field-error" data-testid="code-error">"That code is incorrect, expired or already used."</p>
                    })}
                    <button class="btn link" type="button" on:click=move |_| { use_recovery.update(|r| *r = !*r); code.set(String::new()); }>
                        {move || if use_recovery.get() { "Use a code from my app instead" } else { "Use a recovery code instead" }}
                    </button>
                </Show>
                {move || general().map(|m| view! { <p class="error" role="alert" data-testid="login-error">{m}</p> })}
                <button class="btn primary wide" type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
        </div>
    }
}
