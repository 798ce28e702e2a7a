//! How deeply a card's HTML nests, known before it is sanitised, so that a hostile note
//! cannot make rendering quadratic.
//!
//! The sanitiser (ammonia, on html5ever's tree builder) does work proportional to the depth
//! of its stack of open elements for most tags: it looks for an open `<p>` through the stack
//! before every block, and keeps every formatting element (`<b>`, `<i>`, …) that an enclosing
//! end tag closed in a list that it scans and reopens in each new paragraph. A 200 KB answer
//! of nested `>` quotes, nested `<div>`s or unclosed `<b id=…>`s therefore took minutes, for
//! a card nobody could read. Cards nest a handful of levels in real vaults (at most 5 in the
//! reference corpus), so a card deeper than [`MAX_DEPTH`] is refused and reported rather
//! than flattened: a flattened card would silently show something other than the note says.
//! Below the bound every step of the tree builder costs at most `MAX_DEPTH`, so rendering
//! stays linear in the note's size.
//!
//! The depth is counted on the Markdown events that become the HTML: each open container
//! (quote, list, item, emphasis, link, …) is a level, and raw HTML is tokenised with
//! html5ever's tokenizer (linear, and exact about comments, quoted attributes and raw text).
//! The count follows the tree builder only where it certainly closes elements: an end tag
//! closes what it matches unless an element the builder would stop at lies between (a table
//! or a button for a paragraph, any block for a `</span>`); `<li>` closes an open `<li>`, a
//! block an open `<p>`; a formatting element closed by an enclosing end tag keeps counting
//! until its own end tag, since the builder keeps it and reopens it; a block start tag closes
//! the Markdown paragraph it appears in; inside `<svg>` and `<math>`, `<script>` is markup
//! and HTML's breakout tags close the foreign elements; an inline end tag over an open block
//! (the adoption agency) closes nothing. Where HTML's rules are richer still, the count can
//! fall behind the builder's depth, by a fraction and not more: the property test generates
//! hostile mixtures of raw HTML and Markdown and requires every card that passes to nest at
//! most twice the bound (the worst it has found: 104 levels for a count of 91), which keeps
//! every step of the sanitiser bounded.

use std::cell::RefCell;

use html5ever::LocalName;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use pulldown_cmark::{Event, Tag as MdTag, TagEnd};

/// The deepest nesting a card may have: 20 times the deepest card of the reference vault,
/// and far beyond what a card can show (each quote level indents it).
pub const MAX_DEPTH: usize = 100;

/// How the tree builder looks for the element an end tag closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reach {
    /// Formatting and ordinary elements (`</em>`, `</span>`): not past any special element.
    Inline,
    /// `</p>`: not past a scope boundary or a button.
    Paragraph,
    /// `</li>`: not past a scope boundary or a list.
    Item,
    /// Other blocks: not past a scope boundary.
    Block,
}

impl Reach {
    fn of_end_tag(name: &str) -> Reach {
        match name {
            "p" => Reach::Paragraph,
            "li" => Reach::Item,
            n if is_special(n) => Reach::Block,
            _ => Reach::Inline,
        }
    }

    fn of_markdown(tag: &MdTag<'_>) -> Reach {
        match tag {
            MdTag::Paragraph => Reach::Paragraph,
            MdTag::Item => Reach::Item,
            MdTag::Emphasis
            | MdTag::Strong
            | MdTag::Strikethrough
            | MdTag::Superscript
            | MdTag::Subscript
            | MdTag::Link { .. }
            | MdTag::Image { .. } => Reach::Inline,
            _ => Reach::Block,
        }
    }

    /// Whether the search for the element to close stops at an open `name`.
    fn stops_at(self, name: &str) -> bool {
        match self {
            Reach::Inline => is_special(name),
            Reach::Paragraph => is_scope_boundary(name) || name == "button",
            Reach::Item => is_scope_boundary(name) || matches!(name, "ol" | "ul"),
            Reach::Block => is_scope_boundary(name),
        }
    }
}

/// One open level.
#[derive(Debug)]
enum Open {
    /// A Markdown container; its end closes the raw HTML it holds, within `Reach`.
    Markdown(Reach),
    /// An element of raw HTML.
    Element(LocalName),
}

#[derive(Debug, Default)]
struct Depth {
    stack: Vec<Open>,
    /// For each level of `stack`: an element of `<svg>` or `<math>` content (its own
    /// namespace: `<x/>` is empty, as in XML, and `<script>` is no raw text).
    foreign: Vec<bool>,
    too_deep: bool,
}

impl Depth {
    fn push(&mut self, open: Open) {
        let foreign = match &open {
            Open::Element(name) => is_foreign(name) || self.in_foreign(),
            Open::Markdown(_) => false,
        };
        self.stack.push(open);
        self.foreign.push(foreign);
        if self.stack.len() > MAX_DEPTH {
            self.too_deep = true;
        }
    }

    /// Whether the current node is `<svg>` or `<math>` content (not one of their points
    /// where HTML content resumes).
    fn in_foreign(&self) -> bool {
        match (self.stack.last(), self.foreign.last()) {
            (Some(Open::Element(name)), Some(true)) => !is_integration_point(name),
            _ => false,
        }
    }

    /// A tag that breaks out of `<svg>` or `<math>` content: the tree builder closes the
    /// foreign elements up to the nearest HTML one first.
    fn break_out(&mut self) {
        let kept = self.foreign.iter().rposition(|f| !f).map_or(0, |i| i + 1);
        self.stack.truncate(kept);
        self.foreign.truncate(kept);
    }

    /// Close the levels from `at` up. Formatting elements among them, other than the one at
    /// `at`, stay counted: the tree builder keeps them and reopens them.
    fn close_from(&mut self, at: usize) {
        let closed: Vec<Open> = self.stack.drain(at..).collect();
        self.foreign.truncate(at);
        for (i, open) in closed.into_iter().enumerate() {
            if let Open::Element(name) = open
                && i > 0
                && is_formatting(&name)
            {
                self.push(Open::Element(name));
            }
        }
    }

    /// The position of the innermost raw element `matches` accepts, searched from the top
    /// down to the innermost Markdown container and not past an element `reach` stops at.
    fn find(&self, reach: Reach, matches: impl Fn(&Open) -> bool) -> Option<usize> {
        for (i, open) in self.stack.iter().enumerate().rev() {
            if matches(open) {
                return Some(i);
            }
            match open {
                Open::Markdown(_) => return None,
                Open::Element(name) if reach.stops_at(name) => return None,
                Open::Element(_) => {}
            }
        }
        None
    }

    fn markdown_start(&mut self, tag: &MdTag<'_>) {
        // What Markdown writes (`<p>`, `<em>`, `<ul>`, …) breaks out of `<svg>` content, but
        // for a link.
        if self.in_foreign() && !matches!(tag, MdTag::Link { .. }) {
            self.break_out();
        }
        self.push(Open::Markdown(Reach::of_markdown(tag)));
    }

    /// A Markdown container ends: so does the raw HTML still open inside it, unless the tree
    /// builder would not reach past it (then nothing closes). A paragraph that raw HTML
    /// already closed (a block start tag closes an open `<p>`) closes nothing: its `</p>`
    /// finds no paragraph, and what the HTML opened stays open.
    fn markdown_end(&mut self, paragraph: bool) {
        let innermost = self
            .stack
            .iter()
            .rposition(|o| matches!(o, Open::Markdown(_)));
        let Some(Open::Markdown(reach)) = innermost.and_then(|i| self.stack.get(i)) else {
            return;
        };
        if paragraph && *reach != Reach::Paragraph {
            return;
        }
        // An inline end tag (`</em>`, `</a>`) over an open non-formatting element runs the
        // tree builder's adoption agency, which moves that element under a copy of the
        // formatting one instead of closing it: nothing is taken as closed.
        if *reach == Reach::Inline
            && let Some(at) = innermost
            && self.stack[at + 1..]
                .iter()
                .any(|o| matches!(o, Open::Element(n) if !is_formatting(n)))
        {
            return;
        }
        if let Some(at) = self.find(*reach, |o| matches!(o, Open::Markdown(_))) {
            self.close_from(at);
        }
    }

    fn start_tag(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name = &*tag.name;
        if self.in_foreign() && breaks_out(tag) {
            self.break_out();
        }
        if is_void(name) || (tag.self_closing && self.in_foreign()) {
            return TokenSinkResult::Continue;
        }
        let closes = implied_ends(name);
        while let Some(Open::Element(top)) = self.stack.last()
            && closes.contains(&&**top)
        {
            let top = self.stack.len() - 1;
            self.close_from(top);
        }
        // A block closes the Markdown paragraph it starts in, and what is open inside it.
        if closes.contains(&"p")
            && let Some(at) = self.find(Reach::Paragraph, |o| {
                matches!(o, Open::Markdown(Reach::Paragraph))
            })
        {
            self.close_from(at);
        }
        // Table rows and cells outside their sections get the missing ones inserted.
        let top = match self.stack.last() {
            Some(Open::Element(top)) => &**top,
            _ => "",
        };
        let inserted: &[&str] = match (name, top) {
            ("tr", "table") => &["tbody"],
            ("td" | "th", "table") => &["tbody", "tr"],
            ("td" | "th", "tbody" | "thead" | "tfoot") => &["tr"],
            _ => &[],
        };
        for section in inserted {
            self.push(Open::Element(LocalName::from(*section)));
        }
        self.push(Open::Element(tag.name.clone()));
        // Inside `<svg>` and `<math>`, `<script>`, `<style>` and `<title>` are ordinary
        // elements: what follows them is still markup (and counted).
        if self.foreign.last() == Some(&true) {
            return TokenSinkResult::Continue;
        }
        // The tokenizer needs to be told where markup stops being markup.
        match name {
            "script" => TokenSinkResult::RawData(RawKind::ScriptData),
            "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                TokenSinkResult::RawData(RawKind::Rawtext)
            }
            "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
            "plaintext" => TokenSinkResult::Plaintext,
            _ => TokenSinkResult::Continue,
        }
    }

    fn end_tag(&mut self, tag: &Tag) {
        let reach = Reach::of_end_tag(&tag.name);
        if let Some(at) = self.find(reach, |o| matches!(o, Open::Element(n) if *n == tag.name)) {
            self.close_from(at);
        }
    }
}

fn is_formatting(name: &str) -> bool {
    matches!(
        name,
        "a" | "b"
            | "big"
            | "code"
            | "em"
            | "font"
            | "i"
            | "nobr"
            | "s"
            | "small"
            | "strike"
            | "strong"
            | "tt"
            | "u"
    )
}

fn is_foreign(name: &str) -> bool {
    matches!(name, "svg" | "math")
}

/// The elements of `<svg>` and `<math>` content inside which HTML content resumes.
fn is_integration_point(name: &str) -> bool {
    matches!(
        name,
        "foreignobject" | "desc" | "title" | "annotation-xml" | "mi" | "mo" | "mn" | "ms" | "mtext"
    )
}

/// The start tags that end `<svg>` or `<math>` content (HTML's "breakout" tags).
fn breaks_out(tag: &Tag) -> bool {
    let name = &*tag.name;
    matches!(
        name,
        "b" | "big"
            | "blockquote"
            | "body"
            | "br"
            | "center"
            | "code"
            | "dd"
            | "div"
            | "dl"
            | "dt"
            | "em"
            | "embed"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "head"
            | "hr"
            | "i"
            | "img"
            | "li"
            | "listing"
            | "menu"
            | "meta"
            | "nobr"
            | "ol"
            | "p"
            | "pre"
            | "ruby"
            | "s"
            | "small"
            | "span"
            | "strong"
            | "strike"
            | "sub"
            | "sup"
            | "table"
            | "tt"
            | "u"
            | "ul"
            | "var"
    ) || (name == "font"
        && tag
            .attrs
            .iter()
            .any(|a| matches!(&*a.name.local, "color" | "face" | "size")))
}

/// Elements without content, and those the tree builder never nests in a fragment.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "col"
            | "embed"
            | "frame"
            | "hr"
            | "image"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
            | "html"
            | "head"
            | "body"
            | "frameset"
    )
}

/// Where the tree builder stops looking for an element "in scope" (plus `<svg>` and
/// `<math>`, whose content follows other rules).
fn is_scope_boundary(name: &str) -> bool {
    matches!(
        name,
        "applet"
            | "caption"
            | "html"
            | "table"
            | "td"
            | "th"
            | "marquee"
            | "object"
            | "template"
            | "mi"
            | "mo"
            | "mn"
            | "ms"
            | "mtext"
            | "annotation-xml"
            | "foreignobject"
            | "desc"
            | "title"
            | "svg"
            | "math"
    )
}

/// HTML's "special" elements: an ordinary end tag (`</span>`) never closes past them.
fn is_special(name: &str) -> bool {
    is_scope_boundary(name)
        || matches!(
            name,
            "address"
                | "area"
                | "article"
                | "aside"
                | "base"
                | "basefont"
                | "bgsound"
                | "blockquote"
                | "body"
                | "br"
                | "button"
                | "center"
                | "col"
                | "colgroup"
                | "dd"
                | "details"
                | "dir"
                | "div"
                | "dl"
                | "dt"
                | "embed"
                | "fieldset"
                | "figcaption"
                | "figure"
                | "footer"
                | "form"
                | "frame"
                | "frameset"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "head"
                | "header"
                | "hgroup"
                | "hr"
                | "iframe"
                | "img"
                | "input"
                | "keygen"
                | "li"
                | "link"
                | "listing"
                | "main"
                | "menu"
                | "meta"
                | "nav"
                | "noembed"
                | "noframes"
                | "noscript"
                | "ol"
                | "p"
                | "param"
                | "plaintext"
                | "pre"
                | "script"
                | "search"
                | "section"
                | "select"
                | "source"
                | "style"
                | "summary"
                | "tbody"
                | "textarea"
                | "tfoot"
                | "thead"
                | "tr"
                | "track"
                | "ul"
                | "wbr"
                | "xmp"
        )
}

/// The open elements a start tag closes when they are the current element (HTML's implied
/// end tags, for the elements whose end tag may be left out).
fn implied_ends(name: &str) -> &'static [&'static str] {
    match name {
        "li" => &["li", "p"],
        "dt" | "dd" => &["dt", "dd", "p"],
        "option" => &["option"],
        "optgroup" => &["option", "optgroup"],
        "tr" => &["td", "th", "tr"],
        "td" | "th" => &["td", "th"],
        "thead" | "tbody" | "tfoot" => &["td", "th", "tr", "thead", "tbody", "tfoot"],
        "rb" | "rt" | "rtc" | "rp" => &["rb", "rt", "rtc", "rp"],
        "address" | "article" | "aside" | "blockquote" | "center" | "details" | "dialog"
        | "dir" | "div" | "dl" | "fieldset" | "figcaption" | "figure" | "footer" | "form"
        | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "header" | "hgroup" | "listing" | "main"
        | "menu" | "nav" | "ol" | "p" | "pre" | "search" | "section" | "summary" | "table"
        | "ul" => &["p"],
        _ => &[],
    }
}

struct Sink(RefCell<Depth>);

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut depth = self.0.borrow_mut();
        if depth.too_deep {
            return TokenSinkResult::Continue;
        }
        match token {
            Token::TagToken(tag) => match tag.kind {
                TagKind::StartTag => depth.start_tag(&tag),
                TagKind::EndTag => {
                    depth.end_tag(&tag);
                    TokenSinkResult::Continue
                }
            },
            _ => TokenSinkResult::Continue,
        }
    }
}

/// Follows a card's Markdown events and says whether its HTML nests deeper than
/// [`MAX_DEPTH`]. Once it does, it stops counting.
pub struct Nesting {
    html: Tokenizer<Sink>,
    /// Raw HTML not yet tokenised: a tag may be cut between two events.
    pending: BufferQueue,
}

impl Default for Nesting {
    fn default() -> Self {
        Nesting {
            html: Tokenizer::new(Sink(RefCell::default()), TokenizerOpts::default()),
            pending: BufferQueue::default(),
        }
    }
}

impl Nesting {
    /// Count one event.
    pub fn see(&mut self, event: &Event<'_>) {
        if self.too_deep() {
            return;
        }
        match event {
            // An HTML block is no element: what it opens stays open after it.
            Event::Start(MdTag::HtmlBlock | MdTag::MetadataBlock(_))
            | Event::End(TagEnd::HtmlBlock | TagEnd::MetadataBlock(_)) => {}
            Event::Start(tag) => self.html.sink.0.borrow_mut().markdown_start(tag),
            Event::End(end) => self
                .html
                .sink
                .0
                .borrow_mut()
                .markdown_end(matches!(end, TagEnd::Paragraph)),
            Event::Html(raw) | Event::InlineHtml(raw) => {
                self.pending.push_back(StrTendril::from_slice(raw));
                let _ = self.html.feed(&self.pending);
            }
            _ => {}
        }
    }

    /// Whether the events seen so far nest deeper than [`MAX_DEPTH`].
    pub fn too_deep(&self) -> bool {
        self.html.sink.0.borrow().too_deep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn deep(md: &str) -> bool {
        let mut n = Nesting::default();
        for e in pulldown_cmark::Parser::new_ext(md, crate::vault::markdown::options()) {
            n.see(&e);
        }
        n.too_deep()
    }

    #[test]
    fn real_nesting_passes() {
        let md = "> quote\n> - item\n>   > inner **bold _and_ [link](x)**\n\n<details><summary>s</summary>\n\n| a |\n|---|\n| `c` |\n\n</details>\n\nList<T> and Map<K, V>.\n";
        assert!(!deep(md));
    }

    #[test]
    fn markdown_depth_is_counted() {
        // The paragraph inside the quotes is one more level.
        assert!(!deep(&format!("{}x", ">".repeat(MAX_DEPTH - 1))));
        assert!(deep(&format!("{}x", ">".repeat(MAX_DEPTH))));
        assert!(deep(&format!("{}x", "- ".repeat(MAX_DEPTH))));
    }

    #[test]
    fn raw_html_depth_is_counted_across_events() {
        let n = MAX_DEPTH + 1;
        assert!(deep(&"<div>".repeat(n)));
        assert!(deep(&"<span>".repeat(n)));
        // Each `<div>` is an HTML block of its own, and stays open after it.
        assert!(deep(&"<div>\n\n".repeat(n)));
        // A tag cut across two HTML events is still one tag.
        assert!(deep(&"<div\nclass=x>\n".repeat(n)));
        // Closed elements, void elements, self-closing foreign elements and comments do not
        // nest.
        assert!(!deep(&"<div><br><img src=x></div>\n".repeat(n)));
        assert!(!deep(&format!(
            "<svg>{}</svg>",
            "<path d=\"x\"/>".repeat(n)
        )));
        assert!(!deep(&format!("<!-- {} -->", "<div>".repeat(n))));
        assert!(!deep(&format!("<script>{}</script>", "<div>".repeat(n))));
    }

    #[test]
    fn end_tags_close_only_what_the_tree_builder_closes() {
        let n = MAX_DEPTH + 1;
        // `</span>` does not close past a `<div>`; `</p>` not past a `<button>`.
        assert!(deep(&"<span><div></span>".repeat(n)));
        assert!(deep(&"x <button>\n\n".repeat(n)));
        assert!(!deep(&"<span><b></b></span>".repeat(n)));
    }

    #[test]
    fn implied_end_tags_do_not_nest() {
        let n = MAX_DEPTH + 1;
        assert!(!deep(&format!("<ul>{}</ul>", "<li>x".repeat(n))));
        assert!(!deep(&format!(
            "<table>{}</table>",
            "<tr><td>a<td>b".repeat(n)
        )));
        assert!(!deep(&format!("<div>{}</div>", "<p>x".repeat(n))));
    }

    #[test]
    fn reopened_formatting_elements_are_counted() {
        // Each `</p>` closes the `<b>`, which the tree builder keeps and reopens.
        let md: String = (0..=MAX_DEPTH)
            .map(|i| format!("<p><b id={i}>x</p>"))
            .collect();
        assert!(deep(&md));
        // Closed by their own end tags, they are gone.
        let md: String = (0..=MAX_DEPTH)
            .map(|i| format!("<p><b id={i}>x</b></p>"))
            .collect();
        assert!(!deep(&md));
    }

    /// The deepest element of the tree html5ever builds for `html`: parsed as the sanitiser
    /// parses it, kept whole (every element of the pieces below is allowed), and measured on
    /// its serialisation, where every element is closed.
    fn tree_depth(html: &str) -> usize {
        struct Deepest(RefCell<(usize, usize)>);
        impl TokenSink for Deepest {
            type Handle = ();
            fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
                let mut d = self.0.borrow_mut();
                if let Token::TagToken(tag) = token
                    && !is_void(&tag.name)
                {
                    match tag.kind {
                        TagKind::StartTag => {
                            d.0 += 1;
                            d.1 = d.1.max(d.0);
                        }
                        TagKind::EndTag => d.0 = d.0.saturating_sub(1),
                    }
                }
                TokenSinkResult::Continue
            }
        }
        let kept = ammonia::Builder::empty()
            .add_tags(&[
                "div",
                "p",
                "span",
                "b",
                "i",
                "a",
                "em",
                "strong",
                "ul",
                "ol",
                "li",
                "table",
                "thead",
                "tbody",
                "tfoot",
                "tr",
                "td",
                "th",
                "button",
                "blockquote",
                "svg",
                "path",
                "nobr",
                "font",
                "h1",
                "dd",
                "dt",
                "dl",
                "select",
                "option",
                "textarea",
                "object",
                "marquee",
                "center",
                "s",
                "u",
                "code",
                "pre",
                "t",
                "del",
                "sup",
            ])
            .clean(html)
            .to_string();
        let tokenizer = Tokenizer::new(Deepest(RefCell::default()), TokenizerOpts::default());
        let input = BufferQueue::default();
        input.push_back(StrTendril::from_slice(&kept));
        let _ = tokenizer.feed(&input);
        tokenizer.sink.0.borrow().1
    }

    const PIECES: &[&str] = &[
        "x",
        " ",
        "\n",
        "\n\n",
        "> ",
        "- ",
        "1. ",
        "*",
        "**",
        "_",
        "`",
        "[a](b)",
        "| a |\n|---|\n| b |\n",
        "```\n",
        "<div>",
        "</div>",
        "<p>",
        "</p>",
        "<span>",
        "</span>",
        "<b>",
        "</b>",
        "<b id=1>",
        "<i>",
        "</i>",
        "<a href=x>",
        "</a>",
        "<em>",
        "</em>",
        "<ul>",
        "</ul>",
        "<li>",
        "</li>",
        "<table>",
        "</table>",
        "<tr>",
        "<td>",
        "</td>",
        "<button>",
        "</button>",
        "<blockquote>",
        "</blockquote>",
        "<svg>",
        "</svg>",
        "<path/>",
        "<br>",
        "<!--",
        "-->",
        "<script>",
        "</script>",
        "<T>",
        "<nobr>",
        "<font color=r>",
        "<h1>",
        "</h1>",
        "<dd>",
        "<select>",
        "<option>",
        "<textarea>",
        "</textarea>",
        "<object>",
        "</object>",
        "<marquee>",
        "<center>",
        "<s>",
        "</s>",
        "<u>",
        "<code>",
        "</code>",
        "<b id=2>",
        "<b id=3>",
        "<i id=4>",
        "<u id=5>",
        "<em id=6>",
        "<s id=7>",
        "<a id=8>",
        "<p><b id=9>x</p>",
        "<p><i id=10>x</p>",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Whatever passes the bound, html5ever builds no deeper than twice the bound: the
        /// count follows the tree builder closely, not exactly (see the module doc), and
        /// what it must guarantee is that every step of the sanitiser stays bounded.
        #[test]
        fn passing_cards_are_no_deeper_than_the_bound(
            picks in proptest::collection::vec(0..PIECES.len(), 0..600),
            repeat in 1usize..4,
        ) {
            let md: String = picks.iter().map(|i| PIECES[*i]).collect::<String>().repeat(repeat);
            let mut nesting = Nesting::default();
            let events = pulldown_cmark::Parser::new_ext(&md, crate::vault::markdown::options())
                .inspect(|e| nesting.see(e));
            let mut raw = String::new();
            pulldown_cmark::html::push_html(&mut raw, events);
            if !nesting.too_deep() {
                let depth = tree_depth(&raw);
                prop_assert!(depth <= 2 * MAX_DEPTH, "{depth} levels from {md:?}");
            }
        }
    }
}
