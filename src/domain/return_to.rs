//! Where sign-in returns a visitor: the page they asked for, carried in the
//! sign-in page's address. Only a path on this site is taken, never another
//! site (`//evil.example`, `https://…`), so the link cannot send anyone away.

/// The longest address a return is kept for.
const MOST: usize = 2_000;

/// `raw` as a path on this site to return to, if it is one.
pub fn return_path(raw: &str) -> Option<&str> {
    let local = raw.starts_with('/') && !raw.starts_with("//") && !raw.starts_with("/\\");
    let plain = !raw.chars().any(|c| c.is_control() || c == '\\');
    (local && plain && raw.len() <= MOST).then_some(raw)
}

/// The sign-in page's address that returns to `path` (a path with its query).
pub fn sign_in_returning_to(path: &str) -> String {
    returning_to("/sign-in", path)
}

/// The second-factor page's address that returns to `path`, as sign-in does.
pub fn second_factor_returning_to(path: &str) -> String {
    returning_to("/sign-in/code", path)
}

fn returning_to(page: &str, path: &str) -> String {
    match return_path(path) {
        Some(path) if path != "/" => {
            let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
            format!("{page}?next={next}")
        }
        _ => page.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_site_are_returned_to() {
        assert_eq!(
            return_path("/apps/0123456789abcdef/users?search=ana"),
            Some("/apps/0123456789abcdef/users?search=ana")
        );
        for away in ["//evil.example/x", "/\\evil.example", "https://evil.example", "evil", "", "/a\nb", "/a\\b"] {
            assert_eq!(return_path(away), None, "{away:?}");
        }
        assert_eq!(return_path(&format!("/{}", "a".repeat(MOST))), None, "too long");
    }

    #[test]
    fn the_sign_in_address_carries_the_page_encoded() {
        assert_eq!(sign_in_returning_to("/team?x=1&y=2"), "/sign-in?next=%2Fteam%3Fx%3D1%26y%3D2");
        assert_eq!(sign_in_returning_to("/"), "/sign-in");
        assert_eq!(sign_in_returning_to("//evil.example"), "/sign-in");
    }
}
