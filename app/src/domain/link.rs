//! Where the site may send a person back to: a path on this site, never another site. Browsers
//! drop tabs and line breaks from a URL and read `\` as `/`, so `/\t/evil.example` or
//! `/\evil.example` would leave the site: anything with a control character, white space or a
//! backslash is refused, as is anything that does not start with exactly one `/`; and so is
//! anything not in plain ASCII (the site percent-encodes the ways back it writes), such as the
//! zero-width space, which is not white space to Unicode but is invisible to a reader.

/// `raw` if it is a path on this site, else nothing.
pub fn local_path(raw: &str) -> Option<&str> {
    let mut chars = raw.chars();
    // The site writes its own ways back percent-encoded: anything else is not from it.
    let plain = raw.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    (plain && chars.next() == Some('/') && chars.next() != Some('/')).then_some(raw)
}

#[cfg(test)]
mod tests {
    use super::local_path;
    use proptest::prelude::*;

    #[test]
    fn only_paths_on_this_site_pass() {
        for good in [
            "/",
            "/bookings",
            "/resources/3/book?starts=2026-12-01T09:00",
            "/a//b",
        ] {
            assert_eq!(local_path(good), Some(good), "{good}");
        }
        for bad in [
            "",
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "\t//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "evil.example",
            " /x",
            "/\u{0}/evil.example",
            "/\u{a0}/x",
            "/\u{200b}/evil.example",
            "/暗室",
            "javascript:alert(1)",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }

    proptest! {
        /// Whatever passes, a browser resolves on this site: it starts with one slash and
        /// keeps its meaning once the browser drops tabs and line breaks.
        #[test]
        fn nothing_that_passes_leaves_the_site(raw in "\\PC{0,12}|[/\\\\\t\n\r a-z.]{0,12}") {
            if let Some(path) = local_path(&raw) {
                let cleaned: String = path.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
                prop_assert!(cleaned.starts_with('/'));
                prop_assert!(!cleaned.starts_with("//") && !cleaned.starts_with("/\\"));
                prop_assert!(!cleaned.contains('\\'));
            }
        }
    }
}
