//! The current org's brand: display name, logo, accent colour, support contact and (for an
//! MSP) "Powered by Tenantry", with a live preview of the header and sign-in card. The
//! colour is checked as it is typed by the same rule the server applies
//! (`shared::branding::check_accent`), so an unreadable one is explained before saving.
//! Customers and child tenants carry the brand they inherit until they save their own.
use crate::client::{self, ApiFailure};
use crate::components::{FormError, field_error};
use crate::layout::use_session;
use leptos::html::Input;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::OrgKind;
use shared::branding::{Brand, Branding, DEFAULT_ACCENT, check_accent};
use shared::settings::{SetSetting, SettingKey, SourceKind};

#[component]
pub fn BrandingPage() -> impl IntoView {
    let session = use_session();
    let version = RwSignal::new(0u32);
    // The org's own `branding` value (if it has one) and where the one in effect comes from.
    let setting = LocalResource::new(move || {
        version.get();
        let org = session.org_header();
        async move { client::settings::list(org).await.map(|s| s.items.into_iter().find(|i| i.key == SettingKey::Branding)) }
    });
    let brand = LocalResource::new(move || {
        version.get();
        let org = session.org_header();
        async move { client::branding::current(org).await }
    });
    let display_name = RwSignal::new(String::new());
    let accent = RwSignal::new(String::new());
    let support_email = RwSignal::new(String::new());
    let support_phone = RwSignal::new(String::new());
    let powered_by = RwSignal::new(true);
    let own = RwSignal::new(false);
    let source = RwSignal::new(String::new());
    let errors = RwSignal::new(None::<ApiFailure>);
    let logo_errors = RwSignal::new(None::<ApiFailure>);
    let saved = RwSignal::new(None::<&'static str>);
    let logo_input = NodeRef::<Input>::new();
    let is_msp = move || session.current.get().is_some_and(|c| c.org.kind == OrgKind::Msp);
    let is_admin = move || session.current.get().is_some_and(|c| c.can.manage_settings);
    // Fill the form from what is stored: the org's own value, else the one it inherits (as a
    // starting point: saving makes it the org's own).
    Effect::new(move |_| {
        if let Some(Ok(Some(item))) = setting.get() {
            let b: Branding = serde_json::from_value(item.value.clone()).unwrap_or_default();
            display_name.set(b.display_name.unwrap_or_default());
            accent.set(b.accent_color.unwrap_or_default());
            support_email.set(b.support_email.unwrap_or_default());
            support_phone.set(b.support_phone.unwrap_or_default());
            powered_by.set(b.powered_by);
            own.set(item.source.kind == SourceKind::Own);
            source.set(match item.source.kind {
                SourceKind::Own => "This organization's own brand.".to_string(),
                SourceKind::Inherited => format!("Inherited from {} until you save this organization's own.", item.source.org_name.unwrap_or_default()),
                SourceKind::Default => "Tenantry's own look until you save a brand.".to_string(),
            });
        }
    });
    // The logo shown in the preview: the one in effect (the org's own or inherited).
    let logo_url = move || brand.get().and_then(|r| r.ok()).and_then(|b| b.logo_url);
    // What the preview shows, from the form as typed.
    let preview = move || {
        let name = display_name.get();
        let org_name = session.current.get().map(|c| c.org.name).unwrap_or_default();
        let (colour, problem) = match accent.get().trim() {
            "" => (DEFAULT_ACCENT.to_string(), None),
            typed => match check_accent(typed) {
                Ok(c) => (c, None),
                Err(e) => (DEFAULT_ACCENT.to_string(), Some(e)),
            },
        };
        let msp_powered = brand.get().and_then(|r| r.ok()).is_none_or(|b| b.powered_by);
        let b = Brand {
            display_name: if name.trim().is_empty() { org_name } else { name.trim().to_string() },
            accent_color: colour,
            logo_url: logo_url(),
            support_email: Some(support_email.get()).filter(|s| !s.trim().is_empty()),
            support_phone: Some(support_phone.get()).filter(|s| !s.trim().is_empty()),
            powered_by: if is_msp() { powered_by.get() } else { msp_powered },
            ..Brand::default()
        };
        (b, problem)
    };
    let refresh_header = move || {
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            if let Ok(b) = client::branding::current(org).await {
                session.current.update(|c| {
                    if let Some(c) = c {
                        c.brand = b;
                    }
                });
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = Branding {
            display_name: Some(display_name.get_untracked()),
            accent_color: Some(accent.get_untracked()),
            support_email: Some(support_email.get_untracked()),
            support_phone: Some(support_phone.get_untracked()),
            powered_by: !is_msp() || powered_by.get_untracked(),
        };
        let body = SetSetting { value: serde_json::to_value(&value).unwrap_or_default() };
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::settings::set(org, SettingKey::Branding, &body).await {
                Ok(_) => {
                    errors.set(None);
                    saved.set(Some("Saved. The header, the sign-in page and mails now use this brand."));
                    version.update(|v| *v += 1);
                    refresh_header();
                }
                Err(f) => {
                    saved.set(None);
                    errors.set(Some(f));
                }
            }
        });
    };
    let revert = move |_| {
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::settings::revert(org, SettingKey::Branding).await {
                Ok(()) => {
                    errors.set(None);
                    saved.set(Some("Reverted to the inherited brand."));
                    version.update(|v| *v += 1);
                    refresh_header();
                }
                Err(f) => errors.set(Some(f)),
            }
        });
    };
    let upload = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            let Some(input) = logo_input.get_untracked() else { return };
            let org = session.org_header();
            leptos::task::spawn_local(async move {
                match client::branding::upload_logo(org, &input).await {
                    Ok(_) => {
                        logo_errors.set(None);
                        input.set_value("");
                        saved.set(Some("Logo saved."));
                        version.update(|v| *v += 1);
                        refresh_header();
                    }
                    Err(f) => {
                        saved.set(None);
                        logo_errors.set(Some(f));
                    }
                }
            });
        }
    };
    let remove_logo = move |_| {
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::branding::remove_logo(org).await {
                Ok(()) => {
                    logo_errors.set(None);
                    saved.set(Some("Logo removed."));
                    version.update(|v| *v += 1);
                    refresh_header();
                }
                Err(f) => logo_errors.set(Some(f)),
            }
        });
    };
    let own_logo = move || {
        let here = session.current.get().map(|c| c.org.id);
        brand.get().and_then(|r| r.ok()).is_some_and(|b| b.logo_url.is_some() && b.source_org_id == here)
    };
    view! {
        <Title text="Branding"/>
        <div class="page-head"><h1>"Branding"</h1></div>
        <p class="muted">"What people of this organization (and of its customers and child tenants, unless they set their own) see in the header, on the sign-in page of its subdomain and in mails."</p>
        <p data-testid="branding-source">{move || source.get()}</p>
        {move || saved.get().map(|m| view! { <p class="notice" role="status" data-testid="branding-saved">{m}</p> })}
        <div class="branding-layout">
            <div>
                <form class="card" on:submit=submit data-testid="branding-form" novalidate=true>
                    <h2>"Name, colour and contact"</h2>
                    <label for="display_name">"Display name"</label>
                    <input id="display_name" name="display_name" maxlength="80" placeholder=move || session.current.get().map(|c| c.org.name).unwrap_or_default()
                        prop:value=move || display_name.get() on:input=move |ev| display_name.set(event_target_value(&ev)) disabled=move || !is_admin()/>
                    {field_error(errors, "display_name")}
                    <label for="accent_color">"Accent colour (hex, e.g. #1a7f5a)"</label>
                    <div class="colour-row">
                        <input id="accent_color" name="accent_color" placeholder=DEFAULT_ACCENT aria-describedby="accent-check"
                            prop:value=move || accent.get() on:input=move |ev| accent.set(event_target_value(&ev)) disabled=move || !is_admin()/>
                        <input type="color" aria-label="Pick the accent colour" class="swatch"
                            prop:value=move || preview().0.accent_color on:input=move |ev| accent.set(event_target_value(&ev)) disabled=move || !is_admin()/>
                    </div>
                    <p id="accent-check" class="small" data-testid="accent-check" aria-live="polite">
                        {move || match preview().1 {
                            Some(problem) => view! { <span class="field-error">"This colour " {problem}</span> }.into_any(),
                            None => view! { <span class="muted">"Readable: text on it and in it keeps a contrast of at least 4.5:1."</span> }.into_any(),
                        }}
                    </p>
                    {field_error(errors, "accent_color")}
                    <label for="support_email">"Support email"</label>
                    <input id="support_email" name="support_email" type="email" prop:value=move || support_email.get()
                        on:input=move |ev| support_email.set(event_target_value(&ev)) disabled=move || !is_admin()/>
                    {field_error(errors, "support_email")}
                    <label for="support_phone">"Support phone"</label>
                    <input id="support_phone" name="support_phone" type="tel" prop:value=move || support_phone.get()
                        on:input=move |ev| support_phone.set(event_target_value(&ev)) disabled=move || !is_admin()/>
                    {field_error(errors, "support_phone")}
                    <Show when=is_msp fallback=|| view! { <p class="muted small">"\"Powered by Tenantry\" is your MSP's choice."</p> }>
                        <label class="inline">
                            <input type="checkbox" name="powered_by" prop:checked=move || powered_by.get()
                                on:change=move |ev| powered_by.set(event_target_checked(&ev)) disabled=move || !is_admin()/>
                            "Show \"Powered by Tenantry\" (for your customers too)"
                        </label>
                        {field_error(errors, "powered_by")}
                    </Show>
                    <FormError errors/>
                    <Show when=is_admin>
                        <button class="btn primary" type="submit" data-testid="branding-save">"Save brand"</button>
                        <Show when=move || own.get()>
                            " " <button class="btn" type="button" on:click=revert data-testid="branding-revert">"Revert to inherited"</button>
                        </Show>
                    </Show>
                </form>
                <Show when=is_admin>
                    <form class="card" on:submit=upload data-testid="logo-form">
                        <h2>"Logo"</h2>
                        <label for="logo">"PNG, JPEG or WebP, at most 256 KB"</label>
                        <input id="logo" name="logo" type="file" accept="image/png,image/jpeg,image/webp" node_ref=logo_input/>
                        {field_error(logo_errors, "logo")}
                        <FormError errors=logo_errors/>
                        <button class="btn primary" type="submit" data-testid="logo-upload">"Upload logo"</button>
                        <Show when=own_logo>
                            " " <button class="btn danger" type="button" on:click=remove_logo data-testid="logo-remove">"Remove logo"</button>
                        </Show>
                    </form>
                </Show>
            </div>
            <section class="card" aria-labelledby="preview-title" data-testid="branding-preview">
                <h2 id="preview-title">"Preview"</h2>
                {move || {
                    let (b, _) = preview();
                    view! {
                        <div class="brand-preview" style=b.css_vars()>
                            <div class="preview-topbar">
                                {b.logo_url.clone().map(|u| view! { <img class="brand-logo" src=u alt=""/> })}
                                <strong data-testid="preview-name">{b.display_name.clone()}</strong>
                            </div>
                            <div class="preview-body">
                                <p class="brand-large">{b.display_name.clone()}</p>
                                <p>"A " <a href="#" on:click=|ev| ev.prevent_default()>"link"</a> " and a button:"</p>
                                <button class="btn primary" type="button" tabindex="-1">"Sign in"</button>
                                {b.support_line().map(|l| view! { <p class="muted small">{l}</p> })}
                                {b.powered_by.then(|| view! { <p class="muted small">"Powered by Tenantry"</p> })}
                            </div>
                        </div>
                    }
                }}
            </section>
        </div>
    }
}
