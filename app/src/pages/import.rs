//! Import tenants or assets from an RMM/PSA/directory export (CSV or JSON) into the current
//! org, with a progress bar fed by the server's progress stream. All or nothing: a file with
//! any bad row imports nothing and lists every bad row.
use crate::layout::{plural, use_session};
use leptos::prelude::*;
use leptos_meta::Title;
use shared::api::{ImportProgress, ImportResult, ImportRowError};
use shared::Role;

#[derive(Clone, Copy, PartialEq)]
enum What {
    Assets,
    Tenants,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl What {
    fn path(self) -> &'static str {
        match self {
            What::Assets => "/api/v1/import",
            What::Tenants => "/api/v1/import/tenants",
        }
    }
}

#[derive(Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Status {
    Idle,
    Running(Option<ImportProgress>),
    Done(ImportResult),
    Rejected(String, Vec<ImportRowError>),
    Failed(String),
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let session = use_session();
    let what = RwSignal::new(What::Assets);
    let status = RwSignal::new(Status::Idle);
    let file_input = NodeRef::<leptos::html::Input>::new();
    let file_error = RwSignal::new(None::<String>);
    let needed = move || if what.get() == What::Tenants { Role::Admin } else { Role::Member };
    let allowed = move || session.current.get().is_some_and(|c| if what.get() == What::Tenants { c.can.import_tenants } else { c.can.edit_assets });

    let start = move |_| {
        file_error.set(None);
        let org = session.org_header();
        let target = what.get_untracked();
        #[cfg(feature = "hydrate")]
        {
            use crate::client;
            use shared::api::ImportEvent;
            let Some(input) = file_input.get_untracked() else { return };
            leptos::task::spawn_local(async move {
                let Some((name, text)) = client::chosen_file(&input).await else {
                    file_error.set(Some("Choose a CSV or JSON file first.".into()));
                    return;
                };
                let content_type = if name.to_ascii_lowercase().ends_with(".json") { "application/json" } else { "text/csv" };
                status.set(Status::Running(None));
                let mut last = None::<ImportEvent>;
                let outcome = client::post_stream::<ImportEvent>(target.path(), org, content_type, text, |event| {
                    if let Some(p) = event.progress.clone() {
                        status.set(Status::Running(Some(p)));
                    } else {
                        last = Some(event);
                    }
                })
                .await;
                status.set(match (outcome, last) {
                    (Err(f), _) => match f.fields.get("body").or(f.fields.values().next()) {
                        Some(detail) => Status::Failed(format!("{} — {detail}", f.message)),
                        None => Status::Failed(f.message),
                    },
                    (Ok(()), Some(ImportEvent { error: Some(e), result, .. })) => {
                        Status::Rejected(e.message, result.map(|r| r.errors).unwrap_or_default())
                    }
                    (Ok(()), Some(ImportEvent { result: Some(r), .. })) => Status::Done(r),
                    (Ok(()), _) => Status::Failed("the import ended without a result; check the audit log".into()),
                });
                if let Some(input) = file_input.get_untracked() {
                    input.set_value("");
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (org, target, file_input);
    };
    let running = move || matches!(status.get(), Status::Running(_));

    view! {
        <Title text="Import"/>
        <div class="page-head"><h1>"Import"</h1></div>
        <p class="muted">
            "Into " <strong>{move || session.current.get().map(|c| c.org.name.clone()).unwrap_or_default()}</strong>
            ". All or nothing: if any row is bad, nothing is imported and every bad row is listed with its reason. "
            "Rows are matched by " <code>"external_id"</code> ", so importing the same file again changes nothing."
        </p>
        <div class="card">
            <div class="form-inline" role="radiogroup" aria-label="What to import">
                <label><input type="radio" name="what" prop:checked=move || what.get() == What::Assets
                    on:change=move |_| { what.set(What::Assets); status.set(Status::Idle); }/>" Assets"</label>
                <label><input type="radio" name="what" data-testid="import-tenants" prop:checked=move || what.get() == What::Tenants
                    on:change=move |_| { what.set(What::Tenants); status.set(Status::Idle); }/>" Tenants"</label>
            </div>
            {move || match what.get() {
                What::Assets => view! {
                    <table class="table compact mapping">
                        <thead><tr><th>"Column"</th><th>"Meaning"</th></tr></thead>
                        <tbody>
                            <tr><td><code>"kind"</code></td><td>"computer, monitored_system or gateway (required)"</td></tr>
                            <tr><td><code>"name"</code></td><td>"1–200 characters (required)"</td></tr>
                            <tr><td><code>"external_id"</code></td><td>"the asset's id in the source system (required; the import key)"</td></tr>
                            <tr><td><code>"group"</code></td><td>"group name in the tenant, created if missing"</td></tr>
                            <tr><td><code>"os"</code>", "<code>"address"</code></td><td>"optional"</td></tr>
                            <tr><td><code>"tenant"</code></td><td>"slug of this org or a tenant below it; empty = this org"</td></tr>
                        </tbody>
                    </table>
                }.into_any(),
                What::Tenants => view! {
                    <table class="table compact mapping">
                        <thead><tr><th>"Column"</th><th>"Meaning"</th></tr></thead>
                        <tbody>
                            <tr><td><code>"name"</code></td><td>"1–100 characters (required)"</td></tr>
                            <tr><td><code>"external_id"</code></td><td>"the tenant's id in the source system (required; the import key)"</td></tr>
                            <tr><td><code>"parent"</code></td><td>"external_id of another row or imported tenant, or the slug of an org below this one; empty = this org"</td></tr>
                            <tr><td><code>"domain"</code></td><td>"email domain: required for customers (it can never change), not allowed for child tenants"</td></tr>
                            <tr><td><code>"slug"</code></td><td>"optional; suggested from the name"</td></tr>
                        </tbody>
                    </table>
                }.into_any(),
            }}
            <p class="muted">"CSV with a header line, or JSON: an array of objects with the same keys."</p>
            <div class="form-inline">
                <input type="file" aria-label="File to import" accept=".csv,.json,text/csv,application/json" node_ref=file_input data-testid="import-file"/>
                <button class="btn primary" data-testid="import-start" disabled=move || running() || !allowed() on:click=start>"Import"</button>
            </div>
            <Show when=move || !allowed()>
                <p class="muted">{move || format!("Importing {} needs the {} role here.", if what.get() == What::Tenants { "tenants" } else { "assets" }, needed())}</p>
            </Show>
            {move || file_error.get().map(|e| view! { <p class="field-error">{e}</p> })}
        </div>
        {move || match status.get() {
            Status::Idle => ().into_any(),
            Status::Running(p) => {
                let (label, percent) = match &p {
                    None => ("Uploading…".to_string(), 0.0),
                    Some(p) => {
                        let pct = if p.total > 0 { p.done as f64 * 100.0 / p.total as f64 } else { 0.0 };
                        (format!("{} {} of {} rows…", if p.phase == "writing" { "Writing" } else { "Checking" }, p.done, p.total), pct)
                    }
                };
                view! {
                    <div class="card" data-testid="import-progress">
                        <progress max="100" value=format!("{percent:.0}")></progress>
                        <p class="muted">{label}</p>
                    </div>
                }.into_any()
            }
            Status::Done(r) => view! {
                <p class="notice" data-testid="import-result">
                    {format!("Imported {}: {} created, {} updated, {} unchanged", plural(r.rows, "row", "rows"), r.created, r.updated, r.unchanged)}
                    {(r.groups_created > 0).then(|| format!(", {} created", plural(r.groups_created, "group", "groups")))}
                    "."
                </p>
            }.into_any(),
            Status::Failed(msg) => view! { <p class="error" data-testid="import-result">{format!("Nothing was imported: {msg}")}</p> }.into_any(),
            Status::Rejected(msg, errors) => view! {
                <div class="card" data-testid="import-result">
                    <p class="error">{msg}</p>
                    <table class="table compact" data-testid="import-errors">
                        <thead><tr><th>"Row"</th><th>"Field"</th><th>"Reason"</th></tr></thead>
                        <tbody>
                            {errors.into_iter().map(|e| view! {
                                <tr><td>{e.row}</td><td><code>{e.field}</code></td><td>{e.message}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any(),
        }}
    }
}
