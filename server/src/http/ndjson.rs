//! A streamed answer of one JSON object per line (`application/x-ndjson`), used by the
//! long-running writes (import, bulk actions) to report progress as it happens.
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::sync::mpsc::UnboundedReceiver;

/// Streams every event sent into `rx`, each as one line, until its senders are gone.
pub fn response<T: Serialize + Send + 'static>(rx: UnboundedReceiver<T>) -> Response {
    let lines = futures_util::stream::unfold(rx, |mut rx| async move {
        let event = rx.recv().await?;
        let mut line = serde_json::to_vec(&event).unwrap_or_default();
        line.push(b'\n');
        Some((Ok::<_, std::convert::Infallible>(Bytes::from(line)), rx))
    });
    ([(header::CONTENT_TYPE, "application/x-ndjson")], Body::from_stream(lines)).into_response()
}
