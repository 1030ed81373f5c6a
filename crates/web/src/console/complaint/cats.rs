//! The complaint categories as pages show them: head office's catalogue
//! (`app::complaint::category`), each name in the page's language, so a category
//! added or renamed today shows its own name everywhere (queue, detail, intake,
//! filters, analysis, the owner's page).

use crate::i18n::Lang;
use app::complaint::category::CategoryRow;
use domain::permission::{Action, Principal};

/// The catalogue with the page's language.
#[derive(Debug, Clone, Default)]
pub struct Cats {
    rows: Vec<CategoryRow>,
    en: bool,
}

impl Cats {
    /// The catalogue as the person may read it (empty when they may not read
    /// complaints).
    pub async fn load(app: &app::App, who: &Principal, lang: Lang) -> Cats {
        let rows = match who.grant(Action::ComplaintRead) {
            Ok(g) => app::complaint::category::list(app, &g)
                .await
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        Cats {
            rows,
            en: lang == Lang::En,
        }
    }

    /// The name of a code; a code missing from the catalogue shows as itself.
    pub fn name(&self, code: &str) -> String {
        self.rows
            .iter()
            .find(|c| c.code == code)
            .map(|c| if self.en { &c.name_en } else { &c.name_zh })
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }

    /// The categories a new complaint may choose: (code, name).
    pub fn active(&self) -> Vec<(String, String)> {
        self.rows
            .iter()
            .filter(|c| c.active())
            .map(|c| (c.code.clone(), self.name(&c.code)))
            .collect()
    }

    /// Every category, retired ones too (filters: old complaints keep theirs).
    pub fn all(&self) -> Vec<(String, String)> {
        self.rows
            .iter()
            .map(|c| (c.code.clone(), self.name(&c.code)))
            .collect()
    }

    /// Every code.
    pub fn codes(&self) -> Vec<&str> {
        self.rows.iter().map(|c| c.code.as_str()).collect()
    }
}
