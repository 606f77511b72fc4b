//! Who is looking at the dashboard. Shared by the layouts and the entry pages.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::{ApiError, Session};

/// Where a visitor stands: the dashboard's first screen depends on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Visitor {
    /// No operator exists yet: offer to create the owner.
    NeedsSetup,
    SignedOut,
    SignedIn(Session),
}

#[server(prefix = "/api/session")]
pub async fn current_visitor() -> Result<Visitor, ApiError> {
    use crate::server::{auth::session::signed_in_operator, service::operators, state::AppState};
    // A signed-in operator proves set-up is done: one query fewer on every page.
    if let Some(operator) = signed_in_operator().await? {
        return Ok(Visitor::SignedIn(Session { operator }));
    }
    let state = expect_context::<AppState>();
    Ok(if operators::none_yet(&state.db).await? { Visitor::NeedsSetup } else { Visitor::SignedOut })
}

#[server(prefix = "/api/session")]
pub async fn sign_out() -> Result<(), ApiError> {
    use crate::server::{
        auth::session::{current_session, end},
        state::AppState,
    };
    end(&expect_context::<AppState>().db, &current_session()?).await?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}
