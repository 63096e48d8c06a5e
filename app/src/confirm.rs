//! Asking before doing, and saying what happened. One confirmation dialog for the whole app
//! (a native modal `<dialog>`: the browser keeps focus inside it and Escape cancels) that names
//! what will happen before a destructive or cross-customer action, and one place for the
//! outcome of an action (the flash at the bottom of the screen, announced to screen readers).
use leptos::prelude::*;

/// A question to ask before acting: what will happen, and what to do on yes (and on no).
#[derive(Clone)]
pub struct Question {
    /// "Remove Dave Member from Acme Corp?"
    pub title: String,
    /// Everything that will happen, naming whom, which customer and how many.
    pub detail: String,
    /// The label of the button that does it, e.g. "Remove Dave Member".
    pub action: String,
    pub on_yes: Callback<()>,
    /// Run when the person cancels (e.g. to put a changed picker back).
    pub on_no: Option<Callback<()>>,
}

/// The outcome of the last action, shown until the next one or the next page.
#[derive(Clone, Debug, PartialEq)]
pub enum Flash {
    Done(String),
    Failed(String),
}

/// The dialog's question and the flash; provided by the app shell ([`provide`]).
#[derive(Clone, Copy)]
pub struct Ui {
    question: RwSignal<Option<Question>>,
    flash: RwSignal<Option<Flash>>,
    /// The page the flash is meant for when it was said just before opening that page.
    flash_for: RwSignal<Option<String>>,
    /// What the flash's "Undo" does, when the action it reports can be taken back cheaply.
    undo: RwSignal<Option<Callback<()>>>,
}

thread_local! {
    // The page's one `Ui`, for calls from a spawned task (an API answer arriving), which has no
    // reactive owner to find the context through. The browser runs one page per thread.
    static PAGE_UI: std::cell::Cell<Option<Ui>> = const { std::cell::Cell::new(None) };
}

fn ui() -> Ui {
    use_context::<Ui>().or_else(|| PAGE_UI.with(|u| u.get())).expect("confirm::provide() runs in the app shell")
}

/// Makes [`ask`], [`done`] and [`failed`] work below the caller; [`ConfirmDialog`] and
/// [`FlashArea`] show them.
pub fn provide() {
    let ui = Ui { question: RwSignal::new(None), flash: RwSignal::new(None), flash_for: RwSignal::new(None), undo: RwSignal::new(None) };
    PAGE_UI.with(|u| u.set(Some(ui)));
    provide_context(ui);
}

/// Asks `title` (with `detail`) and runs `on_yes` only if the person confirms with `action`.
pub fn ask(title: impl Into<String>, detail: impl Into<String>, action: impl Into<String>, on_yes: impl Fn() + Send + Sync + 'static) {
    ask_or(title, detail, action, on_yes, || ());
}

/// As [`ask`], running `on_no` when the person cancels.
pub fn ask_or(
    title: impl Into<String>,
    detail: impl Into<String>,
    action: impl Into<String>,
    on_yes: impl Fn() + Send + Sync + 'static,
    on_no: impl Fn() + Send + Sync + 'static,
) {
    ui().question.set(Some(Question {
        title: title.into(),
        detail: detail.into(),
        action: action.into(),
        on_yes: Callback::new(move |_| on_yes()),
        on_no: Some(Callback::new(move |_| on_no())),
    }));
}

/// Says that an action succeeded.
pub fn done(message: impl Into<String>) {
    let ui = ui();
    ui.undo.set(None);
    ui.flash.set(Some(Flash::Done(message.into())));
}

/// Says that an action succeeded, with an "Undo" button that runs `undo` (which says how
/// that ended in turn). For changes that are cheap to take back: a role, a move.
pub fn done_with_undo(message: impl Into<String>, undo: impl Fn() + Send + Sync + 'static) {
    let ui = ui();
    ui.undo.set(Some(Callback::new(move |_| undo())));
    ui.flash.set(Some(Flash::Done(message.into())));
}

/// Says that an action succeeded on the page at `path`, which the app opens next (an action
/// whose object is gone afterwards, like a merged tenant).
pub fn done_at(path: impl Into<String>, message: impl Into<String>) {
    let ui = ui();
    ui.undo.set(None);
    ui.flash_for.set(Some(path.into()));
    ui.flash.set(Some(Flash::Done(message.into())));
}

/// Says that an action failed and changed nothing.
pub fn failed(message: impl Into<String>) {
    let ui = ui();
    ui.undo.set(None);
    ui.flash.set(Some(Flash::Failed(message.into())));
}

/// Says how an action ended: `Ok(message)` or the failure's message.
pub fn outcome(result: Result<String, String>) {
    match result {
        Ok(m) => done(m),
        Err(m) => failed(m),
    }
}

/// The confirmation dialog; placed once, beside the page the app's router shows (the portal
/// page's own module has no question to ask and leaves it out).
#[component]
pub fn ConfirmDialog() -> impl IntoView {
    let state = ui();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let cancel_button = NodeRef::<leptos::html::Button>::new();
    let yes_button = NodeRef::<leptos::html::Button>::new();
    // Focus stays on the dialog's two buttons: Tab and Shift+Tab go from one to the other.
    let keep_focus = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() != "Tab" {
            return;
        }
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            let on_cancel = cancel_button.get_untracked().is_some_and(|b| {
                let b: &web_sys::Element = &b;
                document().active_element().as_ref() == Some(b)
            });
            let next = if on_cancel { yes_button.get_untracked() } else { cancel_button.get_untracked() };
            if let Some(b) = next {
                let _ = b.focus();
            }
        }
    };
    // The element that had focus when the question came, to give it back afterwards.
    #[cfg(feature = "hydrate")]
    let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);
    Effect::new(move |_| {
        let asked = state.question.with(|q| q.is_some());
        #[cfg(feature = "hydrate")]
        if let Some(d) = dialog.get() {
            use wasm_bindgen::JsCast;
            if asked && !d.open() {
                opener.set_value(document().active_element().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()));
                let _ = d.show_modal();
                // The safe choice has focus: Enter or Space right away cancels.
                if let Some(b) = cancel_button.get_untracked() {
                    let _ = b.focus();
                }
            } else if !asked && d.open() {
                d.close();
                if let Some(el) = opener.get_value() {
                    let _ = el.focus();
                }
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (asked, dialog, cancel_button);
    });
    let answer = move |yes: bool| {
        if let Some(q) = state.question.get_untracked() {
            state.question.set(None);
            if yes {
                q.on_yes.run(());
            } else if let Some(no) = q.on_no {
                no.run(());
            }
        }
    };
    view! {
        <dialog class="confirm" node_ref=dialog role="alertdialog" aria-modal="true" aria-labelledby="confirm-title"
            aria-describedby="confirm-detail" data-testid="confirm"
            // Escape: the browser fires `cancel`; treat it as "no" and keep the closing in our hands.
            on:cancel=move |ev: leptos::ev::Event| { ev.prevent_default(); answer(false); }
            on:keydown=keep_focus>
            <h2 id="confirm-title">{move || state.question.with(|q| q.as_ref().map(|q| q.title.clone()))}</h2>
            <p id="confirm-detail" data-testid="confirm-detail">{move || state.question.with(|q| q.as_ref().map(|q| q.detail.clone()))}</p>
            <div class="confirm-actions">
                <button class="btn" type="button" node_ref=cancel_button data-testid="confirm-cancel" on:click=move |_| answer(false)>"Cancel"</button>
                <button class="btn danger-solid" type="button" node_ref=yes_button data-testid="confirm-yes" on:click=move |_| answer(true)>
                    {move || state.question.with(|q| q.as_ref().map(|q| q.action.clone()))}
                </button>
            </div>
        </dialog>
    }
}

/// The flash; placed once, in the app shell.
#[component]
pub fn FlashArea() -> impl IntoView {
    let state = ui();
    // A new page starts without the last page's message.
    let pathname = crate::layout::shown_path();
    Effect::new(move |previous: Option<String>| {
        let path = pathname.get();
        if previous.is_some_and(|p| p != path) {
            if state.flash_for.get_untracked().as_deref() != Some(path.as_str()) {
                state.flash.set(None);
            }
            state.flash_for.set(None);
        }
        path
    });
    view! {
        <div class="flash-area" role="status" aria-live="polite" data-testid="flash-area">
            {move || state.flash.get().map(|f| {
                let (class, text) = match f {
                    Flash::Done(t) => ("flash ok", t),
                    Flash::Failed(t) => ("flash failed", t),
                };
                view! {
                    <div class=class data-testid="flash">
                        <span>{text}</span>
                        {state.undo.get_untracked().map(|undo| view! {
                            <button class="btn small" type="button" data-testid="undo"
                                on:click=move |_| { state.undo.set(None); state.flash.set(None); undo.run(()); }>"Undo"</button>
                        })}
                        <button class="btn ghost small" type="button" aria-label="Dismiss message" on:click=move |_| state.flash.set(None)>"×"</button>
                    </div>
                }
            })}
        </div>
    }
}
