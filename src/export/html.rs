//! HTML safety for the web export: one escaper for every piece of user text, a markdown
//! renderer that cannot emit markup the author wrote, and JSON that is safe inside a
//! `<script>` element.
//!
//! Invariants: raw HTML in markdown (blocks and inline) is rendered as escaped text; a link or
//! image keeps its URL only when the scheme is `http`, `https` or `mailto`, or the URL is
//! relative (so no `javascript:`, `data:` or `vbscript:`), otherwise only its text remains.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether a URL from user text may become an `href` or `src`: `http`, `https`, `mailto`, or
/// relative (no scheme). Browsers ignore ASCII whitespace and control characters inside a
/// scheme (`java\tscript:`), so those are removed before the scheme is read.
pub fn is_safe_url(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect();
    let end = cleaned.find([':', '/', '?', '#']);
    match end {
        Some(i) if cleaned[i..].starts_with(':') => {
            let scheme = cleaned[..i].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto")
        }
        _ => true,
    }
}

/// Renders markdown to HTML safely (see the module invariants). Tables, strikethrough and
/// task lists are enabled.
pub fn markdown(src: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TASKLISTS);
    // For each open link or image: whether it was dropped (its end must be dropped too).
    let mut links: Vec<bool> = Vec::new();
    let mut images: Vec<bool> = Vec::new();
    let events = Parser::new_ext(src, opts).filter_map(|ev| match ev {
        Event::Html(s) | Event::InlineHtml(s) => Some(Event::Text(s)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let ok = is_safe_url(&dest_url);
            links.push(!ok);
            ok.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) => {
            let dropped = links.pop().unwrap_or(false);
            (!dropped).then_some(Event::End(TagEnd::Link))
        }
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let ok = is_safe_url(&dest_url);
            images.push(!ok);
            ok.then_some(Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Image) => {
            let dropped = images.pop().unwrap_or(false);
            (!dropped).then_some(Event::End(TagEnd::Image))
        }
        Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock) => None,
        other => Some(other),
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    out
}

/// Serializes data for a `<script type="application/json">` element: `<`, `>` and `&` become
/// `\u003c`, `\u003e`, `\u0026`, so no string can close the element or open a comment.
pub fn script_json<T: serde::Serialize>(v: &T) -> crate::error::Result<String> {
    let s = serde_json::to_string(v)
        .map_err(|e| crate::error::Error::Internal(format!("serializing site data: {e}")))?;
    Ok(s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_characters() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn raw_html_becomes_text() {
        let h = markdown("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(1)> there");
        assert!(!h.contains("<script"), "{h}");
        assert!(!h.contains("<img"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
    }

    #[test]
    fn unsafe_urls_are_dropped() {
        for src in [
            "[x](javascript:alert(1))",
            "[x](JavaScript:alert(1))",
            "[x](java\tscript:alert(1))",
            "<javascript:alert(1)>",
            "![i](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](vbscript:msgbox)",
        ] {
            let h = markdown(src);
            assert!(!h.contains("href"), "{src}: {h}");
            assert!(!h.contains("src="), "{src}: {h}");
        }
        assert!(markdown("[x](https://example.com)").contains("href=\"https://example.com\""));
        assert!(markdown("[x](../a.html)").contains("href=\"../a.html\""));
        assert!(markdown("[x](mailto:a@b.c)").contains("href=\"mailto:a@b.c\""));
    }

    #[test]
    fn script_json_cannot_close_the_element() {
        let s = script_json(&serde_json::json!({"t": "</script><!-- &"})).unwrap();
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["t"], "</script><!-- &");
    }
}
