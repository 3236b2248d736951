//! A tiny EAS test client over real HTTP, and simulator start-up helpers.

use eas_proto::ProtocolVersion;
use eas_sim::{Config, SimHandle, Simulator, UserConfig};
use reqwest::StatusCode;
use serde_json::Value;
use wbxml::tags::{airsync as air, folder_hierarchy as fh, provision as prov, settings};
use wbxml::{Element, Tag};

/// Starts a simulator with alice and bob (bob has a bearer token).
pub async fn start() -> SimHandle {
    start_with(|_| {}).await
}

/// Starts a simulator after letting `f` adjust the config.
pub async fn start_with(f: impl FnOnce(&mut Config)) -> SimHandle {
    let mut cfg = Config::loopback(vec![
        UserConfig::new("alice", "secret"),
        UserConfig::new("bob", "pw").with_token("bob-token"),
    ]);
    cfg.heartbeat_min = 1;
    f(&mut cfg);
    Simulator::start(cfg).await.expect("simulator starts")
}

/// An EAS device session.
pub struct Eas {
    pub http: reqwest::Client,
    pub url: String,
    pub user: String,
    pub password: String,
    pub device: String,
    pub version: ProtocolVersion,
    pub policy_key: Option<u32>,
}

/// A response: HTTP status, headers and decoded body (if any).
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub doc: Option<Element>,
}

impl Resp {
    /// The decoded body, panicking with context when there is none.
    pub fn doc(&self) -> &Element {
        self.doc
            .as_ref()
            .unwrap_or_else(|| panic!("no body (HTTP {})", self.status))
    }
}

impl Eas {
    pub fn new(sim: &SimHandle, user: &str, password: &str, device: &str, version: ProtocolVersion) -> Self {
        Eas {
            http: reqwest::Client::new(),
            url: sim.url(),
            user: user.into(),
            password: password.into(),
            device: device.into(),
            version,
            policy_key: None,
        }
    }

    /// POSTs a command with an optional body.
    pub async fn post(&self, cmd: &str, body: Option<&Element>) -> Resp {
        let mut rb = self
            .http
            .post(format!(
                "{}?Cmd={cmd}&User={}&DeviceId={}&DeviceType=TestPhone",
                self.url, self.user, self.device
            ))
            .basic_auth(&self.user, Some(&self.password))
            .header("MS-ASProtocolVersion", self.version.as_str())
            .header("Content-Type", "application/vnd.ms-sync.wbxml");
        if let Some(k) = self.policy_key {
            rb = rb.header("X-MS-PolicyKey", k.to_string());
        }
        if let Some(b) = body {
            rb = rb.body(wbxml::encode(b));
        }
        let r = rb.send().await.expect("request sent");
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.expect("body read");
        let doc = (!bytes.is_empty() && status == StatusCode::OK)
            .then(|| wbxml::decode(&bytes).expect("response is valid WBXML"));
        Resp { status, headers, doc }
    }

    /// Runs the two-phase Provision and stores the final key.
    pub async fn provision(&mut self) -> u32 {
        let info = Element::new(settings::DEVICE_INFORMATION)
            .with_child(Element::new(settings::SET).with_text_child(settings::MODEL, "Test"));
        // DeviceInformation rides inside Provision from 14.1 on only.
        let mut req = Element::new(prov::PROVISION);
        if self.version >= ProtocolVersion::V14_1 {
            req.push(info);
        }
        req.push(policies(None));
        let r = self.post("Provision", Some(&req)).await;
        let temp = policy_key(r.doc()).expect("temporary policy key");
        let ack = Element::new(prov::PROVISION).with_child(policies(Some(temp)));
        self.policy_key = Some(temp);
        let r = self.post("Provision", Some(&ack)).await;
        let key = policy_key(r.doc()).expect("final policy key");
        self.policy_key = Some(key);
        key
    }

    /// FolderSync with `key`; returns (status, new key, response).
    pub async fn folder_sync(&self, key: &str) -> (String, String, Element) {
        let r = self
            .post(
                "FolderSync",
                Some(&Element::new(fh::FOLDER_SYNC).with_text_child(fh::SYNC_KEY, key)),
            )
            .await;
        let d = r.doc().clone();
        (
            d.child_text(fh::STATUS).unwrap_or_default().to_owned(),
            d.child_text(fh::SYNC_KEY).unwrap_or_default().to_owned(),
            d,
        )
    }

    /// The ServerId of the folder of type `t` from a full FolderSync.
    pub async fn folder_id(&self, t: u8) -> String {
        let (_, _, d) = self.folder_sync("0").await;
        let id = d
            .find(fh::CHANGES)
            .into_iter()
            .flat_map(|c| c.find_all(fh::ADD))
            .find(|a| a.child_text(fh::TYPE) == Some(&t.to_string()))
            .and_then(|a| a.child_text(fh::SERVER_ID))
            .expect("folder of that type")
            .to_owned();
        id
    }

    /// One-collection Sync; returns the Collection element of the response.
    pub async fn sync(&self, coll: Element) -> Element {
        let r = self.post("Sync", Some(&sync_req(coll))).await;
        r.doc()
            .find(air::COLLECTIONS)
            .and_then(|c| c.find(air::COLLECTION))
            .cloned()
            .unwrap_or_else(|| panic!("no collection in {:?}", r.doc()))
    }

    /// Key 0 then a full pull; returns the key after the pull and the pull's collection.
    pub async fn initial_sync(&self, folder: &str) -> (String, Element) {
        let c = self.sync(coll("0", folder)).await;
        let key = text(&c, air::SYNC_KEY);
        let c = self.sync(coll(&key, folder)).await;
        (text(&c, air::SYNC_KEY), c)
    }
}

fn policies(key: Option<u32>) -> Element {
    let mut p = Element::new(prov::POLICY).with_text_child(prov::POLICY_TYPE, "MS-EAS-Provisioning-WBXML");
    if let Some(k) = key {
        p.push_text(prov::POLICY_KEY, k.to_string());
        p.push_text(prov::STATUS, "1");
    }
    Element::new(prov::POLICIES).with_child(p)
}

/// The PolicyKey inside a Provision response.
pub fn policy_key(d: &Element) -> Option<u32> {
    d.find(prov::POLICIES)?
        .find(prov::POLICY)?
        .child_text(prov::POLICY_KEY)?
        .parse()
        .ok()
}

/// A Sync request around one collection.
pub fn sync_req(coll: Element) -> Element {
    Element::new(air::SYNC).with_child(Element::new(air::COLLECTIONS).with_child(coll))
}

/// A Sync collection with key and id.
pub fn coll(key: &str, folder: &str) -> Element {
    Element::new(air::COLLECTION)
        .with_text_child(air::SYNC_KEY, key)
        .with_text_child(air::COLLECTION_ID, folder)
}

/// Text of a child, or "".
pub fn text(e: &Element, t: Tag) -> String {
    e.child_text(t).unwrap_or_default().to_owned()
}

/// Builds ApplicationData from (tag, text) pairs.
pub fn app(fields: &[(Tag, &str)]) -> Element {
    let mut a = Element::new(air::APPLICATION_DATA);
    for (t, v) in fields {
        a.push_text(*t, *v);
    }
    a
}

/// Commands of a response collection: (tag, ServerId, element).
pub fn commands(c: &Element) -> Vec<(Tag, String, Element)> {
    c.find(air::COMMANDS)
        .map(|cs| {
            cs.elements()
                .map(|e| (e.tag, text(e, air::SERVER_ID), e.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// A provisioned device after a full FolderSync (so hierarchy changes are tracked).
pub async fn device(sim: &SimHandle, user: &str, pw: &str, dev: &str, v: ProtocolVersion) -> Eas {
    let mut e = Eas::new(sim, user, pw, dev, v);
    e.provision().await;
    e
}

/// Control API call returning (status, JSON).
pub async fn control(sim: &SimHandle, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}{path}", sim.control_url().expect("control enabled"));
    let mut rb = reqwest::Client::new().request(method, url);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.expect("control request");
    let s = r.status().as_u16();
    let v = r.json::<Value>().await.unwrap_or(Value::Null);
    (s, v)
}
