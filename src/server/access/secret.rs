//! Keys and tokens: long random secrets, stored only as SHA-256. A fast hash
//! is right here because the secret has 160 bits of entropy; nothing is
//! gained from a slow one, and lookups stay one indexed read.

use sha2::{Digest, Sha256};

/// How much of a secret stays visible, to tell keys apart in lists.
pub const PREFIX_LEN: usize = 8;

#[derive(Clone)]
pub struct Secret {
    pub value: String,
    pub hash: String,
    pub prefix: String,
}

/// 20 random bytes as 40 lowercase hex characters, the shape chat REST
/// clients already expect of an API key.
pub fn generate() -> Secret {
    let bytes: [u8; 20] = rand::random();
    let value = hex::encode(bytes);
    Secret { hash: hash(&value), prefix: value[..PREFIX_LEN].to_owned(), value }
}

pub fn hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_forty_hex_characters_stored_as_its_hash() {
        let s = generate();
        assert_eq!(s.value.len(), 40);
        assert!(s.value.starts_with(&s.prefix));
        assert_eq!(s.hash, hash(&s.value));
        assert_ne!(s.hash, s.value);
        assert_ne!(generate().value, s.value);
    }
}
