/// Settings read once at start-up, from flags or the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Marks the session cookie `Secure`: set when served over https.
    pub secure_cookies: bool,
}
