//! Folder types (FolderSync `Type`, MS-ASCMD §2.2.3.186.3) and item classes.

use std::fmt;

/// A folder's `Type` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FolderType {
    /// 1: user-created folder (generic).
    UserGeneric,
    /// 2: default Inbox.
    Inbox,
    /// 3: default Drafts.
    Drafts,
    /// 4: default Deleted Items.
    DeletedItems,
    /// 5: default Sent Items.
    SentItems,
    /// 6: default Outbox.
    Outbox,
    /// 7: default Tasks.
    Tasks,
    /// 8: default Calendar.
    Calendar,
    /// 9: default Contacts.
    Contacts,
    /// 10: default Notes.
    Notes,
    /// 11: default Journal.
    Journal,
    /// 12: user-created mail folder.
    UserMail,
    /// 13: user-created calendar.
    UserCalendar,
    /// 14: user-created contacts.
    UserContacts,
    /// 15: user-created tasks.
    UserTasks,
    /// 16: user-created journal.
    UserJournal,
    /// 17: user-created notes.
    UserNotes,
    /// 18: unknown folder type.
    Unknown,
    /// 19: Recipient Information Cache (auto-complete cache, not a real folder).
    RecipientInformationCache,
    /// Any other number, kept as received.
    Other(u32),
}

impl FolderType {
    /// The type for a wire number; unknown numbers become [`Self::Other`].
    pub fn from_code(code: u32) -> Self {
        use FolderType::*;
        match code {
            1 => UserGeneric,
            2 => Inbox,
            3 => Drafts,
            4 => DeletedItems,
            5 => SentItems,
            6 => Outbox,
            7 => Tasks,
            8 => Calendar,
            9 => Contacts,
            10 => Notes,
            11 => Journal,
            12 => UserMail,
            13 => UserCalendar,
            14 => UserContacts,
            15 => UserTasks,
            16 => UserJournal,
            17 => UserNotes,
            18 => Unknown,
            19 => RecipientInformationCache,
            n => Other(n),
        }
    }

    /// The wire number.
    pub fn code(self) -> u32 {
        use FolderType::*;
        match self {
            UserGeneric => 1,
            Inbox => 2,
            Drafts => 3,
            DeletedItems => 4,
            SentItems => 5,
            Outbox => 6,
            Tasks => 7,
            Calendar => 8,
            Contacts => 9,
            Notes => 10,
            Journal => 11,
            UserMail => 12,
            UserCalendar => 13,
            UserContacts => 14,
            UserTasks => 15,
            UserJournal => 16,
            UserNotes => 17,
            Unknown => 18,
            RecipientInformationCache => 19,
            Other(n) => n,
        }
    }

    /// Calendar folder (8 default, 13 user-created).
    pub fn is_calendar(self) -> bool {
        matches!(self, Self::Calendar | Self::UserCalendar)
    }

    /// Contacts folder (9 default, 14 user-created).
    pub fn is_contacts(self) -> bool {
        matches!(self, Self::Contacts | Self::UserContacts)
    }

    /// Tasks folder (7 default, 15 user-created).
    pub fn is_tasks(self) -> bool {
        matches!(self, Self::Tasks | Self::UserTasks)
    }

    /// Notes folder (10 default, 17 user-created).
    pub fn is_notes(self) -> bool {
        matches!(self, Self::Notes | Self::UserNotes)
    }

    /// Mail folder (2–6, 12).
    pub fn is_mail(self) -> bool {
        matches!(
            self,
            Self::Inbox | Self::Drafts | Self::DeletedItems | Self::SentItems | Self::Outbox | Self::UserMail
        )
    }

    /// Whether this is one of the default (server-created) folders.
    pub fn is_default(self) -> bool {
        (2..=11).contains(&self.code())
    }

    /// The item class stored in folders of this type, if it has one.
    pub fn class(self) -> Option<ItemClass> {
        if self.is_calendar() {
            Some(ItemClass::Calendar)
        } else if self.is_contacts() {
            Some(ItemClass::Contacts)
        } else if self.is_tasks() {
            Some(ItemClass::Tasks)
        } else if self.is_notes() {
            Some(ItemClass::Notes)
        } else if self.is_mail() {
            Some(ItemClass::Email)
        } else {
            None
        }
    }

    /// The type a user-created folder of `class` gets (13, 14, 15, 17, 12).
    pub fn user_folder_for(class: &ItemClass) -> FolderType {
        match class {
            ItemClass::Calendar => Self::UserCalendar,
            ItemClass::Contacts => Self::UserContacts,
            ItemClass::Tasks => Self::UserTasks,
            ItemClass::Notes => Self::UserNotes,
            ItemClass::Email => Self::UserMail,
            _ => Self::UserGeneric,
        }
    }
}

impl fmt::Display for FolderType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// An item class string as used in Ping `Class`, Sync `Class` and ItemOperations.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ItemClass {
    /// `Email`.
    Email,
    /// `Calendar`.
    Calendar,
    /// `Contacts`.
    Contacts,
    /// `Tasks`.
    Tasks,
    /// `Notes`.
    Notes,
    /// `SMS`.
    Sms,
    /// Anything else, kept verbatim.
    Other(String),
}

impl ItemClass {
    /// Parses a class string (exact, case-sensitive as on the wire).
    pub fn parse(s: &str) -> Self {
        match s {
            "Email" => Self::Email,
            "Calendar" => Self::Calendar,
            "Contacts" => Self::Contacts,
            "Tasks" => Self::Tasks,
            "Notes" => Self::Notes,
            "SMS" => Self::Sms,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Email => "Email",
            Self::Calendar => "Calendar",
            Self::Contacts => "Contacts",
            Self::Tasks => "Tasks",
            Self::Notes => "Notes",
            Self::Sms => "SMS",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for ItemClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for ItemClass {
    fn from(s: &str) -> Self {
        ItemClass::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_types() {
        for n in 0..40 {
            assert_eq!(FolderType::from_code(n).code(), n);
        }
        assert!(FolderType::from_code(8).is_calendar() && FolderType::from_code(13).is_calendar());
        assert!(FolderType::from_code(9).is_contacts() && FolderType::from_code(14).is_contacts());
        assert!(FolderType::from_code(7).is_tasks() && FolderType::from_code(15).is_tasks());
        assert!(!FolderType::from_code(19).is_contacts());
        assert_eq!(FolderType::UserCalendar.class(), Some(ItemClass::Calendar));
        assert_eq!(FolderType::RecipientInformationCache.class(), None);
        assert_eq!(
            FolderType::user_folder_for(&ItemClass::Contacts),
            FolderType::UserContacts
        );
        assert!(FolderType::Calendar.is_default() && !FolderType::UserCalendar.is_default());
    }

    #[test]
    fn classes() {
        for s in ["Email", "Calendar", "Contacts", "Tasks", "Notes", "SMS", "Journal"] {
            assert_eq!(ItemClass::parse(s).as_str(), s);
        }
        assert_eq!(ItemClass::parse("Journal"), ItemClass::Other("Journal".into()));
    }
}
