//! Tags on pages: coloured chips on lists of orgs, and a filter by one of the current MSP's
//! tags (the customers page, the overview, the switcher).
use crate::client;
use crate::layout::use_session;
use leptos::prelude::*;
use shared::OrgKind;
use shared::api::Tag;

/// The MSP's tags on an org, as chips.
#[component]
pub fn TagChips(tags: Vec<Tag>) -> impl IntoView {
    view! {
        <span class="tags">
            {tags.into_iter().map(|t| view! {
                // The colour is a checked `#rrggbb`.
                <span class="tag-chip" style=format!("--tag: {}", t.color) data-tag=t.name.clone()>{t.name.clone()}</span>
            }).collect_view()}
        </span>
    }
}

/// The current MSP's tags (none outside an MSP).
pub fn msp_tags() -> LocalResource<Vec<Tag>> {
    let session = use_session();
    LocalResource::new(move || {
        let org = session.org_header();
        let msp = session.current.get().is_some_and(|c| c.org.kind == OrgKind::Msp);
        async move { if msp { client::get::<Vec<Tag>>("/api/v1/tags", org).await.unwrap_or_default() } else { Vec::new() } }
    })
}

/// A select of the current MSP's tags; `value` holds the chosen tag id, `""` for all. Shown
/// only when the MSP has tags.
#[component]
pub fn TagFilter(value: RwSignal<String>) -> impl IntoView {
    let tags = msp_tags();
    view! {
        {move || tags.get().filter(|t| !t.is_empty()).map(|list| view! {
            <label class="tag-filter">"Tag "
                <select data-testid="tag-filter" aria-label="Filter by tag" prop:value=move || value.get()
                    on:change=move |ev| value.set(event_target_value(&ev))>
                    <option value="">"All tags"</option>
                    {list.into_iter().map(|t| view! { <option value=t.id.to_string()>{t.name.clone()}</option> }).collect_view()}
                </select>
            </label>
        })}
    }
}

/// `&tag=<id>` for a list URL, or nothing.
pub fn tag_param(value: &str) -> String {
    if value.is_empty() { String::new() } else { format!("&tag={}", crate::layout::js_encode(value)) }
}
