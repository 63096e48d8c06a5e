//! One asset of the current org: its facts, an edit form (members), delete (admins); and the
//! form that adds an asset. Errors from the API appear next to the field they name.
use crate::client::{self, ApiFailure};
use crate::layout::{field_error, plural, use_session};
use crate::components::FormError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};
use shared::api::{Asset, CreateAsset, UpdateAsset};
use shared::AssetKind;

/// The editable fields of an asset, as the form holds them.
#[derive(Clone, Copy)]
struct Fields {
    kind: RwSignal<String>,
    name: RwSignal<String>,
    group_id: RwSignal<String>,
    os: RwSignal<String>,
    address: RwSignal<String>,
    external_id: RwSignal<String>,
    online: RwSignal<bool>,
    open_alerts: RwSignal<String>,
}

impl Fields {
    fn new() -> Self {
        Fields {
            kind: RwSignal::new(AssetKind::Computer.as_str().to_string()),
            name: RwSignal::new(String::new()),
            group_id: RwSignal::new(String::new()),
            os: RwSignal::new(String::new()),
            address: RwSignal::new(String::new()),
            external_id: RwSignal::new(String::new()),
            online: RwSignal::new(false),
            open_alerts: RwSignal::new("0".into()),
        }
    }

    fn fill(&self, a: &Asset) {
        self.kind.set(a.kind.as_str().to_string());
        self.name.set(a.name.clone());
        self.group_id.set(a.group_id.map(|g| g.to_string()).unwrap_or_default());
        self.os.set(a.os.clone().unwrap_or_default());
        self.address.set(a.address.clone().unwrap_or_default());
        self.external_id.set(a.external_id.clone().unwrap_or_default());
        self.online.set(a.online);
        self.open_alerts.set(a.open_alerts.to_string());
    }

    /// Alerts must be a number; anything else is sent as -1 so the server names the field.
    fn alerts(&self) -> i64 {
        self.open_alerts.get_untracked().trim().parse().unwrap_or(-1)
    }

    fn update(&self) -> UpdateAsset {
        UpdateAsset {
            kind: Some(self.kind.get_untracked()),
            name: Some(self.name.get_untracked()),
            group_id: Some(self.group_id.get_untracked()),
            os: Some(self.os.get_untracked()),
            address: Some(self.address.get_untracked()),
            online: Some(self.online.get_untracked()),
            last_seen_at: None,
            open_alerts: Some(self.alerts()),
            external_id: Some(self.external_id.get_untracked()),
        }
    }

    fn create(&self) -> CreateAsset {
        let opt = |s: RwSignal<String>| Some(s.get_untracked().trim().to_string()).filter(|v| !v.is_empty());
        CreateAsset {
            kind: self.kind.get_untracked(),
            name: self.name.get_untracked(),
            group_id: opt(self.group_id).and_then(|g| uuid::Uuid::parse_str(&g).ok()),
            os: opt(self.os),
            address: opt(self.address),
            online: Some(self.online.get_untracked()),
            last_seen_at: None,
            open_alerts: Some(self.alerts()),
            external_id: opt(self.external_id),
        }
    }
}

/// The asset form's inputs, with each field's error under it.
#[component]
fn AssetForm(fields: Fields, errors: RwSignal<Option<ApiFailure>>, #[prop(into)] disabled: Signal<bool>) -> impl IntoView {
    let session = use_session();
    let groups = LocalResource::new(move || {
        let org = session.org_header();
        async move { client::assets::groups(org, &client::assets::first(500)).await }
    });
    let text = move |label: &'static str, field: &'static str, signal: RwSignal<String>| {
        view! {
            <label>{label}
                <input name=field prop:value=move || signal.get() on:input=move |ev| signal.set(event_target_value(&ev)) disabled=move || disabled.get()/>
                {field_error(errors, field)}
            </label>
        }
    };
    view! {
        <div class="form-grid">
            <label>"Kind"
                <select name="kind" prop:value=move || fields.kind.get() on:change=move |ev| fields.kind.set(event_target_value(&ev)) disabled=move || disabled.get()>
                    {AssetKind::ALL.iter().map(|k| view! { <option value=k.as_str()>{k.as_str().replace('_', " ")}</option> }).collect_view()}
                </select>
                {field_error(errors, "kind")}
            </label>
            {text("Name", "name", fields.name)}
            <label>"Group"
                <select name="group_id" prop:value=move || fields.group_id.get() on:change=move |ev| fields.group_id.set(event_target_value(&ev)) disabled=move || disabled.get()>
                    <option value="">"No group"</option>
                    {move || groups.get().and_then(|r| r.ok()).map(|p| p.items.into_iter().map(|g| view! {
                        <option value=g.id.to_string() selected=fields.group_id.get_untracked() == g.id.to_string()>{g.name}</option>
                    }).collect_view())}
                </select>
                {field_error(errors, "group_id")}
            </label>
            {text("OS", "os", fields.os)}
            {text("Address", "address", fields.address)}
            {text("External id", "external_id", fields.external_id)}
            {text("Open alerts", "open_alerts", fields.open_alerts)}
            <label class="checkbox">
                <input type="checkbox" name="online" prop:checked=move || fields.online.get() on:change=move |ev| fields.online.set(event_target_checked(&ev)) disabled=move || disabled.get()/>
                " Online"
            </label>
        </div>
    }
}

#[component]
pub fn AssetDetailPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let fields = Fields::new();
    let errors = RwSignal::new(None::<ApiFailure>);
    let saved = RwSignal::new(false);
    let confirm_delete = RwSignal::new(false);
    let version = RwSignal::new(0u32);
    let asset = LocalResource::new(move || {
        let asset_id = id();
        let org = session.org_header();
        version.get();
        async move { client::assets::one(org, &asset_id).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(a)) = asset.get() {
            fields.fill(&a);
        }
    });
    let can = move || session.current.get().map(|c| c.can).unwrap_or_default();
    let can_edit = Signal::derive(move || can().edit_assets);
    let save = move |_| {
        let asset_id = id();
        let org = session.org_header();
        let body = fields.update();
        saved.set(false);
        leptos::task::spawn_local(async move {
            match client::assets::update(org, &asset_id, &body).await {
                Ok(_) => {
                    errors.set(None);
                    saved.set(true);
                    version.update(|v| *v += 1);
                }
                Err(f) => errors.set(Some(f)),
            }
        });
    };
    let navigate = use_navigate();
    let delete = Callback::new(move |_: ()| {
        let asset_id = id();
        let org = session.org_header();
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match client::assets::remove(org, &asset_id).await {
                Ok(()) => navigate("/assets", Default::default()),
                Err(f) => errors.set(Some(f)),
            }
        });
    });
    view! {
        <Title text="Asset"/>
        <p><a href="/assets">"← Assets"</a></p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || asset.get().map(|r| match r {
                Err(ApiFailure { status: 404, .. }) => view! { <p class="empty" data-testid="asset-missing">"This asset doesn't exist in this org, or you can't see it."</p> }.into_any(),
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(a) => view! {
                    <div class="page-head">
                        <h1 data-testid="asset-name">{a.name.clone()}</h1>
                        <span class=if a.online { "badge active" } else { "badge suspended" }>{if a.online { "online" } else { "offline" }}</span>
                    </div>
                    <p class="muted">
                        {format!("{} · {} · last seen {} · updated {}", a.kind.as_str().replace('_', " "), plural(a.open_alerts, "open alert", "open alerts"),
                            a.last_seen_at.clone().unwrap_or_else(|| "never".into()), a.updated_at)}
                    </p>
                }.into_any(),
            })}
        </Suspense>
        <div class="card">
            <AssetForm fields errors disabled=Signal::derive(move || !can_edit.get())/>
            <Show when=move || can_edit.get()>
                <div class="form-inline">
                    <button class="btn primary" data-testid="asset-save" on:click=save>"Save"</button>
                    <Show when=move || saved.get()><span class="notice" data-testid="asset-saved">"Saved."</span></Show>
                </div>
            </Show>
            <FormError errors=errors/>
        </div>
        <Show when=move || can().manage_assets>
            <div class="card danger-zone">
                <Show when=move || confirm_delete.get()
                    fallback=move || view! { <button class="btn danger" on:click=move |_| confirm_delete.set(true)>"Delete asset…"</button> }>
                    <p>"Delete this asset? Its history stays in the audit log."</p>
                    <button class="btn danger" data-testid="asset-delete" on:click=move |_| delete.run(())>"Delete"</button>
                    <button class="btn ghost" on:click=move |_| confirm_delete.set(false)>"Cancel"</button>
                </Show>
            </div>
        </Show>
    }
}

/// "Add asset" on the assets page: calls `on_created` with the new asset.
#[component]
pub fn NewAssetForm(on_created: Callback<Asset>) -> impl IntoView {
    let session = use_session();
    let fields = Fields::new();
    let errors = RwSignal::new(None::<ApiFailure>);
    let open = RwSignal::new(false);
    let create = move |_| {
        let org = session.org_header();
        let body = fields.create();
        leptos::task::spawn_local(async move {
            match client::assets::create(org, &body).await {
                Ok(a) => {
                    errors.set(None);
                    open.set(false);
                    fields.name.set(String::new());
                    fields.external_id.set(String::new());
                    on_created.run(a);
                }
                Err(f) => errors.set(Some(f)),
            }
        });
    };
    view! {
        <Show when=move || open.get() fallback=move || view! { <button class="btn" data-testid="asset-add" on:click=move |_| open.set(true)>"Add asset"</button> }>
            <div class="card">
                <h2>"Add asset"</h2>
                <AssetForm fields errors disabled=Signal::derive(|| false)/>
                <div class="form-inline">
                    <button class="btn primary" data-testid="asset-create" on:click=create>"Add"</button>
                    <button class="btn ghost" on:click=move |_| open.set(false)>"Cancel"</button>
                </div>
                <FormError errors=errors/>
            </div>
        </Show>
    }
}
