//! The searchable select: a plain `<select>` that works without JavaScript, which
//! `/assets/select.js` enhances with a filter box (the CSP allows no inline script).
//! Any page that lets a person pick one record from many (a station, an advisor, a
//! technician) renders one of these instead of asking for a typed number. Machinery,
//! not an area.

use askama::Template;

/// One searchable select, rendered with its label.
#[derive(Debug, Clone, Template)]
#[template(path = "search_select.html")]
pub struct SearchSelect {
    /// Field name (and the id stem).
    pub name: String,
    /// Visible label.
    pub label: String,
    /// Placeholder of the filter box.
    pub hint: String,
    /// Options: (value, text); text is what the filter matches (name and code).
    pub options: Vec<(String, String)>,
    /// The selected value.
    pub selected: String,
    /// A first empty option's text ("all", "choose …"), if any.
    pub empty: Option<String>,
    /// Whether changing the choice submits the enclosing form (the filter bars).
    pub submit_on_change: bool,
}

impl SearchSelect {
    /// The HTML of the control, for `{{ x.html()|safe }}` in a page template.
    pub fn html(&self) -> String {
        self.render().unwrap_or_default()
    }
}

/// A status tag: a translated label coloured by its state class (`tag state-booked`).
#[derive(Debug, Clone)]
pub struct StatusTag {
    /// The state code, used only as a CSS class.
    pub state: String,
    /// The translated label.
    pub label: String,
}
