//! The signed-in person's sign-in factors: enrol an authenticator app (TOTP) from its
//! `otpauth://` link or secret, confirm it with a code, get (and regenerate) the ten recovery
//! codes shown once, remove it. Under a sign-in policy without a factor, this is the only page.
use crate::client::{self, ApiFailure};
use crate::layout::use_session;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{FreshProof, MfaStatus, RecoveryCodes, TotpConfirm, TotpEnrollment, TotpStart};

/// Whether the browser is on this page (the shell sends enrol-only sessions here).
pub fn is_current_page() -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window().and_then(|w| w.location().pathname().ok()).is_some_and(|p| p == "/security")
    }
    #[cfg(not(feature = "hydrate"))]
    true
}

#[component]
pub fn SecurityPage() -> impl IntoView {
    let session = use_session();
    let version = RwSignal::new(0u32);
    let status = LocalResource::new(move || {
        version.get();
        async move { client::get::<MfaStatus>("/api/v1/me/mfa", None).await }
    });
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let proof_otp = RwSignal::new(String::new());
    let enrollment = RwSignal::new(None::<TotpEnrollment>);
    let codes = RwSignal::new(None::<Vec<String>>);
    let failure = RwSignal::new(None::<ApiFailure>);
    let busy = RwSignal::new(false);

    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let body = TotpStart { password: password.get_untracked() };
        leptos::task::spawn_local(async move {
            match client::post::<TotpEnrollment, _>("/api/v1/me/mfa/totp", None, &body).await {
                Ok(e) => {
                    failure.set(None);
                    password.set(String::new());
                    enrollment.set(Some(e));
                }
                Err(f) => failure.set(Some(f)),
            }
            busy.set(false);
        });
    };
    let confirm = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let body = TotpConfirm { code: code.get_untracked() };
        leptos::task::spawn_local(async move {
            match client::post::<RecoveryCodes, _>("/api/v1/me/mfa/totp/confirm", None, &body).await {
                Ok(r) => {
                    failure.set(None);
                    code.set(String::new());
                    enrollment.set(None);
                    codes.set(Some(r.recovery_codes));
                    // The session is no longer enrol-only.
                    if let Some(mut me) = session.me.get_untracked() {
                        me.mfa_enrollment_required = false;
                        session.me.set(Some(me));
                    }
                    version.update(|v| *v += 1);
                }
                Err(f) => failure.set(Some(f)),
            }
            busy.set(false);
        });
    };
    let proof = move || {
        let pw = password.get_untracked();
        let otp = proof_otp.get_untracked();
        FreshProof { password: (!pw.is_empty()).then_some(pw), otp: (!otp.trim().is_empty()).then(|| otp.trim().to_string()) }
    };
    let regenerate = move |_| {
        let body = proof();
        leptos::task::spawn_local(async move {
            match client::post::<RecoveryCodes, _>("/api/v1/me/mfa/recovery_codes", None, &body).await {
                Ok(r) => {
                    failure.set(None);
                    password.set(String::new());
                    proof_otp.set(String::new());
                    codes.set(Some(r.recovery_codes));
                    version.update(|v| *v += 1);
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    let remove = move |_| {
        let body = proof();
        leptos::task::spawn_local(async move {
            match client::delete_with("/api/v1/me/mfa/totp", None, &body).await {
                Ok(()) => {
                    failure.set(None);
                    password.set(String::new());
                    proof_otp.set(String::new());
                    codes.set(None);
                    version.update(|v| *v += 1);
                }
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    let err = move |field: &'static str| move || failure.get().and_then(|f| f.field(field)).map(|e| view! { <p class="field-error">{e}</p> });
    let general = move || {
        failure.get().filter(|f| f.fields.is_empty()).map(|f| match f.status {
            429 => "Too many failed attempts. Wait a few minutes and try again.".to_string(),
            _ => f.message,
        })
    };
    view! {
        <Title text="Security"/>
        <div class="page-head"><h1>"Security"</h1></div>
        {move || session.me.get().filter(|m| m.mfa_enrollment_required).map(|_| view! {
            <div class="card" role="alert" data-testid="mfa-enrollment-required">
                <p><strong>"Your organization requires a second factor."</strong>
                " Set up an authenticator app below; until then this is the only page you can use."</p>
            </div>
        })}
        {move || codes.get().map(|list| view! {
            <div class="card" role="status" data-testid="recovery-codes">
                <p><strong>"Save these recovery codes now: they are shown only this once."</strong>
                " Each one signs you in once if you lose your authenticator."</p>
                <ul class="recovery-codes">{list.into_iter().map(|c| view! { <li><code class="secret">{c}</code></li> }).collect_view()}</ul>
                <button class="btn small" on:click=move |_| codes.set(None)>"I have saved them"</button>
            </div>
        })}
        {move || general().map(|m| view! { <p class="error" role="alert">{m}</p> })}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || status.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(s) if s.totp => view! {
                    <section class="card" data-testid="totp-enrolled">
                        <h2>"Authenticator app"</h2>
                        <p>"On. Signing in asks for a code from your app after the password."</p>
                        <p class="muted">{format!("{} of 10 recovery codes left.", s.recovery_codes_left)}</p>
                        <div style="max-width: 420px">
                        <label>"Confirm with your password"
                            <input name="password" type="password" autocomplete="current-password" prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                            {err("password")}
                        </label>
                        <label>"…or a code from your app"
                            <input name="otp" inputmode="numeric" autocomplete="one-time-code" maxlength="6" prop:value=move || proof_otp.get() on:input=move |ev| proof_otp.set(event_target_value(&ev))/>
                            {err("otp")}
                        </label>
                        </div>
                        <p>
                            <button class="btn" type="button" on:click=regenerate data-testid="regenerate-codes">"New recovery codes"</button>
                            " "
                            <button class="btn danger" type="button" on:click=remove data-testid="remove-totp">"Remove authenticator"</button>
                        </p>
                    </section>
                }.into_any(),
                Ok(_) => view! {
                    <section class="card" data-testid="totp-setup">
                        <h2>"Authenticator app"</h2>
                        <p class="muted">"Off. With an authenticator app (1Password, Google Authenticator, Microsoft Authenticator…) a stolen password is not enough to sign in as you."</p>
                        {move || match enrollment.get() {
                            None => view! {
                                <form style="max-width: 420px" on:submit=start>
                                    <label>"Confirm with your password"
                                        <input name="password" type="password" autocomplete="current-password" prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                                        {err("password")}
                                    </label>
                                    <p><button class="btn primary" type="submit" disabled=move || busy.get()>"Set up an authenticator app"</button></p>
                                </form>
                            }.into_any(),
                            Some(e) => view! {
                                <form style="max-width: 420px" on:submit=confirm>
                                    <p>"Open this link on the device with your authenticator app, or type the key into it:"</p>
                                    <p><a href=e.otpauth_url.clone() data-testid="otpauth-link">"Add to authenticator app"</a></p>
                                    <p>"Key: " <code class="secret" data-testid="totp-secret">{e.secret.clone()}</code></p>
                                    <label>"Then enter the 6-digit code it shows"
                                        <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/>
                                        {err("code")}
                                    </label>
                                    <p><button class="btn primary" type="submit" disabled=move || busy.get()>"Turn on"</button></p>
                                </form>
                            }.into_any(),
                        }}
                    </section>
                }.into_any(),
            })}
        </Suspense>
    }
}
