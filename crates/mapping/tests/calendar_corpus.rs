//! Calendar and task mapping over the shared corpus: every VEVENT/VTODO file
//! (maps or a typed error; a mapped object comes back with the same EAS
//! meaning and every unmapped line), every invalid iCalendar file, the
//! evolution-activesync golden pairs and the Horde WBXML samples.

use std::path::{Path, PathBuf};

use mapping::ical::{self, Component};
use mapping::tz::{vtimezone_rules, TzBlob};
use mapping::{eas_to_ical, ical_to_eas, ItemClass, MapError, ProtocolVersion, Residue};
use wbxml::tags::{airsyncbase as asb, calendar as c};
use wbxml::Element;

const VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::V14_1, ProtocolVersion::V16_1];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus().join(dir))
        .unwrap_or_else(|e| panic!("corpus dir {dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    v
}

fn read(p: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned()
}

fn typed(e: &MapError) -> bool {
    !e.to_string().is_empty()
        && matches!(
            e,
            MapError::Parse { .. }
                | MapError::Invalid(_)
                | MapError::NotRepresentable { .. }
                | MapError::WrongClass { .. }
        )
}

/// The master item of a rendered or source calendar.
fn item<'a>(cal: &'a Component, name: &'a str) -> Option<&'a Component> {
    cal.children_named(name).find(|c| c.prop("RECURRENCE-ID").is_none())
}

/// iCal → EAS → (WBXML → EAS) → iCal → EAS: the EAS form is a fixpoint and
/// every line the mapping did not consume comes back verbatim.
fn check_round_trip(name: &str, ics: &str, class: ItemClass, v: ProtocolVersion) -> Result<(), MapError> {
    let first = ical_to_eas(ics, class, v)?;
    // 16.x: what the server sends back folds the instance edits into the master.
    let stored_form = mapping::calendar::with_exceptions(&first.application_data, &first.occurrence_edits);
    let bytes = wbxml::encode(&stored_form);
    let decoded = wbxml::decode(&bytes).unwrap_or_else(|e| panic!("{name}: wbxml: {e}"));
    assert_eq!(decoded, stored_form, "{name}");
    let stored = Residue::from_bytes(&first.residue.to_bytes()).unwrap();
    let back = eas_to_ical(&decoded, class, v, &stored).unwrap_or_else(|e| panic!("{name} {v}: render: {e}"));
    let second = ical_to_eas(&back, class, v).unwrap_or_else(|e| panic!("{name} {v}: re-map: {e}\n{back}"));
    if second.application_data != first.application_data {
        let (a, b) = (
            wbxml::xml::to_xml(&first.application_data),
            wbxml::xml::to_xml(&second.application_data),
        );
        let diff: Vec<String> = a
            .lines()
            .zip(b.lines())
            .filter(|(x, y)| x != y)
            .map(|(x, y)| format!("- {x}\n+ {y}"))
            .collect();
        panic!("{name} {v}: EAS form changed:\n{}\n{back}", diff.join("\n"));
    }
    assert_eq!(second.occurrence_edits, first.occurrence_edits, "{name} {v}");
    let out = ical::parse(&back).unwrap();
    let src = ical::parse(ics).unwrap();
    let comp = if class == ItemClass::Calendar {
        "VEVENT"
    } else {
        "VTODO"
    };
    let (a, b) = (item(&src, comp).unwrap(), item(&out, comp).unwrap());
    for p in &a.props {
        if p.name.starts_with("X-") && !p.name.starts_with("X-EAS-") && !p.name.starts_with("X-MICROSOFT-") {
            let line = p.to_line();
            assert!(
                b.props.iter().any(|q| q.to_line() == line),
                "{name} {v}: lost {line}\n{back}"
            );
        }
    }
    assert_eq!(a.children.len(), b.children.len(), "{name} {v}: alarms\n{back}");
    Ok(())
}

#[test]
fn every_corpus_event_and_task_maps_or_fails_typed() {
    let (mut ok, mut refused) = (0, Vec::new());
    for path in files("ical", "ics") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let ics = read(&path);
        for (marker, class) in [("BEGIN:VEVENT", ItemClass::Calendar), ("BEGIN:VTODO", ItemClass::Tasks)] {
            if !ics.to_ascii_uppercase().contains(marker) {
                continue;
            }
            for v in VERSIONS {
                match check_round_trip(&name, &ics, class, v) {
                    Ok(()) => ok += 1,
                    Err(e) => {
                        assert!(typed(&e), "{name}: {e:?}");
                        refused.push(format!("{name} {v}: {e}"));
                    }
                }
            }
        }
    }
    eprintln!(
        "{ok} mapped and round-tripped, {} refused with a typed error:",
        refused.len()
    );
    for r in &refused {
        eprintln!("  {r}");
    }
    assert!(ok >= 150, "only {ok} corpus objects mapped");
}

#[test]
fn every_invalid_file_fails_typed_or_parses_leniently() {
    let mut lenient = Vec::new();
    for path in files("invalid/ical", "ics") {
        let ics = read(&path);
        for class in [ItemClass::Calendar, ItemClass::Tasks] {
            for v in VERSIONS {
                match ical_to_eas(&ics, class, v) {
                    Err(e) => assert!(typed(&e), "{path:?}: {e:?}"),
                    Ok(out) => {
                        // Lenient parse: the result still renders.
                        eas_to_ical(&out.application_data, class, v, &out.residue).unwrap();
                        lenient.push(format!("{} {class:?} {v}", path.display()));
                    }
                }
            }
        }
    }
    eprintln!("{} lenient parses: {lenient:#?}", lenient.len());
}

fn paired(name: &str) -> (String, Element) {
    let dir = corpus().join("eas/paired");
    let ics = read(&dir.join(format!("{name}.ics")));
    let xml = read(&dir.join(format!("{name}.xml")));
    let opts = wbxml::xml::ParseOptions {
        prefer_pages: vec![c::PAGE, asb::PAGE],
    };
    let el = wbxml::xml::from_xml_with(&xml, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    (ics, el)
}

/// A child's text, matched by element name (namespace-less fixture XML may
/// resolve a name to another code page).
fn leaf(el: &Element, tag: wbxml::Tag) -> Option<String> {
    el.elements()
        .find(|e| e.tag == tag || matches!((e.tag.name(), tag.name()), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b)))
        .and_then(|e| e.text())
        .map(|s| s.trim().to_owned())
}

/// The Meego fixtures hold bare fragments; a series needs a start.
fn with_start(ics: &str, start: &str) -> String {
    let ev = ics.find("BEGIN:VEVENT").map_or("", |i| &ics[i..]);
    if ev.contains("DTSTART:") || ev.contains("DTSTART;") {
        return ics.to_owned();
    }
    ics.replacen("BEGIN:VEVENT\n", &format!("BEGIN:VEVENT\n{start}\n"), 1)
        .replacen("BEGIN:VEVENT\r\n", &format!("BEGIN:VEVENT\r\n{start}\r\n"), 1)
}

#[test]
fn evoas_requests_match_field_by_field() {
    let v = ProtocolVersion::V14_1;
    let simple = [
        ("evoas_cal_req_location", c::LOCATION),
        ("evoas_cal_req_subject", c::SUBJECT),
        ("evoas_cal_req_sensitivity", c::SENSITIVITY),
        ("evoas_cal_req_reminder", c::REMINDER),
        ("evoas_cal_req_startTime", c::START_TIME),
    ];
    for (name, tag) in simple {
        let (ics, want) = paired(name);
        let got = ical_to_eas(&with_start(&ics, "DTSTART:20110711T080000Z"), ItemClass::Calendar, v).unwrap();
        assert_eq!(leaf(&got.application_data, tag), leaf(&want, tag), "{name}");
        if let Some(all_day) = leaf(&want, c::ALL_DAY_EVENT) {
            assert_eq!(leaf(&got.application_data, c::ALL_DAY_EVENT), Some(all_day), "{name}");
        }
    }
    let (ics, want) = paired("evoas_cal_req_category");
    let got = ical_to_eas(&with_start(&ics, "DTSTART:20110711T080000Z"), ItemClass::Calendar, v).unwrap();
    let cats = |e: &Element| -> Vec<String> {
        e.find(c::CATEGORIES)
            .map(|x| {
                x.find_all(c::CATEGORY)
                    .filter_map(|y| y.text())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(cats(&got.application_data), cats(&want));

    let (ics, want) = paired("evoas_cal_req_attendee");
    let got = ical_to_eas(&with_start(&ics, "DTSTART:20110711T080000Z"), ItemClass::Calendar, v).unwrap();
    let att = |e: &Element| -> Vec<(Option<String>, Option<String>)> {
        e.find(c::ATTENDEES)
            .map(|x| {
                x.find_all(c::ATTENDEE)
                    .map(|a| (leaf(a, c::EMAIL), leaf(a, c::NAME)))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(att(&got.application_data), att(&want));

    // The VTIMEZONE of the fixture, used by a start in that zone, gives a
    // blob with the same rules (the names differ: we send the Windows id).
    let (ics, want) = paired("evoas_cal_req_timeZone");
    let ics = with_start(
        &ics,
        "DTSTART;TZID=\"(UTC) Greenwich Mean Time : Dubl\":20110711T080000",
    );
    let got = ical_to_eas(&ics, ItemClass::Calendar, v).unwrap_or_else(|e| panic!("{e}\n{ics}"));
    let a = TzBlob::from_base64(&leaf(&got.application_data, c::TIMEZONE).unwrap()).unwrap();
    // libwbxml treats Timezone as binary: the fixture's base64 is opaque bytes.
    let b = match want.find(c::TIMEZONE).and_then(|e| e.children.first()) {
        Some(wbxml::Node::Opaque(bytes)) => TzBlob::from_bytes(bytes).unwrap(),
        _ => TzBlob::from_base64(&leaf(&want, c::TIMEZONE).unwrap()).unwrap(),
    };
    assert_eq!(a.rules(), b.rules());
    assert_eq!(a.standard_name, "GMT Standard Time");

    // Documented divergences: Meego treats a UTC-midnight DATE-TIME pair as
    // all-day (RFC 5545 does not), and its recurrence/exception fixtures hold
    // rules EAS cannot express (BYMONTHDAY=127 with BYDAY; RDATE).
    let (ics, _) = paired("evoas_cal_req_allDayEvent");
    let got = ical_to_eas(&ics, ItemClass::Calendar, v).unwrap();
    assert_eq!(leaf(&got.application_data, c::ALL_DAY_EVENT).as_deref(), Some("0"));
    assert_eq!(
        leaf(&got.application_data, c::START_TIME).as_deref(),
        Some("20110711T000000Z")
    );
    for name in ["evoas_cal_req_recurrence", "evoas_cal_req_exception"] {
        let (ics, _) = paired(name);
        let r = ical_to_eas(&with_start(&ics, "DTSTART:20110711T080000Z"), ItemClass::Calendar, v);
        assert!(
            matches!(r, Err(MapError::NotRepresentable { .. }) | Err(MapError::Invalid(_))),
            "{name}: {r:?}"
        );
    }
}

fn render(el: &Element) -> Component {
    let ics = eas_to_ical(el, ItemClass::Calendar, ProtocolVersion::V14_1, &Residue::default()).unwrap();
    ical::parse(&ics).unwrap()
}

#[test]
fn evoas_responses_match_semantically() {
    for (name, prop) in [
        ("evoas_cal_resp_location", "LOCATION"),
        ("evoas_cal_resp_subject", "SUMMARY"),
        ("evoas_cal_resp_sensitivity", "CLASS"),
    ] {
        let (ics, el) = paired(name);
        let want = ical::parse(&ics).unwrap();
        let got = render(&el);
        let w = item(&want, "VEVENT").unwrap().prop(prop).map(|p| p.text());
        let g = item(&got, "VEVENT").unwrap().prop(prop).map(|p| p.text());
        assert_eq!(g, w, "{name}");
    }
    let (ics, el) = paired("evoas_cal_resp_attendee");
    let want = ical::parse(&ics).unwrap();
    let got = render(&el);
    type Key = (String, Option<String>, Option<String>, Option<String>);
    let key = |c: &Component| -> Vec<Key> {
        item(c, "VEVENT")
            .unwrap()
            .props_named("ATTENDEE")
            .map(|p| {
                let addr = p.value.trim_start_matches("mailto:").to_owned();
                (
                    addr,
                    p.param("CN").map(str::to_owned),
                    p.param("PARTSTAT").map(str::to_owned),
                    p.param("ROLE").map(str::to_owned),
                )
            })
            .collect()
    };
    assert_eq!(key(&got), key(&want));

    let (ics, el) = paired("evoas_cal_resp_timeZone");
    let want = ical::parse(&ics).unwrap();
    let mut el = el;
    el.push_text(c::START_TIME, "20110711T080000Z");
    let got = render(&el);
    let rules = |c: &Component| {
        vtimezone_rules(c.children_named("VTIMEZONE").next().unwrap(), 2011)
            .unwrap()
            .rules()
    };
    assert_eq!(rules(&got), rules(&want));

    // All-day: DTEND equal to DTSTART (Meego) and the exclusive next day
    // (ours) both mean one day.
    let (_, el) = paired("evoas_cal_resp_allDayEvent");
    let got = render(&el);
    let ev = item(&got, "VEVENT").unwrap();
    assert_eq!(ev.prop("DTSTART").unwrap().value, "20110711");
    assert_eq!(ev.prop("DTEND").unwrap().value, "20110712");
    assert_eq!(ev.prop("DTSTAMP").unwrap().value, "20110711T133147Z");
}

/// Finds every Calendar `ApplicationData`-like element (one with StartTime).
fn appointments(el: &Element, out: &mut Vec<Element>) {
    if el.find(c::START_TIME).is_some() {
        out.push(el.clone());
    }
    for ch in el.elements() {
        appointments(ch, out);
    }
}

#[test]
fn horde_samples_render_and_map_back() {
    let opts = wbxml::DecodeOptions {
        allow_headerless: true,
        ..Default::default()
    };
    let mut seen = 0;
    for name in ["allday_appointment", "appointment", "recurrence", "meeting_request_one"] {
        let bytes = std::fs::read(corpus().join(format!("eas/horde-activesync_{name}.wbxml"))).unwrap();
        let nodes = match wbxml::decode_with(&bytes, &opts) {
            Ok(root) => vec![root],
            Err(_) => wbxml::decode_fragment(&bytes, &opts)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .into_iter()
                .filter_map(|n| if let wbxml::Node::Element(e) = n { Some(e) } else { None })
                .collect(),
        };
        let mut found = Vec::new();
        for n in &nodes {
            // A fragment of bare fields is one appointment.
            let mut holder = Element::new(wbxml::tags::airsync::APPLICATION_DATA);
            holder.children = nodes.iter().cloned().map(wbxml::Node::Element).collect();
            appointments(n, &mut found);
            if found.is_empty() {
                appointments(&holder, &mut found);
            }
        }
        for data in found {
            for v in VERSIONS {
                let ics = eas_to_ical(&data, ItemClass::Calendar, v, &Residue::default())
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let back =
                    ical_to_eas(&ics, ItemClass::Calendar, v).unwrap_or_else(|e| panic!("{name} {v}: {e}\n{ics}"));
                let d = &back.application_data;
                let again = eas_to_ical(d, ItemClass::Calendar, v, &back.residue).unwrap();
                let (x, y) = (ical::parse(&ics).unwrap(), ical::parse(&again).unwrap());
                let (x, y) = (item(&x, "VEVENT").unwrap(), item(&y, "VEVENT").unwrap());
                for p in ["DTSTART", "DTEND", "SUMMARY", "RRULE", "LOCATION"] {
                    assert_eq!(x.prop(p), y.prop(p), "{name} {v} {p}\n{ics}\n{again}");
                }
                let timed = leaf(&data, c::ALL_DAY_EVENT).as_deref() != Some("1");
                for tag in [c::START_TIME, c::END_TIME, c::SUBJECT] {
                    if timed || tag == c::SUBJECT {
                        assert_eq!(leaf(d, tag), leaf(&data, tag), "{name} {v} {tag:?}\n{ics}");
                    }
                }
                if let Some(r) = data.find(c::RECURRENCE) {
                    let got = d.find(c::RECURRENCE).unwrap();
                    for tag in [c::TYPE, c::INTERVAL, c::DAY_OF_WEEK, c::OCCURRENCES, c::UNTIL] {
                        assert_eq!(leaf(got, tag), leaf(r, tag), "{name} {v} {tag:?}\n{ics}");
                    }
                }
                seen += 1;
            }
        }
    }
    assert!(seen >= 4, "only {seen} Horde appointments found");
}
