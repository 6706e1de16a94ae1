use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Claims of an access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: i64,
    /// Role code.
    pub role: String,
    /// Region-code prefix the user may see.
    pub scope: String,
    /// Username, for logs.
    pub name: String,
    /// The token family (the login this token descends from), checked live on every
    /// request.
    pub fam: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expiry (Unix seconds).
    pub exp: i64,
}

/// Signing and verification keys for access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    csrf: hmac::Hmac<sha2::Sha256>,
}

/// The console's CSRF MAC, keyed by a key derived from the token secret.
fn csrf_mac(secret: &[u8]) -> Result<hmac::Hmac<sha2::Sha256>, jsonwebtoken::errors::Error> {
    use hmac::Mac;
    use sha2::Digest;
    let key = sha2::Sha256::new()
        .chain_update(b"zoufang-console-csrf\n")
        .chain_update(secret)
        .finalize();
    hmac::Hmac::<sha2::Sha256>::new_from_slice(&key)
        .map_err(|_| jsonwebtoken::errors::ErrorKind::InvalidKeyFormat.into())
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenKeys(kid={})", self.kid)
    }
}

impl TokenKeys {
    /// Keys from an HMAC secret.
    pub fn new(kid: &str, secret: &[u8]) -> Result<Self, jsonwebtoken::errors::Error> {
        Ok(Self {
            kid: kid.to_owned(),
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            csrf: csrf_mac(secret)?,
        })
    }

    /// The console's CSRF token of a session (token family): an HMAC under a key derived
    /// from the token secret, so that only the server can make it.
    pub fn csrf(&self, family: &str) -> String {
        use hmac::Mac;
        let mut mac = self.csrf.clone();
        mac.update(family.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Signs claims.
    pub fn sign(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    /// Verifies a token's signature, key id and expiry.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.kid.as_deref() != Some(self.kid.as_str()) {
            return None;
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|d| d.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_depend_on_the_session_and_the_server_secret() {
        let keys = TokenKeys::new("k1", b"a secret of the server").unwrap();
        let other_server = TokenKeys::new("k1", b"another secret").unwrap();
        let token = keys.csrf("family-1");
        assert_eq!(token.len(), 64);
        assert_eq!(token, keys.csrf("family-1"), "stable for a session");
        assert_ne!(token, keys.csrf("family-2"));
        assert_ne!(token, other_server.csrf("family-1"));
    }

    fn claims(exp_in: i64) -> Claims {
        let now = chrono::Utc::now().timestamp();
        Claims {
            sub: 7,
            role: "HELPER".into(),
            scope: "652822100201".into(),
            name: "u".into(),
            fam: "f".into(),
            iat: now,
            exp: now + exp_in,
        }
    }

    #[test]
    fn tokens_verify_with_the_same_key_and_kid_only() {
        let keys = TokenKeys::new("k1", b"secret-one").unwrap();
        let token = keys.sign(&claims(60)).unwrap();
        assert_eq!(keys.verify(&token).unwrap().sub, 7);
        assert!(
            TokenKeys::new("k1", b"secret-two")
                .unwrap()
                .verify(&token)
                .is_none()
        );
        assert!(
            TokenKeys::new("k2", b"secret-one")
                .unwrap()
                .verify(&token)
                .is_none()
        );
        assert!(
            keys.verify(&keys.sign(&claims(-60)).unwrap()).is_none(),
            "expired"
        );
        assert!(keys.verify("not.a.token").is_none());
    }
}
