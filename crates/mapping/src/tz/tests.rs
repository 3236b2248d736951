use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn berlin_blob_matches_the_brief_example() {
    let tz = TimeZone::get("Europe/Berlin").unwrap();
    let d = blob_for_zone(&tz, 2026);
    assert!(d.exact);
    let b = d.blob;
    assert_eq!(b.bias, -60);
    assert_eq!(b.daylight_bias, -60);
    assert_eq!(b.standard_name, "W. Europe Standard Time");
    assert_eq!(
        (
            b.standard_date.month,
            b.standard_date.day,
            b.standard_date.day_of_week,
            b.standard_date.hour
        ),
        (10, 5, 0, 3)
    );
    assert_eq!(
        (
            b.daylight_date.month,
            b.daylight_date.day,
            b.daylight_date.day_of_week,
            b.daylight_date.hour
        ),
        (3, 5, 0, 2)
    );
    let back = zone_for_blob(&b, 2026).unwrap();
    assert_eq!(back.iana.as_deref(), Some("Europe/Berlin"));
}

#[test]
fn rome_maps_to_a_zone_with_the_same_offsets() {
    let tz = TimeZone::get("Europe/Rome").unwrap();
    let d = blob_for_zone(&tz, 2024);
    assert!(d.exact);
    let back = zone_for_blob(&d.blob, 2024).unwrap();
    assert!(same_offsets(&back.tz, &tz, 2024));
}

#[test]
fn blob_without_known_name_matches_by_rules() {
    let tz = TimeZone::get("America/New_York").unwrap();
    let mut b = blob_for_zone(&tz, 2025).blob;
    b.standard_name = "Some display name".into();
    b.daylight_name.clear();
    let back = zone_for_blob(&b, 2025).unwrap();
    assert_eq!(back.iana.as_deref(), Some("America/New_York"));
}

#[test]
fn unmatched_blob_stays_a_custom_zone_with_exact_rules() {
    let b = TzBlob {
        bias: -37,
        standard_name: "Odd".into(),
        ..Default::default()
    };
    let z = zone_for_blob(&b, 2024).unwrap();
    assert_eq!(z.iana, None);
    assert_eq!(z.tz.to_offset(ts("2024-05-05T00:00:00Z")).seconds(), 37 * 60);
    let vtz = vtimezone(&z, 2024);
    let again = vtimezone_rules(&vtz, 2024).unwrap();
    assert_eq!(again.rules(), b.rules());
}

#[test]
fn all_zero_blob_is_utc() {
    let z = zone_for_blob(&TzBlob::utc(), 2024).unwrap();
    assert_eq!(z.tzid, "UTC");
}

#[test]
fn outlook_style_vtimezone_resolves() {
    let ics = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:(UTC+01:00) Amsterdam\\, Berlin\r\n\
BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n\
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\n\
TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\n\
END:VTIMEZONE\r\nEND:VCALENDAR\r\n";
    let cal = crate::ical::parse(ics).unwrap();
    let z = resolve_tzid(&cal, "(UTC+01:00) Amsterdam, Berlin", 2024).unwrap();
    let berlin = TimeZone::get("Europe/Berlin").unwrap();
    for y in 2020..=2035 {
        assert!(same_offsets(&z.tz, &berlin, y), "year {y}");
    }
    let blob = blob_for_zone(&z.tz, 2024);
    assert!(blob.exact);
    assert_eq!(blob.blob.standard_name, "W. Europe Standard Time");
}

#[test]
fn vendor_prefixed_and_windows_tzids_resolve() {
    assert_eq!(
        known_zone("/freeassociation.sourceforge.net/Tzfile/Europe/London")
            .unwrap()
            .tzid,
        "Europe/London"
    );
    assert_eq!(known_zone("Eastern Standard Time").unwrap().tzid, "America/New_York");
    assert!(known_zone("Nowhere/Special").is_none());
}

/// For every IANA zone in the database, the blob of each year 2020–2035 maps
/// back to a zone with the same UTC offsets at every instant of that year;
/// zones whose year cannot be expressed as a yearly blob are reported.
#[test]
fn every_zone_round_trips_through_the_blob() {
    let mut not_yearly: Vec<String> = Vec::new();
    let mut wrong: Vec<String> = Vec::new();
    let mut checked = 0;
    for name in jiff::tz::db().available() {
        let name = name.as_str().to_owned();
        if name.starts_with("posix/") || name.starts_with("right/") || name == "Factory" {
            continue;
        }
        let Ok(tz) = TimeZone::get(&name) else { continue };
        for year in 2020..=2035 {
            let d = blob_for_zone(&tz, year);
            if !d.exact {
                not_yearly.push(format!("{name} {year}"));
                continue;
            }
            let back = zone_for_blob(&d.blob, year).unwrap();
            if !same_offsets(&back.tz, &tz, year) {
                wrong.push(format!("{name} {year} -> {}", back.tzid));
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "blobs that map back wrong: {wrong:?}");
    assert!(checked > 5000, "only {checked} zone-years checked");
    // Morocco's Ramadan suspension has four transitions a year.
    assert!(not_yearly.iter().any(|z| z.starts_with("Africa/Casablanca")));
    eprintln!(
        "{} zone-years not expressible as a yearly blob: {not_yearly:?}",
        not_yearly.len()
    );
}
