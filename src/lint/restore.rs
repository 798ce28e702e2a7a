//! Restoring lost front-matter keys from an earlier version of the note
//! (`check --fix --unsafe-fixes --restore-from-git`).
//!
//! The keys the earlier version had and the note lacks are inserted at the start of its
//! front matter, each as it was written then (its lines, in their order, in the note's own
//! line endings). Every key the note has now is kept as it is — above all `anki_cards`,
//! which a sync wrote after that version — and so is the body. The fix is unsafe: the old
//! values may be out of date, which only the user can judge; it is offered on the finding
//! that says the metadata is missing (FM009, or SCH001 for missing required keys) and
//! proven like every other fix.

use super::diagnostic::{Diagnostic, Edit, Fix};
use crate::vault::history::Version;
use crate::vault::note::Note;
use crate::vault::yaml::{entry_lines, key_text};

/// The finding a restore is offered on: the note's FM009, else its SCH001 for missing
/// required keys. `None` when the note has neither.
pub fn target(diagnostics: &[&Diagnostic]) -> Option<usize> {
    diagnostics
        .iter()
        .position(|d| d.code == "FM009")
        .or_else(|| {
            diagnostics
                .iter()
                .position(|d| d.code == "SCH001" && d.message.starts_with("missing required key"))
        })
}

/// The fix that brings back the keys of `old` that `note` lacks; `None` when there are none
/// or the note has no readable front matter to put them in.
pub fn fix(note: &Note, old: &Version) -> Option<Fix> {
    let block = note.split.block.as_ref()?;
    let root = note.front_matter()?.root.as_ref()?;
    let has: Vec<String> = root.entries().iter().map(|(k, _)| key_text(k)).collect();
    let then = Note::from_text_meta(String::new(), old.text.clone(), None);
    let then_block = then.split.block.as_ref()?;
    let then_root = then.front_matter()?.root.as_ref()?;
    let eol = note.split.eol.as_str();
    let mut text = String::new();
    let mut keys = Vec::new();
    for (k, _) in then_root.entries() {
        let key = key_text(k);
        if has.contains(&key) || keys.contains(&key) {
            continue;
        }
        let lines = entry_lines(&old.text, k.span.start, then_block.yaml.end)?;
        for line in old.text[lines].lines() {
            text.push_str(line.trim_end_matches('\r'));
            text.push_str(eol);
        }
        keys.push(key);
    }
    if keys.is_empty() {
        return None;
    }
    let named: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    Some(Fix::unsafe_(
        format!(
            "restore {} from commit {} ({}, `{}`)",
            crate::lint::diagnostic::listing(named.into_iter()),
            old.commit,
            old.date,
            old.path
        ),
        vec![Edit::insert(block.yaml.start, text)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_keys_come_back_before_the_kept_ones_in_the_note_s_line_ends() {
        let now = "---\r\nanki_cards:\r\n- slug: a-0-en\r\n---\r\nBody\r\n";
        let note = Note::from_text("n.md".into(), now.into(), None);
        let old = Version {
            commit: "abc1234".into(),
            date: "2025-11-09".into(),
            path: "notes/n.md".into(),
            text: "---\nid: a\ntags:\n- x\n# kept out\nanki_cards: []\n---\nOld body\n".into(),
        };
        let fix = fix(&note, &old).expect("a fix");
        assert_eq!(fix.edits.len(), 1);
        assert_eq!(fix.edits[0].range, 5..5);
        assert_eq!(fix.edits[0].content, "id: a\r\ntags:\r\n- x\r\n");
        assert!(
            fix.message
                .starts_with("restore `id`, `tags` from commit abc1234")
        );
        let full = Note::from_text("n.md".into(), old.text.clone(), None);
        assert!(super::fix(&full, &old).is_none(), "nothing lost");
    }
}
