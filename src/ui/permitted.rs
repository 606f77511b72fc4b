use leptos::prelude::*;

use crate::domain::{ApiError, Powers};

#[server]
pub async fn load_user_powers(app_id: String) -> Result<Powers, ApiError> {
    use crate::server::auth::{Permission, session::dashboard_app};
    let (_, caller, _) = dashboard_app(&app_id).await?;
    Ok(Powers { manage: caller.may(Permission::ManageUsers), moderate: caller.may(Permission::ModerateUsers) })
}

/// Which of an app's powers over users a control needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Manage,
    Moderate,
}

/// Shows its children only to an operator with the power they need: a
/// viewer sees the users, not buttons that would be refused.
#[component]
pub fn Permitted(powers: Resource<Result<Powers, ApiError>>, needs: Needs, children: ChildrenFn) -> impl IntoView {
    view! {
        <Transition>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    let powers = powers.await.unwrap_or_default();
                    let allowed = match needs {
                        Needs::Manage => powers.manage,
                        Needs::Moderate => powers.moderate,
                    };
                    allowed.then(|| children())
                })
            }}
        </Transition>
    }
}
