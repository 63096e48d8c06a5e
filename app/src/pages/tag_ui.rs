//! Tags on pages: coloured chips on lists of orgs, a filter by one of the current MSP's tags
//! (the portal, the switcher, the customers page, the overview, the bulk wizard), and where an
//! MSP admin makes tags and puts them on customers.
use crate::client::{self, ApiFailure};
use crate::components::{FormError, field_error};
use crate::confirm;
use crate::layout::use_session;
use leptos::prelude::*;
use shared::OrgKind;
use shared::api::{CreateTag, Tag};
use uuid::Uuid;

/// Bumped when the MSP's tags change, so every list of them loads again.
#[derive(Clone, Copy)]
pub struct TagsVersion(pub RwSignal<u32>);

impl TagsVersion {
    /// The page's version (read while the component is made: a task has no context).
    fn here() -> Option<TagsVersion> {
        use_context::<TagsVersion>()
    }
    fn bump(this: Option<TagsVersion>) {
        if let Some(TagsVersion(v)) = this {
            v.update(|v| *v += 1);
        }
    }
}

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
    let version = TagsVersion::here();
    LocalResource::new(move || {
        let org = session.org_header();
        let msp = session.current.get().is_some_and(|c| c.org.kind == OrgKind::Msp);
        if let Some(TagsVersion(v)) = version {
            v.track();
        }
        async move { if msp { client::tags::list(org).await.unwrap_or_default() } else { Vec::new() } }
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

/// The MSP's tags for its admins: make one (name and colour), delete one.
#[component]
pub fn TagsCard() -> impl IntoView {
    let session = use_session();
    let tags = msp_tags();
    let name = RwSignal::new(String::new());
    let color = RwSignal::new("#2f5bea".to_string());
    let errors = RwSignal::new(None::<ApiFailure>);
    let version = TagsVersion::here();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateTag { name: name.get_untracked(), color: color.get_untracked() };
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            match client::tags::create(org, &body).await {
                Ok(t) => {
                    errors.set(None);
                    name.set(String::new());
                    confirm::done(format!("Tag {} made.", t.name));
                    TagsVersion::bump(version);
                }
                Err(f) => errors.set(Some(f)),
            }
        });
    };
    let remove = move |t: Tag| {
        confirm::ask(
            format!("Delete the tag {}?", t.name),
            format!("It comes off every customer, and technicians scoped to \"{}\" lose that access.", t.name),
            "Delete tag",
            move || {
                let (org, t) = (session.org_header(), t.clone());
                leptos::task::spawn_local(async move {
                    confirm::outcome(match client::tags::delete_tag(org, t.id).await {
                        Ok(()) => Ok(format!("Tag {} deleted.", t.name)),
                        Err(f) => Err(format!("Nothing changed: {}", f.message)),
                    });
                    TagsVersion::bump(version);
                });
            },
        );
    };
    view! {
        <details class="card" data-testid="tags-card">
            <summary>"Tags"</summary>
            <p class="muted">"Your own labels for customers: filter lists by them, act on all customers with a tag at once, or scope a technician to them."</p>
            <ul class="tag-list">
                {move || tags.get().unwrap_or_default().into_iter().map(|t| {
                    let gone = t.clone();
                    view! {
                        <li data-tag=t.name.clone()>
                            <TagChips tags=vec![t.clone()]/>
                            <button type="button" class="btn small ghost" on:click=move |_| remove(gone.clone())>
                                "Delete"<span class="visually-hidden">{format!(" tag {}", t.name)}</span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <form class="inline-form" data-testid="new-tag" on:submit=create>
                <label>"Name"<input name="tag-name" required maxlength="50" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>{field_error(errors, "name")}</label>
                <label>"Colour"<input type="color" name="tag-color" prop:value=move || color.get() on:input=move |ev| color.set(event_target_value(&ev))/>{field_error(errors, "color")}</label>
                <button class="btn" type="submit">"Add tag"</button>
            </form>
            <FormError errors/>
        </details>
    }
}

/// The MSP's tags on one customer, as checkboxes an admin ticks on and off.
#[component]
pub fn CustomerTags(customer: Uuid, tags: Vec<Tag>, on_changed: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let session = use_session();
    let all = msp_tags();
    let on = RwSignal::new(tags.into_iter().map(|t| t.id).collect::<std::collections::BTreeSet<Uuid>>());
    let toggle = move |t: Tag, wanted: bool| {
        let org = session.org_header();
        leptos::task::spawn_local(async move {
            let done = if wanted { client::tags::tag_org(org, customer, t.id).await } else { client::tags::untag_org(org, customer, t.id).await };
            match done {
                Ok(()) => {
                    on.update(|s| { if wanted { s.insert(t.id); } else { s.remove(&t.id); } });
                    on_changed();
                }
                Err(f) => confirm::failed(format!("The tag {} was not changed: {}", t.name, f.message)),
            }
        });
    };
    view! {
        <fieldset class="customer-tags" data-testid="customer-tags">
            <legend>"Tags"</legend>
            {move || {
                let list = all.get().unwrap_or_default();
                if list.is_empty() {
                    return view! { <p class="muted">"No tags yet: add some under Tags above."</p> }.into_any();
                }
                list.into_iter().map(|t| {
                    let id = t.id;
                    let (label, name) = (t.name.clone(), t.name.clone());
                    view! {
                        <label class="checkbox" data-tag=name>
                            <input type="checkbox" prop:checked=move || on.with(|s| s.contains(&id))
                                on:change=move |ev| toggle(t.clone(), event_target_checked(&ev))/>
                            " " {label}
                        </label>
                    }
                }).collect_view().into_any()
            }}
        </fieldset>
    }
}
