//! HTTPS with a private CA (extra roots) and a client certificate (mTLS) against a rustls server
//! that requires one.

use std::sync::Arc;

use eas_client::{ClientConfig, Error, TlsConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::stub::{eas_ok, Stub};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A server config with `server.pem` that demands a client certificate issued by `ca.pem`.
fn mtls_server() -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(&fixture("ca.pem")) {
        roots.add(c.unwrap()).unwrap();
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap();
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&fixture("server.pem"))
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_slice(&fixture("server.key.pem")).unwrap();
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .unwrap();
    Arc::new(cfg)
}

fn tls(identity: bool, roots: bool) -> TlsConfig {
    TlsConfig {
        client_identity_pem: identity.then(|| fixture("client-identity.pem")),
        extra_roots_pem: if roots { vec![fixture("ca.pem")] } else { Vec::new() },
        only_extra_roots: roots,
    }
}

#[tokio::test]
async fn mtls_with_extra_root_and_client_certificate() {
    let stub = Stub::start_tls(|r, _| eas_ok(r, "16.1"), mtls_server()).await;
    let url = format!("https://127.0.0.1:{}/Microsoft-Server-ActiveSync", stub.addr.port());

    let (c, _) = crate::client(&url, |cfg| cfg.tls = tls(true, true));
    let opts = c.options().await.unwrap();
    assert_eq!(opts.versions, ["16.1"]);
    assert_eq!(stub.commands(), ["OPTIONS"]);

    // Without the client certificate the handshake fails: a (bounded) network error.
    let (c, _) = crate::client(&url, |cfg| cfg.tls = tls(false, true));
    assert!(matches!(c.options().await, Err(Error::Network { attempts: 3, .. })));
    // Without the private CA the server is not trusted.
    let (c, _) = crate::client(&url, |cfg| cfg.tls = tls(true, false));
    assert!(matches!(c.options().await, Err(Error::Network { .. })));
    assert_eq!(
        stub.commands().len(),
        1,
        "no request got through without full TLS set-up"
    );
}

#[test]
fn bad_tls_material_is_a_config_error() {
    let state = || eas_client::PartnershipState::new("https://127.0.0.1/Microsoft-Server-ActiveSync");
    let auth = || Arc::new(eas_client::BasicAuth::new("a", "b"));
    let mut cfg = ClientConfig::new("a", "dev", "EasDav");
    cfg.tls.extra_roots_pem = vec![b"not a pem".to_vec()];
    assert!(matches!(
        eas_client::Client::new(cfg.clone(), state(), auth()),
        Err(Error::Config(_))
    ));
    cfg.tls.extra_roots_pem.clear();
    cfg.tls.client_identity_pem = Some(fixture("client.pem"));
    assert!(matches!(
        eas_client::Client::new(cfg, state(), auth()),
        Err(Error::Config(_))
    ));
    let cfg = ClientConfig::new("a", "dev", "EasDav");
    let bad_url = eas_client::PartnershipState::new("not a url");
    assert!(matches!(
        eas_client::Client::new(cfg, bad_url, auth()),
        Err(Error::Config(_))
    ));
}
