//! The lifecycle target of a resource view's selected row.

use crate::lifecycle::Target;
use crate::tui::ctx::Ctx;
use crate::tui::notify::Say;
use crate::tui::table::Table;

/// The lifecycle target of the selected row, or a word about why not.
pub fn selected_target(table: &Table, cx: &mut Ctx<'_>) -> Option<Target> {
    let target = table.selected().and_then(|r| r.key.target().cloned());
    if target.is_none() {
        cx.warn("nothing selected");
    }
    target
}
