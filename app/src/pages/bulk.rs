//! The bulk-action wizard of an MSP: select tenants (by hand or by tag) and an action → dry
//! run → confirm → progress → results. What is allowed where is decided by the server, per
//! tenant (`POST /api/v1/bulk`); the page shows its answers.
use crate::client::{self, ApiFailure};
use crate::layout::{field_error, plural, use_session};
use crate::pages::tag_ui::{TagChips, TagFilter, msp_tags, tag_param};
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::{Value, json};
use shared::api::{BulkAction, BulkProgress, BulkRequest, BulkResult, BulkStatus, BulkTargets, OrgEntry, Page};
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use uuid::Uuid;

// The last steps are reached from the stream, which only the browser reads.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, PartialEq)]
enum Step {
    Select,
    /// The dry run's answer, to review.
    Review(BulkResult),
    /// Reviewed; waiting for "Run".
    Confirm(BulkResult),
    Running(Option<BulkProgress>),
    Done(BulkResult),
    /// Held for a second admin.
    Held(Uuid),
    Failed(String),
}

impl Step {
    /// Which of the five stages the step belongs to.
    fn stage(&self) -> usize {
        match self {
            Step::Select => 0,
            Step::Review(_) => 1,
            Step::Confirm(_) => 2,
            Step::Running(_) => 3,
            Step::Done(_) | Step::Held(_) | Step::Failed(_) => 4,
        }
    }
}

const STAGES: [&str; 5] = ["Select", "Dry run", "Confirm", "Progress", "Results"];

fn failure(message: impl Into<String>) -> ApiFailure {
    ApiFailure { status: 0, message: message.into(), fields: BTreeMap::new() }
}

#[component]
pub fn BulkPage() -> impl IntoView {
    let session = use_session();
    let step = RwSignal::new(Step::Select);
    let by_tag = RwSignal::new(false);
    let target_tag = RwSignal::new(String::new());
    let filter_tag = RwSignal::new(String::new());
    let chosen = RwSignal::new(BTreeSet::<Uuid>::new());
    let action = RwSignal::new(BulkAction::SetSetting);
    let setting_key = RwSignal::new("maintenance_window".to_string());
    let setting_value = RwSignal::new("{\"days\": [\"sat\"], \"start\": \"01:00\", \"end\": \"04:00\"}".to_string());
    // Deployment name / notification title; package / notification text; the tag to add or remove.
    let first = RwSignal::new(String::new());
    let second = RwSignal::new(String::new());
    let param_tag = RwSignal::new(String::new());
    let errors = RwSignal::new(None::<ApiFailure>);
    let tags = msp_tags();
    let customers = LocalResource::new(move || {
        let org = session.org_header();
        let tag = tag_param(&filter_tag.get());
        async move { client::get::<Page<OrgEntry>>(&format!("/api/v1/customers?limit=500{tag}"), org).await }
    });

    let request = move |dry_run: bool| -> Result<BulkRequest, ApiFailure> {
        let targets = if by_tag.get_untracked() {
            let tag = Uuid::parse_str(&target_tag.get_untracked()).map_err(|_| failure("Choose a tag."))?;
            BulkTargets { org_ids: None, tag: Some(tag) }
        } else {
            let ids: Vec<Uuid> = chosen.get_untracked().into_iter().collect();
            if ids.is_empty() {
                return Err(failure("Choose at least one customer."));
            }
            BulkTargets { org_ids: Some(ids), tag: None }
        };
        let params = match action.get_untracked() {
            BulkAction::SetSetting => {
                let value: Value = serde_json::from_str(&setting_value.get_untracked())
                    .map_err(|e| ApiFailure { fields: BTreeMap::from([("params.value".to_string(), format!("is not JSON: {e}"))]), ..failure("The value is not JSON.") })?;
                json!({"key": setting_key.get_untracked(), "value": value})
            }
            BulkAction::CreateDeployment => json!({"name": first.get_untracked(), "package": second.get_untracked()}),
            BulkAction::Notify => json!({"target": {"kind": "org"}, "title": first.get_untracked(), "body": second.get_untracked()}),
            BulkAction::Suspend | BulkAction::Reactivate => Value::Null,
            BulkAction::AddTag | BulkAction::RemoveTag => json!({"tag": param_tag.get_untracked()}),
        };
        Ok(BulkRequest { action: action.get_untracked(), targets, params, dry_run })
    };

    let dry_run = move |_| {
        let req = match request(true) {
            Ok(r) => r,
            Err(f) => return errors.set(Some(f)),
        };
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::post::<BulkResult, _>("/api/v1/bulk", org, &req).await {
                Ok(result) => {
                    errors.set(None);
                    step.set(Step::Review(result));
                }
                Err(f) => errors.set(Some(f)),
            }
        });
    };

    let run = move |_| {
        let Ok(req) = request(false) else { return };
        let org = session.org_header();
        step.set(Step::Running(None));
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            use shared::api::BulkEvent;
            let body = serde_json::to_string(&req).unwrap_or_default();
            let mut last = None::<BulkEvent>;
            let outcome = client::post_stream::<BulkEvent>("/api/v1/bulk", org, "application/json", body, |event| {
                if let Some(p) = event.progress.clone() {
                    step.set(Step::Running(Some(p)));
                } else {
                    last = Some(event);
                }
            })
            .await;
            step.set(match (outcome, last) {
                (Err(f), _) => Step::Failed(f.message),
                (Ok(()), Some(BulkEvent { result: Some(r), .. })) => Step::Done(r),
                (Ok(()), Some(BulkEvent { approval_id: Some(id), .. })) => Step::Held(id),
                (Ok(()), Some(BulkEvent { error: Some(e), .. })) => Step::Failed(e.message),
                (Ok(()), _) => Step::Failed("the run ended without a result; check the audit log".into()),
            });
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (req, org);
    };

    let start_over = move |_| {
        step.set(Step::Select);
        errors.set(None);
    };

    view! {
        <Title text="Bulk actions"/>
        <div class="page-head"><h1>"Bulk actions"</h1></div>
        <p class="muted">"One change over many customers. A dry run comes first and shows, per customer, what would change and what you may not change; only then can you run it."</p>
        <ol class="steps" aria-label="Steps">
            {STAGES.iter().enumerate().map(|(i, label)| view! {
                <li class:current=move || step.with(|s| s.stage() == i) aria-current=move || step.with(|s| (s.stage() == i).then_some("step"))>{*label}</li>
            }).collect_view()}
        </ol>
        {move || match step.get() {
            Step::Select => view! {
                <div class="card form-grid" data-testid="bulk-select">
                    <h2>"1. Choose the customers and the action"</h2>
                    <fieldset>
                        <legend>"Customers"</legend>
                        <label class="checkbox"><input type="radio" name="targets" prop:checked=move || !by_tag.get() on:change=move |_| by_tag.set(false)/>" Pick customers"</label>
                        <label class="checkbox"><input type="radio" name="targets" data-testid="by-tag" prop:checked=move || by_tag.get() on:change=move |_| by_tag.set(true)/>" Every customer with a tag"</label>
                        <Show when=move || by_tag.get() fallback=move || view! {
                            <div class="filters"><TagFilter value=filter_tag/>
                                <button type="button" class="btn small" on:click=move |_| {
                                    if let Some(Ok(page)) = customers.get_untracked() { chosen.set(page.items.iter().map(|c| c.id).collect()); }
                                }>"Select all shown"</button>
                                <button type="button" class="btn small ghost" on:click=move |_| chosen.set(BTreeSet::new())>"Clear"</button>
                                <span class="muted" data-testid="chosen-count">{move || plural(chosen.with(|c| c.len()) as i64, "customer chosen", "customers chosen")}</span>
                            </div>
                            <Suspense fallback=|| view! { <p class="muted">"Loading customers…"</p> }>
                                {move || customers.get().map(|r| match r {
                                    Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                                    Ok(page) => view! {
                                        <div class="bulk-targets" data-testid="bulk-targets">
                                            {page.items.into_iter().map(|c| {
                                                let id = c.id;
                                                view! {
                                                    <label data-slug=c.slug.clone()>
                                                        <input type="checkbox" prop:checked=move || chosen.with(|s| s.contains(&id))
                                                            on:change=move |ev| { let on = event_target_checked(&ev); chosen.update(|s| { if on { s.insert(id); } else { s.remove(&id); } }); }/>
                                                        {c.name.clone()}<TagChips tags=c.tags.clone()/>
                                                    </label>
                                                }
                                            }).collect_view()}
                                        </div>
                                    }.into_any(),
                                })}
                            </Suspense>
                        }>
                            <label>"Tag"
                                <select data-testid="target-tag" prop:value=move || target_tag.get() on:change=move |ev| target_tag.set(event_target_value(&ev))>
                                    <option value="">"Choose a tag…"</option>
                                    {move || tags.get().unwrap_or_default().into_iter().map(|t| view! { <option value=t.id.to_string()>{t.name.clone()}</option> }).collect_view()}
                                </select>
                                {field_error(errors, "targets.tag")}
                            </label>
                        </Show>
                        {field_error(errors, "targets.org_ids")}
                    </fieldset>
                    <label>"Action"
                        <select name="action" data-testid="bulk-action"
                            on:change=move |ev| if let Some(a) = BulkAction::ALL.into_iter().find(|a| a.as_str() == event_target_value(&ev)) { action.set(a) }>
                            {BulkAction::ALL.into_iter().map(|a| view! { <option value=a.as_str() selected=move || action.get() == a>{a.label()}</option> }).collect_view()}
                        </select>
                    </label>
                    {move || match action.get() {
                        BulkAction::SetSetting => view! {
                            <label>"Setting"
                                <select name="setting-key" prop:value=move || setting_key.get() on:change=move |ev| setting_key.set(event_target_value(&ev))>
                                    {shared::settings::SettingKey::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.as_str().replace('_', " ")}</option> }).collect_view()}
                                </select>
                                {field_error(errors, "params.key")}
                            </label>
                            <label>"Value (JSON; fields left out keep their defaults)"
                                <textarea name="setting-value" rows="4" prop:value=move || setting_value.get() on:input=move |ev| setting_value.set(event_target_value(&ev))></textarea>
                                {move || errors.get().and_then(|e| e.fields.iter().find(|(k, _)| k.starts_with("params.value")).map(|(k, v)| format!("{} {v}", k.trim_start_matches("params.value.")))).map(|m| view! { <span class="field-error">{m}</span> })}
                            </label>
                        }.into_any(),
                        BulkAction::CreateDeployment => view! {
                            <label>"Deployment name"<input name="deployment-name" prop:value=move || first.get() on:input=move |ev| first.set(event_target_value(&ev))/>{field_error(errors, "params.name")}</label>
                            <label>"Package"<input name="deployment-package" prop:value=move || second.get() on:input=move |ev| second.set(event_target_value(&ev))/>{field_error(errors, "params.package")}</label>
                        }.into_any(),
                        BulkAction::Notify => view! {
                            <label>"Title (to every member of each customer)"<input name="notification-title" prop:value=move || first.get() on:input=move |ev| first.set(event_target_value(&ev))/>{field_error(errors, "params.title")}</label>
                            <label>"Text"<textarea name="notification-body" rows="3" prop:value=move || second.get() on:input=move |ev| second.set(event_target_value(&ev))></textarea>{field_error(errors, "params.body")}</label>
                        }.into_any(),
                        BulkAction::AddTag | BulkAction::RemoveTag => view! {
                            <label>"Tag"
                                <select name="param-tag" prop:value=move || param_tag.get() on:change=move |ev| param_tag.set(event_target_value(&ev))>
                                    <option value="">"Choose a tag…"</option>
                                    {move || tags.get().unwrap_or_default().into_iter().map(|t| view! { <option value=t.id.to_string()>{t.name.clone()}</option> }).collect_view()}
                                </select>
                                {field_error(errors, "params.tag")}
                            </label>
                        }.into_any(),
                        BulkAction::Suspend | BulkAction::Reactivate => view! { <p class="muted">"No options."</p> }.into_any(),
                    }}
                    {move || errors.get().filter(|f| !f.fields.keys().any(|k| k.starts_with("params") || k.starts_with("targets"))).map(|f| view! { <p class="error" role="alert">{f.message}</p> })}
                    <button class="btn primary" type="button" data-testid="dry-run" on:click=dry_run>"Dry run"</button>
                </div>
            }.into_any(),
            Step::Review(result) => {
                let confirm = result.clone();
                view! {
                    <div class="card" data-testid="bulk-review">
                        <h2>"2. Dry run: nothing has changed yet"</h2>
                        <Summary result=result.clone()/>
                        <Results result/>
                        <div class="actions">
                            <button class="btn" on:click=start_over>"Back"</button>
                            <button class="btn primary" data-testid="continue" on:click=move |_| step.set(Step::Confirm(confirm.clone()))>"Continue"</button>
                        </div>
                    </div>
                }.into_any()
            }
            Step::Confirm(result) => view! {
                <div class="card" data-testid="bulk-confirm">
                    <h2>"3. Confirm"</h2>
                    <p>{format!("{} on {}. {} will be left alone.", BulkAction::label(result.action), plural(result.changed, "customer", "customers"), plural(result.refused + result.errors, "customer", "customers"))}</p>
                    <div class="actions">
                        <button class="btn" on:click=start_over>"Cancel"</button>
                        <button class="btn primary" data-testid="run" on:click=run>{format!("Run on {}", plural(result.changed, "customer", "customers"))}</button>
                    </div>
                </div>
            }.into_any(),
            Step::Running(progress) => {
                let (done, total) = progress.map(|p| (p.done, p.total)).unwrap_or((0, 0));
                view! {
                    <div class="card" data-testid="bulk-progress" aria-live="polite">
                        <h2>"4. Running…"</h2>
                        <progress class="bulk" max=total.max(1) value=done aria-label="Customers done"></progress>
                        <p class="muted">{format!("{done} of {total} customers")}</p>
                    </div>
                }.into_any()
            }
            Step::Done(result) => view! {
                <div class="card" data-testid="bulk-results">
                    <h2>"5. Results"</h2>
                    <Summary result=result.clone()/>
                    <Results result/>
                    <button class="btn" on:click=start_over>"Start another"</button>
                </div>
            }.into_any(),
            Step::Held(id) => view! {
                <div class="card" data-testid="bulk-held">
                    <h2>"Waiting for a second admin"</h2>
                    <p>"Your MSP requires a second admin to approve this. Nothing has changed yet; it runs, as you, once another admin approves it."</p>
                    <p><a class="btn" href="/approvals" data-approval=id.to_string()>"See approvals"</a></p>
                </div>
            }.into_any(),
            Step::Failed(message) => view! {
                <div class="card"><p class="error" role="alert">{message}</p><button class="btn" on:click=start_over>"Back"</button></div>
            }.into_any(),
        }}
    }
}

#[component]
fn Summary(result: BulkResult) -> impl IntoView {
    let verb = if result.dry_run { "would change" } else { "changed" };
    view! {
        <p data-testid="bulk-summary">
            <strong>{format!("{} {verb}", plural(result.changed, "customer", "customers"))}</strong>
            {format!(" · {} unchanged · {} refused · {} failed", result.ok - result.changed, result.refused, result.errors)}
        </p>
    }
}

#[component]
fn Results(result: BulkResult) -> impl IntoView {
    view! {
        <table class="table" data-testid="bulk-items">
            <thead><tr><th>"Customer"</th><th>"Result"</th><th>"What"</th></tr></thead>
            <tbody>
                {result.items.into_iter().map(|i| {
                    let status = match i.status { BulkStatus::Ok => "ok", BulkStatus::Refused => "refused", BulkStatus::Error => "error" };
                    view! {
                        <tr data-status=status>
                            <td>{i.org_name.clone().unwrap_or_else(|| i.org_id.to_string())}</td>
                            <td><span class=format!("badge {status}")>{status}</span></td>
                            <td>{i.message.clone()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// For the approvals page: a held bulk run's dry run, from its stored preview.
pub fn preview_summary(preview: &Value) -> Option<String> {
    let r: BulkResult = serde_json::from_value(preview.clone()).ok()?;
    Some(format!("dry run: {} would change, {} refused, {} failed", r.changed, r.refused, r.errors))
}
