//! MS-ASHTTP request line, headers, OPTIONS and HTTP status semantics.

use eas_proto::http::*;
use eas_proto::{ProtoError, ProtocolVersion};

#[test]
fn plain_query_build_and_parse() {
    let line = RequestLine::new(Command::Sync, "alice@contoso.com", "gw4f2a9c0d11e84b", "DavGateway");
    assert_eq!(
        line.to_query(),
        "Cmd=Sync&User=alice%40contoso.com&DeviceId=gw4f2a9c0d11e84b&DeviceType=DavGateway"
    );
    assert_eq!(
        line.to_path_and_query(),
        "/Microsoft-Server-ActiveSync?Cmd=Sync&User=alice%40contoso.com&DeviceId=gw4f2a9c0d11e84b&DeviceType=DavGateway"
    );
    assert_eq!(
        RequestLine::parse(&line.to_query()).unwrap(),
        (line.clone(), QueryForm::Plain)
    );

    let mut extras = RequestLine::new(Command::SmartReply, r"CONTOSO\bob", "dev1", "Phone");
    extras.item_id = Some("5:3".into());
    extras.collection_id = Some("5".into());
    extras.long_id = Some("RgAAA+/=".into());
    extras.attachment_name = Some("a b.txt".into());
    extras.occurrence = Some("20260408T090000Z".into());
    extras.save_in_sent = true;
    let q = extras.to_query();
    assert!(q.contains("User=CONTOSO%5Cbob"), "{q}");
    assert!(q.ends_with("&SaveInSent=T"), "{q}");
    assert_eq!(RequestLine::parse_plain(&q).unwrap(), extras);
}

#[test]
fn plain_query_is_lenient_about_case_and_order_and_strict_about_cmd() {
    let (line, form) = RequestLine::parse("deviceid=D1&devicetype=T&user=u%2Bx&cmd=folderSync&Unknown=1").unwrap();
    assert_eq!(form, QueryForm::Plain);
    assert_eq!(line.cmd, Command::FolderSync);
    assert_eq!(line.device_id, "D1");
    assert_eq!(line.user, "u+x");
    assert!(matches!(
        RequestLine::parse_plain("User=u&DeviceId=d"),
        Err(ProtoError::Query(_))
    ));
    assert!(matches!(
        RequestLine::parse_plain("Cmd=Dance&User=u"),
        Err(ProtoError::Query(_))
    ));
    assert!(matches!(
        RequestLine::parse_plain("Cmd=Sync&User=%FF%FE"),
        Err(ProtoError::Query(_))
    ));
}

#[test]
fn base64_query_matches_the_ms_ashttp_example() {
    // MS-ASHTTP §2.2.1.1.1: the base64 equivalent of
    // Cmd=Sync&DeviceId=v140Device&DeviceType=SmartPhone at version 14.0.
    let spec = "jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l";
    let (line, form) = RequestLine::parse(spec).unwrap();
    assert_eq!(form, QueryForm::Base64);
    assert_eq!(line.cmd, Command::Sync);
    assert_eq!(line.device_id, "v140Device");
    assert_eq!(line.device_type, "SmartPhone");
    assert_eq!(line.version, Some(ProtocolVersion::V14_0));
    assert_eq!(line.locale, Some(0x0409));
    assert_eq!(line.policy_key, None);
    assert_eq!(line.to_base64_query(ProtocolVersion::V14_0).unwrap(), spec);
}

#[test]
fn base64_query_round_trip_with_everything() {
    let mut line = RequestLine::new(Command::ItemOperations, "alice@contoso.com", "ABC123", "DavGateway");
    line.collection_id = Some("7".into());
    line.item_id = Some("7:1".into());
    line.long_id = Some("L".into());
    line.attachment_name = Some("x.ics".into());
    line.occurrence = Some("o".into());
    line.save_in_sent = true;
    line.accept_multipart = true;
    line.policy_key = Some(3_000_000_001);
    line.locale = Some(0x0407);
    let q = line.to_base64_query(ProtocolVersion::V16_1).unwrap();
    let back = RequestLine::parse_base64(&q).unwrap();
    line.version = Some(ProtocolVersion::V16_1);
    assert_eq!(back, line);
    // Percent-encoded base64 (as it appears in a URL) also parses.
    let pct = q.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    assert_eq!(RequestLine::parse_base64(&pct).unwrap(), line);
}

#[test]
fn base64_binary_device_id_is_hex() {
    let mut b = vec![161u8, 18, 0x09, 0x04, 4, 0xde, 0xad, 0xbe, 0xef, 0, 1, b'T'];
    b.extend_from_slice(&[8, 1, b'u']);
    let q = base64_encode(&b);
    let line = RequestLine::parse_base64(&q).unwrap();
    assert_eq!(line.cmd, Command::Ping);
    assert_eq!(line.device_id, "deadbeef");
    assert_eq!(line.user, "u");
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[test]
fn base64_query_errors_are_typed() {
    for bad in ["!!!", "", "AA==", "jAAJBAp2MTQw", "/wAJBAF4AAF5"] {
        assert!(
            matches!(RequestLine::parse_base64(bad), Err(ProtoError::Query(_))),
            "{bad:?}"
        );
    }
    // Policy key length other than 0 or 4.
    let q = base64_encode(&[141, 0, 9, 4, 1, b'd', 3, 1, 2, 3, 1, b't']);
    assert!(matches!(RequestLine::parse_base64(&q), Err(ProtoError::Query(_))));
    // Over-long values cannot be encoded.
    let long = RequestLine::new(Command::Sync, "u", "d".repeat(300), "t");
    assert!(long.to_base64_query(ProtocolVersion::V14_1).is_err());
}

#[test]
fn commands_table() {
    assert_eq!(Command::all().count(), 20);
    for c in Command::all() {
        assert_eq!(Command::from_name(c.name()), Some(c));
        assert_eq!(Command::from_code(c.code()), Some(c));
    }
    assert_eq!(Command::Provision.code(), 20);
    assert_eq!(Command::Find.code(), 23);
    assert_eq!(Command::from_code(5), None);
    assert_eq!(Command::Sync.root_tag(), Some(wbxml::tags::airsync::SYNC));
    assert_eq!(Command::Provision.root_tag().and_then(|t| t.name()), Some("Provision"));
    assert_eq!(Command::GetAttachment.root_tag(), None);
}

#[test]
fn request_headers() {
    let h = RequestHeaders::parse([
        ("ms-asprotocolversion", "16.1"),
        ("X-MS-PolicyKey", " 1307199584 "),
        ("User-Agent", "easdav/0.1"),
        ("Content-Type", "application/vnd.ms-sync.wbxml; charset=utf-8"),
        ("Host", "x"),
    ])
    .unwrap();
    assert_eq!(h.version, Some(ProtocolVersion::V16_1));
    assert_eq!(h.policy_key, Some(1_307_199_584));
    assert!(h.is_wbxml());
    let pairs = h.to_pairs(true);
    let back = RequestHeaders::parse(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
    assert_eq!(back, h);
    assert!(!h.to_pairs(false).iter().any(|(k, _)| *k == header::CONTENT_TYPE));
    assert!(matches!(
        RequestHeaders::parse([("MS-ASProtocolVersion", "2.5")]),
        Err(ProtoError::Header {
            name: header::PROTOCOL_VERSION,
            ..
        })
    ));
    assert!(matches!(
        RequestHeaders::parse([("X-MS-PolicyKey", "abc")]),
        Err(ProtoError::Header {
            name: header::POLICY_KEY,
            ..
        })
    ));
    assert!(!RequestHeaders::default().is_wbxml());
}

#[test]
fn options_answer() {
    let ours = OptionsAnswer {
        versions: ProtocolVersion::ALL.to_vec(),
        commands: vec![Command::Sync, Command::FolderSync, Command::Ping, Command::Provision],
    };
    let headers = ours.to_headers();
    let versions = headers.iter().find(|(k, _)| *k == header::PROTOCOL_VERSIONS).unwrap();
    assert_eq!(versions.1, "12.1,14.0,14.1,16.0,16.1");
    let parsed = OptionsAnswer::parse(headers.iter().map(|(k, v)| (*k, v.as_str())));
    assert_eq!(parsed, ours);
    // Exchange-style answer: unknown versions dropped, duplicate header joined.
    let exo = OptionsAnswer::parse([
        ("MS-ASProtocolVersions", "2.0,2.1,2.5,12.0,12.1,14.0,14.1,16.0,16.1"),
        ("MS-ASProtocolCommands", "Sync,SendMail,FolderSync"),
        ("ms-asprotocolcommands", "Sync, Ping ,Find,Bogus"),
    ]);
    assert_eq!(exo.versions.len(), 5);
    assert_eq!(
        exo.commands,
        vec![
            Command::Sync,
            Command::SendMail,
            Command::FolderSync,
            Command::Ping,
            Command::Find
        ]
    );
    assert_eq!(
        exo.best_version(&[ProtocolVersion::V14_1, ProtocolVersion::V16_1]),
        Some(ProtocolVersion::V16_1)
    );
    let old = OptionsAnswer::parse([("MS-ASProtocolVersions", "12.1,14.1")]);
    assert_eq!(old.best_version(&ProtocolVersion::ALL), Some(ProtocolVersion::V14_1));
    assert_eq!(old.best_version(&[ProtocolVersion::V16_1]), None);
}

#[test]
fn http_status_semantics() {
    for code in [
        200u16, 400, 401, 403, 404, 449, 451, 456, 457, 500, 501, 503, 507, 302, 418, 502,
    ] {
        assert_eq!(HttpStatus::from_code(code).code(), code);
    }
    assert_eq!(HttpStatus::from_code(449).client_action(), ClientAction::Provision);
    assert_eq!(HttpStatus::from_code(451).client_action(), ClientAction::Redirect);
    assert_eq!(HttpStatus::from_code(401).client_action(), ClientAction::Reauthenticate);
    assert_eq!(HttpStatus::from_code(403).client_action(), ClientAction::Stop);
    assert_eq!(HttpStatus::from_code(503).client_action(), ClientAction::RetryLater);
    assert_eq!(HttpStatus::from_code(502).client_action(), ClientAction::RetryLater);
    assert_eq!(HttpStatus::from_code(400).client_action(), ClientAction::FixRequest);
    assert_eq!(
        HttpStatus::NeedsProvisioning.reason_phrase(),
        "Retry after sending a PROVISION command"
    );
    assert_eq!(parse_retry_after(" 120 "), Some(120));
    assert_eq!(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT"), None);
}

#[test]
fn server_side_signals() {
    use eas_proto::CommonStatus;
    assert_eq!(
        HttpStatus::Unauthorized.companion_header(),
        Some(header::WWW_AUTHENTICATE)
    );
    assert_eq!(HttpStatus::Redirect.companion_header(), Some(header::LOCATION));
    assert_eq!(
        HttpStatus::ServiceUnavailable.companion_header(),
        Some(header::RETRY_AFTER)
    );
    assert_eq!(HttpStatus::Ok.companion_header(), None);
    assert_eq!(
        provisioning_signal(ProtocolVersion::V12_1, CommonStatus::DeviceNotProvisioned),
        ProvisioningSignal::Http449
    );
    assert_eq!(
        provisioning_signal(ProtocolVersion::V14_0, CommonStatus::InvalidPolicyKey),
        ProvisioningSignal::Status(CommonStatus::InvalidPolicyKey)
    );
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    fn line() -> impl Strategy<Value = RequestLine> {
        let cmds: Vec<Command> = Command::all().collect();
        (
            proptest::sample::select(cmds),
            "[^\u{0}]{0,20}",
            "[A-Za-z0-9]{1,32}",
            "[A-Za-z]{1,16}",
            proptest::option::of("[^\u{0}]{0,10}"),
            proptest::option::of("[^\u{0}]{0,10}"),
            any::<bool>(),
        )
            .prop_map(|(cmd, user, dev, dt, item, col, sis)| {
                let mut l = RequestLine::new(cmd, user, dev, dt);
                l.item_id = item;
                l.collection_id = col;
                l.save_in_sent = sis;
                l
            })
    }

    proptest! {
        #[test]
        fn plain_round_trip(l in line()) {
            prop_assert_eq!(RequestLine::parse(&l.to_query()).unwrap(), (l.clone(), QueryForm::Plain));
        }

        #[test]
        fn base64_round_trip(l in line(), key in proptest::option::of(any::<u32>())) {
            let mut l = l;
            l.policy_key = key;
            l.locale = Some(0x0409);
            let q = l.to_base64_query(ProtocolVersion::V14_1).unwrap();
            l.version = Some(ProtocolVersion::V14_1);
            prop_assert_eq!(RequestLine::parse(&q).unwrap(), (l, QueryForm::Base64));
        }

        #[test]
        fn random_base64_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = RequestLine::parse_base64(&base64_encode(&bytes));
        }

        #[test]
        fn random_text_never_panics(q in "\\PC{0,60}") {
            let _ = RequestLine::parse(&q);
        }
    }
}
