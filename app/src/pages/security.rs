//! The signed-in person's sign-in factors: enrol an authenticator app (TOTP) from its QR code,
//! `otpauth://` link or secret, confirm it with a code, get (and regenerate) the ten recovery
//! codes shown once, remove it; add passkeys (named), see when each was added and last used,
//! rename and remove them. Under a sign-in policy without a factor, this is the only page.
use super::people::short_time;
use crate::client::{self, ApiFailure};
use crate::layout::use_session;
use crate::webauthn::{self, Failure};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{
    FreshProof, Me, MfaStatus, PasskeyInfo, PasskeyRegistrationStart, PasskeyRename, RecoveryCodes, TotpConfirm, TotpEnrollment, TotpStart,
};

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
    // The passkeys section's last success ("… added"): kept here, because a success reloads
    // the status and so rebuilds that section, which would drop a notice of its own.
    let passkey_notice = RwSignal::new(None::<String>);

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
        FreshProof { password: (!pw.is_empty()).then_some(pw), otp: (!otp.trim().is_empty()).then(|| otp.trim().to_string()), ..FreshProof::default() }
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
                " Add a passkey or set up an authenticator app below; until then this is the only page you can use."</p>
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
                                <form on:submit=confirm>
                                    <div class="enrol-grid">
                                    <div class="qr-code" role="img" aria-label="QR code of the authenticator link: scan it with your authenticator app"
                                        data-testid="totp-qr" inner_html=e.qr_svg.clone()></div>
                                    <div style="max-width: 420px">
                                    <p>"Scan the QR code with your authenticator app, open this link on the device that has the app, or type the key into it:"</p>
                                    <p><a href=e.otpauth_url.clone() data-testid="otpauth-link">"Add to authenticator app"</a></p>
                                    <p>"Key: " <code class="secret" data-testid="totp-secret">{e.secret.clone()}</code></p>
                                    <label>"Then enter the 6-digit code it shows"
                                        <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/>
                                        {err("code")}
                                    </label>
                                    <p><button class="btn primary" type="submit" disabled=move || busy.get()>"Turn on"</button></p>
                                    </div>
                                    </div>
                                </form>
                            }.into_any(),
                        }}
                    </section>
                }.into_any(),
            })}
            {move || status.get().and_then(Result::ok).map(|s| view! { <Passkeys list=s.passkeys version notice=passkey_notice/> })}
        </Suspense>
    }
}

/// Re-reads who is signed in: adding or removing a factor can lift or bring back the
/// enrol-only restriction of this session.
async fn refresh_me(session: crate::layout::Session) {
    if let Ok(me) = client::get::<Me>("/api/v1/me", None).await {
        session.me.set(Some(me));
    }
}

/// Everything a failure says about `field` (an API field error), for beside that field.
fn field_error(failure: RwSignal<Option<Failure>>, field: &'static str) -> impl Fn() -> Option<AnyView> + Copy {
    move || match failure.get() {
        Some(Failure::Api(f)) => f.field(field).map(|e| view! { <p class="field-error">{e}</p> }.into_any()),
        _ => None,
    }
}

/// The passkeys section: the list (name, added, last used; rename, remove) and adding one.
/// Adding or removing takes a fresh proof: the password, or one of the passkeys. `notice`
/// belongs to the page: it outlives this section, which is rebuilt when the list reloads.
#[component]
fn Passkeys(list: Vec<PasskeyInfo>, version: RwSignal<u32>, notice: RwSignal<Option<String>>) -> impl IntoView {
    let session = use_session();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<Failure>);
    let busy = RwSignal::new(false);
    let has_passkeys = !list.is_empty();
    let add = move |with_passkey: bool| {
        busy.set(true);
        failure.set(None);
        notice.set(None);
        let pw = password.get_untracked();
        let mut start = PasskeyRegistrationStart { name: name.get_untracked(), ..PasskeyRegistrationStart::default() };
        leptos::task::spawn_local(async move {
            if with_passkey {
                match webauthn::proof().await {
                    Ok(p) => start.passkey = p.passkey,
                    Err(f) => {
                        failure.set(Some(f));
                        busy.set(false);
                        return;
                    }
                }
            } else {
                start.password = (!pw.is_empty()).then_some(pw);
            }
            match webauthn::register(&start).await {
                Ok(p) => {
                    name.set(String::new());
                    password.set(String::new());
                    notice.set(Some(format!("Passkey \"{}\" added. You were signed out everywhere else.", p.name)));
                    refresh_me(session).await;
                    version.update(|v| *v += 1);
                }
                Err(f) => failure.set(Some(f)),
            }
            busy.set(false);
        });
    };
    let general = move || match failure.get() {
        Some(Failure::Api(f)) if f.fields.keys().any(|k| k == "name" || k == "password") => None,
        Some(f) => f.message(),
        None => None,
    };
    view! {
        <section class="card" data-testid="passkeys" aria-labelledby="passkeys-title">
            <h2 id="passkeys-title">"Passkeys"</h2>
            <p class="muted">"A passkey signs you in with your fingerprint, face or device PIN instead of a password, here and at every tenant's address. It can't be phished or reused elsewhere, and counts as a second factor by itself."</p>
            {if list.is_empty() {
                view! { <p data-testid="no-passkeys">"No passkeys yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="passkey-list" aria-label="Your passkeys">
                        {list.into_iter().map(|p| view! { <PasskeyItem p version/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {move || notice.get().map(|m| view! { <p class="notice" role="status" data-testid="passkey-notice">{m}</p> })}
            <form style="max-width: 420px" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); add(false); } data-testid="add-passkey">
                <h3>"Add a passkey"</h3>
                <label>"Name"
                    <input name="passkey-name" placeholder="e.g. Work laptop, YubiKey" maxlength="60"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                    {field_error(failure, "name")}
                </label>
                <label>"Confirm with your password"
                    <input name="password" type="password" autocomplete="current-password"
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                    {field_error(failure, "password")}
                </label>
                <p>
                    <button class="btn primary" type="submit" disabled=move || busy.get()>
                        {move || if busy.get() { "Waiting for your device…" } else { "Add a passkey" }}
                    </button>
                    {has_passkeys.then(|| view! {
                        " "
                        <button class="btn" type="button" on:click=move |_| add(true) disabled=move || busy.get()>"Confirm with a passkey instead"</button>
                    })}
                </p>
                {move || general().map(|m| view! { <p class="error" role="alert" data-testid="passkey-add-error">{m}</p> })}
            </form>
        </section>
    }
}

/// One passkey: its name and dates, renaming in place, removing after a fresh proof.
#[component]
fn PasskeyItem(p: PasskeyInfo, version: RwSignal<u32>) -> impl IntoView {
    let session = use_session();
    let path = StoredValue::new(format!("/api/v1/me/passkeys/{}", p.id));
    let editing = RwSignal::new(false);
    let removing = RwSignal::new(false);
    let new_name = RwSignal::new(p.name.clone());
    let password = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<Failure>);
    let busy = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let path = path.get_value();
        let body = PasskeyRename { name: new_name.get_untracked() };
        leptos::task::spawn_local(async move {
            match client::patch::<PasskeyInfo, _>(&path, None, &body).await {
                Ok(_) => version.update(|v| *v += 1),
                Err(f) => failure.set(Some(Failure::Api(f))),
            }
        });
    };
    let remove = move |with_passkey: bool| {
        let path = path.get_value();
        let pw = password.get_untracked();
        busy.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            let proof = if with_passkey {
                webauthn::proof().await
            } else {
                Ok(FreshProof { password: (!pw.is_empty()).then_some(pw), ..FreshProof::default() })
            };
            let done = match proof {
                Ok(proof) => client::delete_with(&path, None, &proof).await.map_err(Failure::Api),
                Err(f) => Err(f),
            };
            match done {
                Ok(()) => {
                    refresh_me(session).await;
                    version.update(|v| *v += 1);
                }
                Err(f) => failure.set(Some(f)),
            }
            busy.set(false);
        });
    };
    let name = p.name.clone();
    let dates = format!("Added {} · Last used {}", short_time(&p.created_at), p.last_used_at.as_deref().map(short_time).unwrap_or_else(|| "never".to_string()));
    let message = move || match failure.get() {
        Some(Failure::Api(f)) if f.fields.contains_key("name") => None,
        Some(f) => f.message(),
        None => None,
    };
    view! {
        <li data-testid="passkey">
            <div>
                <Show when=move || editing.get() fallback={
                    let name = name.clone();
                    move || view! { <strong data-testid="passkey-name">{name.clone()}</strong> }
                }>
                    <form on:submit=save>
                        <label>"New name"
                            <input name="rename" maxlength="60" prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev))/>
                            {field_error(failure, "name")}
                        </label>
                        <p>
                            <button class="btn small primary" type="submit" data-testid="save-passkey-name">"Save"</button>
                            " "
                            <button class="btn small" type="button" on:click=move |_| editing.set(false)>"Cancel"</button>
                        </p>
                    </form>
                </Show>
                <div class="meta" data-testid="passkey-dates">{dates}</div>
                <Show when=move || removing.get()>
                    <form on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); remove(false); }>
                        <label>"Confirm with your password"
                            <input name="password" type="password" autocomplete="current-password"
                                prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                        </label>
                        <p>
                            <button class="btn small danger" type="submit" disabled=move || busy.get() data-testid="confirm-remove-passkey">"Remove"</button>
                            " "
                            <button class="btn small" type="button" disabled=move || busy.get() on:click=move |_| remove(true)>"Confirm with a passkey"</button>
                        </p>
                    </form>
                </Show>
                {move || message().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            </div>
            <div class="actions">
                <button class="btn small" type="button" aria-label=format!("Rename {}", p.name) aria-expanded=move || editing.get().to_string()
                    on:click=move |_| editing.update(|e| *e = !*e) data-testid="rename-passkey">"Rename"</button>
                <button class="btn small danger" type="button" aria-label=format!("Remove {}", p.name) aria-expanded=move || removing.get().to_string()
                    on:click=move |_| removing.update(|r| *r = !*r) data-testid="remove-passkey">"Remove…"</button>
            </div>
        </li>
    }
}

