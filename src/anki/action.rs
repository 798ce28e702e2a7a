//! Every AnkiConnect action decksmith sends, defined once: its name and whether it only
//! reads.
//!
//! The client takes an [`Action`], never a bare name, so a request cannot misspell one, and
//! what follows from an action is decided here: a read may be sent again after a broken
//! connection (a `multi` of reads too), a write never is (it may have reached Anki); the
//! actions a run needs are checked against what the backend implements before anything is
//! written.

use std::fmt;

/// One AnkiConnect action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Action {
    pub name: &'static str,
    /// It changes nothing in Anki: safe to send again.
    pub read_only: bool,
}

impl Action {
    /// An action that only reads. decksmith's own are the constants below; this is for an
    /// action they do not list (a test of an unknown one, a tool built on the client).
    pub const fn read(name: &'static str) -> Action {
        Action {
            name,
            read_only: true,
        }
    }

    /// An action that may change Anki (never sent twice).
    pub const fn write(name: &'static str) -> Action {
        Action {
            name,
            read_only: false,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

pub const VERSION: Action = Action::read("version");
pub const REQUEST_PERMISSION: Action = Action::read("requestPermission");
pub const API_REFLECT: Action = Action::read("apiReflect");
pub const DECK_NAMES: Action = Action::read("deckNames");
pub const MODEL_NAMES: Action = Action::read("modelNames");
pub const MODEL_FIELD_NAMES: Action = Action::read("modelFieldNames");
pub const MODEL_TEMPLATES: Action = Action::read("modelTemplates");
pub const MODEL_STYLING: Action = Action::read("modelStyling");
pub const FIND_NOTES: Action = Action::read("findNotes");
pub const FIND_CARDS: Action = Action::read("findCards");
pub const NOTES_INFO: Action = Action::read("notesInfo");
pub const CARDS_INFO: Action = Action::read("cardsInfo");
pub const CAN_ADD_NOTES: Action = Action::read("canAddNotes");
pub const CAN_ADD_NOTES_WITH_ERROR_DETAIL: Action = Action::read("canAddNotesWithErrorDetail");
pub const GET_MEDIA_FILES_NAMES: Action = Action::read("getMediaFilesNames");
pub const ADD_NOTES: Action = Action::write("addNotes");
pub const ADD_NOTE: Action = Action::write("addNote");
pub const UPDATE_NOTE_FIELDS: Action = Action::write("updateNoteFields");
pub const ADD_TAGS: Action = Action::write("addTags");
pub const REMOVE_TAGS: Action = Action::write("removeTags");
pub const CHANGE_DECK: Action = Action::write("changeDeck");
pub const CREATE_DECK: Action = Action::write("createDeck");
pub const CREATE_MODEL: Action = Action::write("createModel");
pub const DELETE_NOTES: Action = Action::write("deleteNotes");
pub const STORE_MEDIA_FILE: Action = Action::write("storeMediaFile");
pub const MODEL_FIELD_ADD: Action = Action::write("modelFieldAdd");
pub const MODEL_FIELD_REPOSITION: Action = Action::write("modelFieldReposition");
pub const UPDATE_MODEL_TEMPLATES: Action = Action::write("updateModelTemplates");
pub const MODEL_TEMPLATE_ADD: Action = Action::write("modelTemplateAdd");
pub const UPDATE_MODEL_STYLING: Action = Action::write("updateModelStyling");
/// Asks Anki to sync with AnkiWeb: it reaches the network and changes the collection.
pub const SYNC: Action = Action::write("sync");
/// A batch: it only reads when every action in it does (the client decides per batch).
pub const MULTI: Action = Action::write("multi");

/// Every action above.
pub const ALL: &[Action] = &[
    VERSION,
    REQUEST_PERMISSION,
    API_REFLECT,
    DECK_NAMES,
    MODEL_NAMES,
    MODEL_FIELD_NAMES,
    MODEL_TEMPLATES,
    MODEL_STYLING,
    FIND_NOTES,
    FIND_CARDS,
    NOTES_INFO,
    CARDS_INFO,
    CAN_ADD_NOTES,
    CAN_ADD_NOTES_WITH_ERROR_DETAIL,
    GET_MEDIA_FILES_NAMES,
    ADD_NOTES,
    ADD_NOTE,
    UPDATE_NOTE_FIELDS,
    ADD_TAGS,
    REMOVE_TAGS,
    CHANGE_DECK,
    CREATE_DECK,
    CREATE_MODEL,
    DELETE_NOTES,
    STORE_MEDIA_FILE,
    MODEL_FIELD_ADD,
    MODEL_FIELD_REPOSITION,
    UPDATE_MODEL_TEMPLATES,
    MODEL_TEMPLATE_ADD,
    UPDATE_MODEL_STYLING,
    SYNC,
    MULTI,
];

/// What a sync may send once it writes: checked against the backend's `apiReflect` before
/// the first write.
pub const SYNC_WRITES: &[Action] = &[
    ADD_NOTES,
    ADD_NOTE,
    CAN_ADD_NOTES,
    UPDATE_NOTE_FIELDS,
    ADD_TAGS,
    REMOVE_TAGS,
    CHANGE_DECK,
    CREATE_DECK,
    FIND_CARDS,
    MULTI,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_is_defined_once_and_only_queries_are_reads() {
        let mut names: Vec<&str> = ALL.iter().map(|a| a.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "an action defined twice");
        // What may be retried: the actions whose names ask, find, list or check.
        let reads: Vec<&str> = ALL.iter().filter(|a| a.read_only).map(|a| a.name).collect();
        for name in &reads {
            assert!(
                [
                    "version", "request", "api", "deck", "model", "find", "notes", "cards", "can",
                    "get"
                ]
                .iter()
                .any(|p| name.starts_with(p)),
                "{name} is marked read-only"
            );
        }
        let writes: Vec<&str> = ALL
            .iter()
            .filter(|a| !a.read_only)
            .map(|a| a.name)
            .collect();
        for name in ["addNotes", "deleteNotes", "sync", "multi", "createModel"] {
            assert!(writes.contains(&name), "{name} must never be retried");
        }
        assert_eq!(FIND_NOTES.to_string(), "findNotes");
        assert!(SYNC_WRITES.iter().all(|a| ALL.contains(a)));
    }
}
