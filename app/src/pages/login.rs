//! The sign-in page. Hydrated, it signs in through the API; submitted before hydration, the
//! form posts to the server's `/login` handler, which signs in the same way and redirects
//! (never a GET: the password must not end up in a URL). The inputs are not bound to signals,
//! so whatever was typed before hydration is still there after it.
//!
//! Passkeys: "Sign in with a passkey" asks the browser for one (no email typed), and where the
//! browser supports it the email field's autofill offers the passkeys too (conditional UI).
//! A passkey is also the second step after a password, for an account that has one.
//! Identity-first: the email comes first, and as soon as it is an address the page asks the
//! server whether its org signs in with its own identity provider (`/api/v1/auth/sso/discover`).
//! If so it offers "Continue with <org>'s sign-in" (a link to `/auth/sso/start`), and drops
//! the password when the org is "SSO only". On a tenant's subdomain it asks before anything is
//! typed, so that tenant's provider is offered first.
use crate::client::{self, ApiFailure};
use crate::webauthn;
use leptos::html::Input;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use shared::api::LoginRequest;
use shared::sso::{SsoDiscovery, encode_query_value};

/// What the server's form handler means by `/login?error=<code>`.
fn form_error_message(code: &str) -> &'static str {
    match code {
        "credentials" => "That email and password don't match an account.",
        "rate_limited" => "Too many failed attempts. Wait a few minutes and try again.",
        "missing" => "Enter your email and password.",
        "origin" => "That sign-in form did not come from this site. Sign in here.",
        "mfa" => "This account has a second factor. Sign in again: the page then asks for your code or passkey.",
        "sso_only" => "Your organization signs in with single sign-on: use the button to continue with its sign-in.",
        "sso_none" => "That address doesn't sign in with single sign-on here. Sign in with your password.",
        "sso_state" => "That sign-in expired or was started in another browser. Start again here.",
        "sso_denied" => "The sign-in was cancelled at your organization's identity provider.",
        "sso_failed" => "Your organization's identity provider didn't confirm the sign-in. Try again, or ask your administrator to check the single sign-on settings.",
        "sso_unverified" => "Your identity provider hasn't verified your email address, so it can't sign you in here.",
        "sso_domain" => "The account you used at the identity provider has an email address outside your organization's domain. Sign in there with your work account.",
        "sso_conflict" => "This address belongs to an account that is already linked to another sign-in. Ask your administrator.",
        "sso_disabled" => "Your account or your organization is disabled.",
        _ => "Signing in didn't finish. Wait for the page to load, then try again.",
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let email = NodeRef::<Input>::new();
    let password = NodeRef::<Input>::new();
    let failure = RwSignal::new(None::<ApiFailure>);
    let busy = RwSignal::new(false);
    // The second step: shown once the server answers `mfa_required`.
    let second_step = RwSignal::new(false);
    let use_recovery = RwSignal::new(false);
    let code = RwSignal::new(String::new());
    // The second-step methods the server named (`totp`, `recovery_code`, `passkey`).
    let methods = RwSignal::new(Vec::<String>::new());
    let passkey_busy = RwSignal::new(false);
    let passkey_error = RwSignal::new(None::<String>);
    // Where to go once signed in: the org page a signed-out visit asked for (`?next=/o/…`), else the portal.
    let next = move || query.with_untracked(|q| q.get("next").filter(|n| is_org_page(n))).unwrap_or_else(|| "/".into());
    let signed_in = move |r: client::auth::SignedIn| client::go_to(&if r.mfa_enrollment_required { "/security".into() } else { next() });
    // Autofill: where the browser offers passkeys in the email field's suggestions, wait for
    // the person to pick one (a button press replaces this request).
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if !webauthn::conditional_available().await {
                return;
            }
            match webauthn::sign_in(true).await {
                Ok(r) => signed_in(r),
                Err(f) => passkey_error.set(f.message()),
            }
        });
    });
    let with_passkey = move |_| {
        passkey_busy.set(true);
        passkey_error.set(None);
        failure.set(None);
        leptos::task::spawn_local(async move {
            match webauthn::sign_in(false).await {
                Ok(r) => signed_in(r),
                Err(f) => {
                    passkey_error.set(f.message());
                    passkey_busy.set(false);
                }
            }
        });
    };
    let has_passkey = move || methods.with(|m| m.iter().any(|m| m == "passkey"));
    let has_codes = move || methods.with(|m| m.iter().any(|m| m == "totp" || m == "recovery_code"));
    // What the identity provider of the typed address (or of this tenant subdomain) offers;
    // `asked` drops answers to addresses that have been typed over since.
    let sso = RwSignal::new(None::<SsoDiscovery>);
    let asked = RwSignal::new(String::new());
    let discover = move |email: String| {
        asked.set(email.clone());
        leptos::task::spawn_local(async move {
            let path = format!("/api/v1/auth/sso/discover?email={}", encode_query_value(&email));
            let answer = client::get::<SsoDiscovery>(&path, None).await;
            if asked.get_untracked() == email {
                sso.set(answer.ok().filter(|d| d.sso));
            }
        });
    };
    // In the browser only (effects don't run on the server): the tenant of this host.
    Effect::new(move |_| discover(String::new()));
    // The brand of this host's tenant (its own, its MSP's, or Tenantry's).
    let brand = LocalResource::new(|| async { client::branding::for_this_host().await.unwrap_or_default() });
    let brand = move || brand.get().unwrap_or_default();
    let on_email = move |ev: leptos::ev::Event| {
        let typed = event_target_value(&ev).trim().to_string();
        let address = typed.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.ends_with('.'));
        if typed.is_empty() || address {
            discover(typed);
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(url) = sso.get_untracked().filter(|d| d.sso_only).and_then(|d| d.start_url) {
            // Passwords are off for this org: Enter continues at its provider.
            client::go_to(&url);
            return;
        }
        busy.set(true);
        failure.set(None);
        let value = |input: NodeRef<Input>| input.get_untracked().map(|i| i.value()).unwrap_or_default();
        let entered = code.get_untracked().trim().to_string();
        let entered = (second_step.get_untracked() && !entered.is_empty()).then_some(entered);
        let (otp, recovery_code) = if use_recovery.get_untracked() { (None, entered) } else { (entered, None) };
        let body = LoginRequest { email: value(email), password: value(password).into(), otp, recovery_code };
        leptos::task::spawn_local(async move {
            match client::auth::login(&body).await {
                Ok(r) if r.mfa_enrollment_required => client::go_to("/security"),
                Ok(_) => client::go_to(&next()),
                Err(f) => {
                    if f.status == 401 && f.fields.contains_key("methods") {
                        // Password accepted: ask for the code or passkey (not an error to show).
                        methods.set(f.field("methods").unwrap_or_default().split(',').map(str::to_string).collect());
                        if !methods.with_untracked(|m| m.iter().any(|m| m == "totp")) && methods.with_untracked(|m| m.iter().any(|m| m == "recovery_code")) {
                            use_recovery.set(true);
                        }
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
    let general = move || match failure.get() {
        Some(f) => f.fields.is_empty().then(|| match f.status {
            401 if second_step.get() => "That code is incorrect, expired or already used.".to_string(),
            401 => form_error_message("credentials").to_string(),
            429 => form_error_message("rate_limited").to_string(),
            _ => f.message,
        }),
        // The answer of a sign-in posted before hydration, until the next try.
        None if !busy.get() => query.with(|q| q.get("error")).map(|code| form_error_message(&code).to_string()),
        None => None,
    };
    view! {
        <Title text="Sign in"/>
        <div class="centered login" style=move || brand().css_vars()>
            <form class="card narrow" method="post" action="/login" on:submit=submit novalidate=true data-testid="login-form">
                {move || brand().logo_url.map(|u| view! { <img class="login-logo" src=u alt="" data-testid="login-logo"/> })}
                <h1 class="brand-large" data-testid="login-brand-name">{move || brand().display_name}</h1>
                <p class="muted">"Sign in to manage your organizations."</p>
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username webauthn" required=true node_ref=email on:input=on_email/>
                {move || field_error("email")().map(|e| view! { <p class="field-error">"Email " {e}</p> })}
                {move || sso.get().map(|d| {
                    let org = d.org_name.clone().unwrap_or_default();
                    view! {
                        // rel=external: a full page load to the server's redirect, not the router's
                        // client-side navigation (which would render "not found").
                        <a class="btn primary wide sso-continue" href=d.start_url.clone().unwrap_or_default() rel="external" data-testid="sso-continue">
                            {format!("Continue with {org}'s sign-in")}
                        </a>
                        <p class="muted" data-testid=d.sso_only.then_some("sso-only")>
                            {if d.sso_only { format!("{org} signs in with single sign-on only.") } else { "or sign in with your password".to_string() }}
                        </p>
                    }
                })}
                <Show when=move || !sso.get().is_some_and(|d| d.sso_only)>
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required=true node_ref=password/>
                    {move || field_error("password")().map(|e| view! { <p class="field-error">"Password " {e}</p> })}
                </Show>
                <Show when=move || second_step.get() && has_passkey()>
                    <div class="second-step" role="group" aria-labelledby="passkey-step-label" data-testid="login-passkey-step">
                        <p id="passkey-step-label"><strong>"Confirm it's you with your passkey."</strong></p>
                        <button class="btn primary wide" type="button" on:click=with_passkey disabled=move || passkey_busy.get() data-testid="second-step-passkey">
                            {move || if passkey_busy.get() { "Waiting for your passkey…" } else { "Use my passkey" }}
                        </button>
                    </div>
                </Show>
                <Show when=move || second_step.get() && has_codes()>
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
                <Show when=move || !(second_step.get() && !has_codes()) && !sso.get().is_some_and(|d| d.sso_only)>
                    <button class=move || if sso.get().is_some() { "btn wide" } else { "btn primary wide" } type="submit" disabled=move || busy.get()>
                        {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </Show>
                <Show when=move || !second_step.get()>
                    <p class="or-divider" aria-hidden="true"><span>"or"</span></p>
                    <button class="btn wide passkey-button" type="button" on:click=with_passkey disabled=move || passkey_busy.get() data-testid="passkey-sign-in">
                        {move || if passkey_busy.get() { "Waiting for your passkey…" } else { "Sign in with a passkey" }}
                    </button>
                    <p class="muted small">"No email or password: your device asks for your fingerprint, face or PIN."</p>
                </Show>
                {move || passkey_error.get().map(|m| view! { <p class="error" role="alert" data-testid="passkey-error">{m}</p> })}
                {move || brand().support_line().map(|l| view! { <p class="muted small" data-testid="login-support">{l}</p> })}
                {move || brand().powered_by.then(|| view! { <p class="muted small powered-by" data-testid="powered-by">"Powered by Tenantry"</p> })}
            </form>
        </div>
    }
}

/// An address of an org's page on this site (`/o/acme/assets`): the only place `?next=` may
/// send someone after signing in, never another site.
fn is_org_page(path: &str) -> bool {
    path.starts_with("/o/") && path.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_is_only_an_org_page_here() {
        assert!(super::is_org_page("/o/acme-contoso/assets"));
        assert!(!super::is_org_page("//evil.example/o/"));
        assert!(!super::is_org_page("https://evil.example/o/x"));
        assert!(!super::is_org_page("/o/x/../../evil"));
        assert!(!super::is_org_page("/security"));
    }
}
