//! Contacts mapped per second: parse + map + WBXML encode of a vCard 3.0
//! with a 30 KB photo (and the reverse: decode + render with residue).
//!
//! Run: `cargo bench -p mapping --bench contact`

use base64::Engine as _;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use mapping::{eas_to_vcard, vcard_to_eas, ProtocolVersion, VcardVersion};

const V: ProtocolVersion = ProtocolVersion::V16_1;

/// An iPhone-style vCard 3.0 with a 30 KB JPEG-sized photo.
fn contact_with_photo() -> String {
    // Deterministic pseudo-random bytes: a JPEG header, then noise.
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    let mut x: u32 = 0x1234_5678;
    while bytes.len() < 30 * 1024 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push((x & 0xFF) as u8);
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let mut photo = String::from("PHOTO;ENCODING=b;TYPE=JPEG:");
    for (i, c) in b64.chars().enumerate() {
        if i > 0 && i % 72 == 0 {
            photo.push_str("\r\n ");
        }
        photo.push(c);
    }
    format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.0//EN\r\n\
N:Doe;John;Quincy;Dr.;Jr.\r\nFN:John Doe\r\nORG:Acme;Research\r\nTITLE:Engineer\r\n\
EMAIL;type=INTERNET;type=WORK;type=pref:john@acme.example\r\nEMAIL;type=INTERNET;type=HOME:john@home.example\r\n\
TEL;type=CELL;type=VOICE;type=pref:+1 555 0100\r\nTEL;type=HOME;type=VOICE:+1 555 0101\r\n\
TEL;type=WORK;type=VOICE:+1 555 0102\r\nitem1.ADR;type=HOME;type=pref:;;1 Main St;Springfield;IL;62701;USA\r\n\
item1.X-ABADR:us\r\nitem2.X-ABRELATEDNAMES:Jane Doe\r\nitem2.X-ABLabel:_$!<Spouse>!$_\r\n\
BDAY:1980-05-17\r\nNOTE:Met at the conference\\, 2019.\r\nURL:https://acme.example\r\n\
CATEGORIES:Work,VIP\r\n{photo}\r\nUID:5C0A4A0E-1D5B-4E3B-9C1E-3A1F2B3C4D5E\r\nEND:VCARD\r\n"
    )
}

fn bench(c: &mut Criterion) {
    let vcf = contact_with_photo();
    let mut g = c.benchmark_group("contact_with_photo");
    g.throughput(Throughput::Elements(1));
    g.bench_function("vcard_to_eas+wbxml_encode", |b| {
        b.iter(|| {
            let r = vcard_to_eas(black_box(&vcf), V).expect("maps");
            black_box(wbxml::encode(&r.application_data))
        })
    });
    let r = vcard_to_eas(&vcf, V).expect("maps");
    let wire = wbxml::encode(&r.application_data);
    g.bench_function("wbxml_decode+eas_to_vcard", |b| {
        b.iter(|| {
            let data = wbxml::decode(black_box(&wire)).expect("decodes");
            black_box(eas_to_vcard(&data, V, &r.residue, VcardVersion::V3).expect("renders"))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
