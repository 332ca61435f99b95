//! HTML safety for the web export: one escaper for every piece of user text, a markdown
//! renderer that cannot emit markup the author wrote, and JSON that is safe inside a
//! `<script>` element.
//!
//! Invariants: raw HTML in markdown (blocks and inline) is rendered as escaped text; a link or
//! image keeps its URL only when the scheme is `http`, `https` or `mailto`, or the URL is
//! relative (so no `javascript:`, `data:` or `vbscript:`), otherwise only its text remains.
//!
//! Markup is an [`Html`]: made only by escaping text ([`Html::text`]), rendering markdown
//! ([`markdown`]), serializing script data ([`script_json`]) or filling a template literal
//! written in this crate with other `Html` ([`html!`](crate::html)), so text that was not
//! escaped cannot reach a page without a type error.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Markup that is safe to write into a page (see the module docs for how one is made).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Html(String);

impl Html {
    /// User text, escaped.
    pub fn text(s: &str) -> Html {
        Html(escape_html(s))
    }

    /// Nothing.
    pub fn empty() -> Html {
        Html(String::new())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends more markup.
    pub fn push(&mut self, h: Html) {
        self.0.push_str(&h.0);
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl FromIterator<Html> for Html {
    fn from_iter<I: IntoIterator<Item = Html>>(iter: I) -> Self {
        let mut out = Html::empty();
        for h in iter {
            out.push(h);
        }
        out
    }
}

/// Fills a template literal with [`Html`] arguments: `html!("<b>{}</b>", Html::text(name))`.
/// `{}` takes the next argument, `{N}` argument N (to use one twice); `{{` and `}}` are braces.
/// Every argument must be an `Html` (plain strings do not compile), and nothing else is
/// interpolated (no variable is captured from the template), so everything in the result was
/// escaped or rendered safely.
#[macro_export]
macro_rules! html {
    ($fmt:literal $(, $val:expr)* $(,)?) => {
        $crate::export::html::Html::fill($fmt, &[$(&$val),*])
    };
}

impl Html {
    /// Fills `template` (a literal written in this crate) with `args`; see [`html!`](crate::html).
    /// A placeholder without its argument is left empty (a bug in the template, caught by the
    /// tests of the page that uses it).
    pub fn fill(template: &'static str, args: &[&Html]) -> Html {
        let mut out =
            String::with_capacity(template.len() + args.iter().map(|a| a.0.len()).sum::<usize>());
        let mut next = 0;
        let mut rest = template;
        while let Some(k) = rest.find(['{', '}']) {
            out.push_str(&rest[..k]);
            let tail = &rest[k..];
            if tail.starts_with("{{") || tail.starts_with("}}") {
                out.push_str(&tail[..1]);
                rest = &tail[2..];
            } else if let Some(end) = tail.strip_prefix('{').and_then(|t| t.find('}')) {
                let spec = &tail[1..1 + end];
                let index = if spec.is_empty() {
                    next += 1;
                    next - 1
                } else {
                    spec.parse().unwrap_or(usize::MAX)
                };
                if let Some(a) = args.get(index) {
                    out.push_str(&a.0);
                }
                rest = &tail[2 + end..];
            } else {
                out.push_str(&tail[..1]);
                rest = &tail[1..];
            }
        }
        out.push_str(rest);
        Html(out)
    }
}

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
pub fn markdown(src: &str) -> Html {
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
    Html(out)
}

/// Serializes data for a `<script type="application/json">` element: `<`, `>` and `&` become
/// `\u003c`, `\u003e`, `\u0026`, so no string can close the element or open a comment.
pub fn script_json<T: serde::Serialize>(v: &T) -> crate::error::Result<Html> {
    let s = serde_json::to_string(v)
        .map_err(|e| crate::error::Error::Internal(format!("serializing site data: {e}")))?;
    Ok(Html(
        s.replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026"),
    ))
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
        let h = markdown("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(1)> there")
            .into_string();
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
            let h = markdown(src).into_string();
            assert!(!h.contains("href"), "{src}: {h}");
            assert!(!h.contains("src="), "{src}: {h}");
        }
        let md = |s: &str| markdown(s).into_string();
        assert!(md("[x](https://example.com)").contains("href=\"https://example.com\""));
        assert!(md("[x](../a.html)").contains("href=\"../a.html\""));
        assert!(md("[x](mailto:a@b.c)").contains("href=\"mailto:a@b.c\""));
    }

    #[test]
    fn templates_take_only_escaped_markup() {
        let name = "<b>&";
        let h = crate::html!("<p class=\"x\">{}</p>", Html::text(name));
        assert_eq!(h.as_str(), "<p class=\"x\">&lt;b&gt;&amp;</p>");
        let twice = crate::html!("<i>{0}{1}{0}</i>", Html::text("'"), Html::text("-"));
        assert_eq!(twice.as_str(), "<i>&#39;-&#39;</i>");
        let x = "<captured>";
        let literal = crate::html!("{x} {{}}");
        assert_eq!(literal.as_str(), " {}", "no variable is captured: {x}");
        let joined: Html = ["a", "<"].iter().map(|s| Html::text(s)).collect();
        assert_eq!(joined.as_str(), "a&lt;");
    }

    #[test]
    fn script_json_cannot_close_the_element() {
        let s = script_json(&serde_json::json!({"t": "</script><!-- &"}))
            .unwrap()
            .into_string();
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["t"], "</script><!-- &");
    }
}
