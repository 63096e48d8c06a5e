//! The small kit every page builds with: the three states of data from the API (loading,
//! failed, empty) and a form's errors, so they look and read the same everywhere.
use crate::client::{ApiFailure, ApiResult};
use leptos::prelude::*;
use shared::api::Page;

/// A failure the person should read now (announced by screen readers).
#[component]
pub fn ErrorNote(#[prop(into)] message: String) -> impl IntoView {
    view! { <p class="error" role="alert">{message}</p> }
}

/// "Loading …" while a request is on its way.
#[component]
pub fn Loading(what: &'static str) -> impl IntoView {
    view! { <p class="muted" aria-busy="true">{format!("Loading {what}…")}</p> }
}

/// The message of a failed form submission that belongs to no single field (field errors
/// show under their fields, see [`field_error`]).
#[component]
pub fn FormError(errors: RwSignal<Option<ApiFailure>>) -> impl IntoView {
    move || errors.get().filter(|e| e.fields.is_empty()).map(|e| view! { <ErrorNote message=e.message/> })
}

/// The API's message for one field of a failed request, shown under that field.
pub fn field_error(errors: RwSignal<Option<ApiFailure>>, name: &'static str) -> impl Fn() -> Option<AnyView> + Send + Sync + Copy {
    move || errors.get().and_then(|e| e.field(name)).map(|m| view! { <span class="field-error">{m}</span> }.into_any())
}

/// Something the API answered that may hold no rows.
pub trait Rows {
    fn no_rows(&self) -> bool;
}
impl<T> Rows for Page<T> {
    fn no_rows(&self) -> bool {
        self.items.is_empty()
    }
}
impl<T> Rows for Vec<T> {
    fn no_rows(&self) -> bool {
        self.is_empty()
    }
}

/// An answer from the API as a view: its error, or `render(value)`.
pub fn loaded<T, V: IntoView + 'static>(result: ApiResult<T>, render: impl FnOnce(T) -> V) -> AnyView {
    match result {
        Err(e) => view! { <ErrorNote message=e.message/> }.into_any(),
        Ok(value) => render(value).into_any(),
    }
}

/// A list from the API as a view: its error, `empty` when it has no rows, or `render(list)`.
pub fn listed<T: Rows, V: IntoView + 'static>(result: ApiResult<T>, empty: &'static str, render: impl FnOnce(T) -> V) -> AnyView {
    match result {
        Ok(list) if list.no_rows() => view! { <p class="empty">{empty}</p> }.into_any(),
        other => loaded(other, render),
    }
}
