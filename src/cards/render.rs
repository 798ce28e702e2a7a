//! Markdown → card HTML, deterministic and sanitised.
//!
//! Notes are rendered with pulldown-cmark (tables, fenced code with `language-…` classes,
//! footnotes, task lists), with three adjustments for Anki: math is emitted with MathJax's
//! `\(…\)` and `\[…\]` delimiters, which Anki renders; wikilinks become their label (or an
//! `obsidian://open` link when configured), since a `[[link]]` means nothing inside Anki;
//! images and embeds point at the file's bare name, which is how Anki's media folder
//! addresses files, and are collected so the caller can ship them. The result goes through
//! ammonia: whatever a note contains, no `<script>`, no event-handler attribute and no
//! `javascript:` URL reaches Anki's webview. The same Markdown always gives the same bytes.
//!
//! Markdown that would nest deeper than [`nesting::MAX_DEPTH`] levels is not rendered at all
//! ([`TooDeep`]): sanitising it would cost time quadratic in its size, and the caller
//! reports the card instead of pushing a truncated one.

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{CowStr, Event, LinkType, Parser, Tag, TagEnd};

use super::nesting::{self, Nesting};
use crate::vault::markdown;

/// How to render links.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// `Some(vault name)`: wikilinks become `obsidian://open?vault=…&file=…` links.
    pub obsidian_vault: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Html {
    pub html: String,
    /// Media the HTML refers to, as written in the note (`diagram.png`, `img/a.png`).
    pub media: Vec<String>,
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static CLEAN: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEAN.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.add_tag_attributes("code", &["class"])
            .add_tag_attributes("pre", &["class"])
            .add_tag_attributes("span", &["class"])
            .add_tag_attributes("div", &["class"])
            .add_tag_attributes("input", &["type", "checked", "disabled"])
            .add_tags(&["input"])
            .url_schemes(HashSet::from(["http", "https", "mailto", "obsidian"]));
        b
    })
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A card side that is not rendered because its HTML would nest deeper than
/// [`nesting::MAX_DEPTH`] levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooDeep;

impl std::fmt::Display for TooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "nests more than {} levels deep (quotes, lists or HTML elements)",
            nesting::MAX_DEPTH
        )
    }
}

/// The media a card refers to, in order of first reference.
#[derive(Default)]
struct Media {
    seen: HashSet<String>,
    list: Vec<String>,
}

impl Media {
    fn add(&mut self, name: &str) {
        if self.seen.insert(name.to_string()) {
            self.list.push(name.to_string());
        }
    }
}

/// Render `md` to sanitised HTML, unless it nests too deeply to be sanitised in linear time
/// (see [`nesting`]).
pub fn render(md: &str, opts: &RenderOptions) -> Result<Html, TooDeep> {
    let mut media = Media::default();
    // For each open link: whether it was a wikilink rendered as plain text (its end tag is
    // dropped too).
    let mut open_links: Vec<bool> = Vec::new();
    let mut depth = Nesting::default();
    let events = Parser::new_ext(md, markdown::options())
        .filter_map(|event| for_anki(event, opts, &mut open_links, &mut media))
        .inspect(|event| depth.see(event));
    let mut raw = String::new();
    pulldown_cmark::html::push_html(&mut raw, events);
    if depth.too_deep() {
        return Err(TooDeep);
    }
    let html = sanitizer().clean(&raw).to_string();
    Ok(Html {
        html: html.trim().to_string(),
        media: media.list,
    })
}

/// One Markdown event as Anki needs it: math with MathJax delimiters, wikilinks as labels
/// or Obsidian links, images by bare file name (collected in `media`).
fn for_anki<'a>(
    event: Event<'a>,
    opts: &RenderOptions,
    open_links: &mut Vec<bool>,
    media: &mut Media,
) -> Option<Event<'a>> {
    match event {
        Event::InlineMath(t) => Some(Event::Text(CowStr::from(format!("\\({t}\\)")))),
        Event::DisplayMath(t) => Some(Event::Text(CowStr::from(format!("\\[{t}\\]")))),
        Event::Start(Tag::Link {
            link_type: LinkType::WikiLink { .. },
            dest_url,
            title,
            id,
        }) => match &opts.obsidian_vault {
            Some(vault) => {
                open_links.push(false);
                let file = dest_url.split('#').next().unwrap_or(&dest_url);
                Some(Event::Start(Tag::Link {
                    link_type: LinkType::Inline,
                    dest_url: CowStr::from(super::obsidian_url(vault, file)),
                    title,
                    id,
                }))
            }
            None => {
                open_links.push(true);
                None
            }
        },
        Event::Start(link @ Tag::Link { .. }) => {
            open_links.push(false);
            Some(Event::Start(link))
        }
        Event::End(TagEnd::Link) => match open_links.pop() {
            Some(true) => None,
            _ => Some(Event::End(TagEnd::Link)),
        },
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let dest = dest_url.split('#').next().unwrap_or(&dest_url).to_string();
            let external = dest.contains("://");
            if !external {
                media.add(&dest);
            }
            let src = if external {
                dest
            } else {
                basename(&dest).to_string()
            };
            Some(Event::Start(Tag::Image {
                link_type: if matches!(link_type, LinkType::WikiLink { .. }) {
                    LinkType::Inline
                } else {
                    link_type
                },
                dest_url: CowStr::from(src),
                title,
                id,
            }))
        }
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(md: &str) -> String {
        render(md, &RenderOptions::default()).expect("renders").html
    }

    #[test]
    fn tables_code_and_math() {
        let out = html(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n```kotlin\nval x = 1\n```\n\n$O(1)$ and $$x^2$$\n",
        );
        assert!(
            out.contains("<table>") && out.contains("<td>2</td>"),
            "{out}"
        );
        assert!(out.contains(r#"<code class="language-kotlin">"#), "{out}");
        assert!(
            out.contains(r"\(O(1)\)") && out.contains(r"\[x^2\]"),
            "{out}"
        );
    }

    #[test]
    fn wikilinks_become_labels_or_obsidian_links() {
        assert_eq!(
            html("See [[c-hilt|Hilt]] and [[c-dagger]]."),
            "<p>See Hilt and c-dagger.</p>"
        );
        let linked = render(
            "See [[c-hilt|Hilt]].",
            &RenderOptions {
                obsidian_vault: Some("My Vault".into()),
            },
        )
        .expect("renders");
        assert!(
            linked
                .html
                .contains(r#"href="obsidian://open?vault=My%20Vault&amp;file=c-hilt""#),
            "{}",
            linked.html
        );
    }

    #[test]
    fn media_are_collected_and_flattened() {
        let out = render(
            "![[diagram.png]] ![alt](img/a.png) ![x](https://e.org/b.png)",
            &RenderOptions::default(),
        )
        .expect("renders");
        assert_eq!(
            out.media,
            vec!["diagram.png".to_string(), "img/a.png".to_string()]
        );
        assert!(out.html.contains(r#"src="a.png""#), "{}", out.html);
        assert!(
            out.html.contains(r#"src="https://e.org/b.png""#),
            "{}",
            out.html
        );
    }

    #[test]
    fn hostile_html_is_neutralised() {
        let md = "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n\n<a href=\"JaVaScRiPt:alert(1)\">y</a> <div onclick=\"e()\" style=\"x\">z</div>\n\n<iframe src=\"https://e.org\"></iframe>";
        let out = html(md).to_lowercase();
        for bad in [
            "<script",
            "onerror",
            "onclick",
            "javascript:",
            "<iframe",
            "style=",
        ] {
            assert!(!out.contains(bad), "`{bad}` survived: {out}");
        }
    }

    #[test]
    fn deterministic() {
        let md = "# T\n\n| a |\n|---|\n| [[x|y]] |\n";
        assert_eq!(html(md), html(md));
    }
}
