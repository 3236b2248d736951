//! Prints the tree `from_xml` makes of XML files, re-rendered with `to_xml`.
//! Usage: `cargo run -p wbxml --example xml2tree -- FILE.xml...`

fn main() {
    for path in std::env::args().skip(1) {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        match wbxml::from_xml(&text) {
            Ok(el) => println!("== {path}\n{}", wbxml::to_xml(&el)),
            Err(e) => println!("== {path}: error: {e}"),
        }
    }
}
