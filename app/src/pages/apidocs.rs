//! A browser for the served OpenAPI document (written here rather than bundling Swagger UI,
//! whose assets would have to be downloaded at build time).
use crate::client;
use crate::components::{Loading};
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::Value;

#[component]
pub fn ApiDocsPage() -> impl IntoView {
    let doc = LocalResource::new(|| client::get::<Value>("/api/openapi.json", None));
    view! {
        <Title text="API"/>
        <div class="page-head">
            <h1>"HTTP API"</h1>
            <a class="btn" href="/api/openapi.json">"openapi.json"</a>
        </div>
        <p class="muted">"Authenticate scripts with " <code>"Authorization: Bearer <token>"</code> " (create one with POST /api/v1/auth/token); choose the org with " <code>"X-Org-Id"</code> "."</p>
        <Suspense fallback=|| view! { <Loading what="the API document"/> }>
            {move || doc.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.message}</p> }.into_any(),
                Ok(doc) => {
                    let mut ops = Vec::new();
                    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
                        for (path, item) in paths {
                            if let Some(methods) = item.as_object() {
                                for (method, op) in methods {
                                    let summary = op.get("summary").or_else(|| op.get("description")).and_then(Value::as_str).unwrap_or("").to_string();
                                    let tag = op.get("tags").and_then(|t| t.get(0)).and_then(Value::as_str).unwrap_or("").to_string();
                                    let statuses: Vec<String> = op.get("responses").and_then(Value::as_object).map(|r| r.keys().cloned().collect()).unwrap_or_default();
                                    ops.push((tag, path.clone(), method.to_uppercase(), summary, statuses.join(" ")));
                                }
                            }
                        }
                    }
                    ops.sort();
                    view! {
                        <table class="table" data-testid="api-ops">
                            <thead><tr><th>"Area"</th><th>"Method"</th><th>"Path"</th><th>"What"</th><th>"Responses"</th></tr></thead>
                            <tbody>{ops.into_iter().map(|(tag, path, method, summary, statuses)| view! {
                                <tr><td>{tag}</td><td><span class=format!("method {}", method.to_lowercase())>{method.clone()}</span></td><td><code>{path}</code></td><td>{summary}</td><td>{statuses}</td></tr>
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}
