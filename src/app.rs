use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::{
    Lazy, SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::ui::{app_layout::AppLayout, home::Home, not_found::NotFound, routes::*, signed_in_layout::SignedInLayout};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::security::set_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Switchboard" />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=Home ssr=SsrMode::Async />
                <Route path=path!("/setup") view={Lazy::<SetupRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/sign-in") view={Lazy::<SignInRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/sign-in/code") view={Lazy::<SecondFactorRoute>::new()} ssr=SsrMode::Async />
                <Route path=path!("/reset-password") view={Lazy::<ResetPasswordRoute>::new()} ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=SignedInLayout ssr=SsrMode::Async>
                    <Route path=path!("/apps") view={Lazy::<AppsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/team") view={Lazy::<TeamRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account") view={Lazy::<AccountRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account/two-factor") view={Lazy::<TwoFactorRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/team/sessions") view={Lazy::<TeamSessionsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/team/activity") view={Lazy::<TeamActivityRoute>::new()} ssr=SsrMode::Async />
                    <ParentRoute path=path!("/apps/:app_id") view=AppLayout ssr=SsrMode::Async>
                        <Route path=path!("") view={Lazy::<KeysRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/users") view={Lazy::<UsersRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/users/:uid") view={Lazy::<UserRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/roles") view={Lazy::<RolesRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/groups") view={Lazy::<GroupsRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/groups/:guid") view={Lazy::<GroupRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/overview") view={Lazy::<OverviewRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/messages") view={Lazy::<MessagesRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/conversation") view={Lazy::<ConversationRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/activity") view={Lazy::<ActivityRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/playground") view={Lazy::<PlaygroundRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/settings") view={Lazy::<AppSettingsRoute>::new()} ssr=SsrMode::Async />
                    </ParentRoute>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
