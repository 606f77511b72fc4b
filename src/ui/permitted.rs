use leptos::prelude::*;

use crate::domain::{ApiError, Powers};

/// What the signed-in operator may do in app `app_id`, from the matrix
/// the server enforces.
#[server]
pub async fn load_user_powers(app_id: String) -> Result<Powers, ApiError> {
    use crate::server::auth::session::dashboard_app;
    let (_, caller, app) = dashboard_app(&app_id).await?;
    Ok(caller.operator_role().map(|role| Powers::of(role, app.view.environment)).unwrap_or_default())
}

/// Which of an app's powers a control needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    ChangeApp,
    DeleteApp,
    ManageKeys,
    Manage,
    Moderate,
    ActAsUsers,
}

impl Needs {
    pub fn met_by(self, powers: Powers) -> bool {
        match self {
            Needs::ChangeApp => powers.change_app,
            Needs::DeleteApp => powers.delete_app,
            Needs::ManageKeys => powers.manage_keys,
            Needs::Manage => powers.manage,
            Needs::Moderate => powers.moderate,
            Needs::ActAsUsers => powers.act_as_users,
        }
    }
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
                    needs.met_by(powers.await.unwrap_or_default()).then(|| children())
                })
            }}
        </Transition>
    }
}
