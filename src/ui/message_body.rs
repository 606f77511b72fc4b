use leptos::prelude::*;

use crate::domain::{MessageCategory, MessageView, SYSTEM_SENDER};

/// What a message says, as a moderator reads it: the text, the files, the
/// call, the custom data, or what the system recorded.
#[component]
pub fn MessageBody(message: MessageView) -> impl IntoView {
    let data = &message.data;
    let text = |key: &str| data.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    let body = match (message.category, message.message_type.as_str()) {
        (MessageCategory::Message, "text") => view! { <span class="message-text">{text("text")}</span> }.into_any(),
        (MessageCategory::Message, kind) => {
            let files: Vec<(String, String)> = data["attachments"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| (a["url"].as_str().unwrap_or_default().to_owned(), a["name"].as_str().unwrap_or_default().to_owned()))
                .collect();
            view! {
                <span class="message-media">
                    {format!("{kind}: ")}
                    {files.into_iter().map(|(url, name)| view! { <a href=url rel="noopener noreferrer" target="_blank">{name}</a> " " }).collect_view()}
                </span>
            }
            .into_any()
        }
        (MessageCategory::Call, kind) => view! { <span class="message-call">{format!("{kind} call, {}", text("status"))}</span> }.into_any(),
        (MessageCategory::Custom, kind) => {
            view! { <span class="message-custom">{kind.to_owned()}": "<code>{data["customData"].to_string()}</code></span> }.into_any()
        }
        (MessageCategory::Action, _) => view! { <span class="message-action">{action_sentence(&message)}</span> }.into_any(),
    };
    view! {
        {body}
        {message.edited_at.map(|_| view! { <span class="badge">"edited"</span> })}
        {message.deleted_at.map(|_| view! { <span class="badge badge-deleted">{deleted_by(message.deleted_by.as_deref())}</span> })}
    }
}

/// Who deleted a message: a user, or the app (an operator, or a REST API
/// Key acting as itself).
fn deleted_by(by: Option<&str>) -> String {
    match by {
        Some(SYSTEM_SENDER) | None => "deleted by the app".to_owned(),
        Some(uid) => format!("deleted by {uid}"),
    }
}

/// An action message in words: "mod banned ben".
fn action_sentence(message: &MessageView) -> String {
    let field = |key: &str| message.data.get(key).and_then(|v| v.as_str()).unwrap_or("?").to_owned();
    let actor = field("actor");
    match field("action").as_str() {
        "joined" => format!("{} joined", field("target")),
        "left" => format!("{} left", field("target")),
        "scopeChanged" => format!("{actor} made {} {}", field("target"), field("newScope")),
        "edited" | "deleted" => {
            let id = &message.data["messageId"];
            format!("{actor} {} message {}", field("action"), id.as_str().map_or_else(|| id.to_string(), str::to_owned))
        }
        action => format!("{actor} {action} {}", field("target")),
    }
}
